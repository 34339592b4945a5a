#!/usr/bin/env bash
# One command: install everything the tests need, then run the whole suite
# (fast, slow, browser and database tests: PostGIS on a throwaway cluster the tests start
# and stop themselves). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
# database tests must run here (a missing PostgreSQL fails them instead of skipping them)
GRIDATLAS_REQUIRE_DB=1 exec .venv/bin/python -m pytest -m "" "$@"
