#!/usr/bin/env bash
# One command: install, build the bundled Chongzhou demo project, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/demo.gpkg ] || .venv/bin/python -m cli demo --out build/demo.gpkg
exec .venv/bin/python -m streamlit run app.py "$@"
