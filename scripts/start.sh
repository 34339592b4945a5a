#!/usr/bin/env bash
# One command: install, build the bundled Chongzhou demo project, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f build/demo.gpkg ] || .venv/bin/python -m cli demo --out build/demo.gpkg
# a demo built before sign-in existed (issue #15) has no demo login: rebuild it (the old one is kept as a .bak)
if ! .venv/bin/python -m cli users list build/demo.gpkg | grep -E '^demo\s' >/dev/null; then
  .venv/bin/python -m cli demo --out build/demo.gpkg --replace
fi
exec .venv/bin/python -m streamlit run app.py "$@"
