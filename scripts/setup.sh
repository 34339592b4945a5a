#!/usr/bin/env bash
# Install what GridAtlas needs: system fonts (and, with --dev, chromium + poppler + PostgreSQL
# with PostGIS for the tests, which start their own throwaway cluster), a virtual environment
# in .venv, and the Python packages. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
dev=0; [ "${1:-}" = "--dev" ] && dev=1

pkgs="fonts-noto-cjk"
# postgresql-postgis is the extension itself: Debian's postgis package only recommends it (installed below without)
[ $dev = 1 ] && pkgs="$pkgs chromium poppler-utils postgresql postgis postgresql-postgis"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "[setup] installing system packages:$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
req=requirements.txt; [ $dev = 1 ] && req=requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
