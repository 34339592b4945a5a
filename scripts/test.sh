#!/usr/bin/env bash
# One command: install everything the tests need, then run the whole suite
# (fast, slow and browser tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -m "" "$@"
