"""``python -m bench``: run every benchmark in turn (each prints its own table).

``python -m bench.<name>`` runs one (autogrid, assign, coverage, check, export, save, print, web, web_clicks, web_load,
planners_day, city, city_web, city_pages); benchmarks that need the demo build ``build/demo.gpkg`` first when it is missing; ``bench.city``
builds its synthetic city into ``build/city/<scale>/`` (full size by default: ``python -m bench.city --scale 0.1``
for a quick run); ``bench.city_web`` opens and drills that city in Chromium (``--scale 0.1`` likewise); ``bench.city_pages`` times the
other pages on it, the whole city read against one town.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ORDER = ("autogrid", "check", "assign", "coverage", "export", "save", "print", "web", "web_clicks", "web_load",
         "planners_day", "city", "city_web", "city_pages")


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all) in fresh processes; return the worst exit code."""
    names = argv or list(ORDER)
    if not Path("build/demo.gpkg").exists():
        subprocess.run([sys.executable, "-m", "cli", "demo", "--out", "build/demo.gpkg"], check=True)
    worst = 0
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        start = time.perf_counter()
        rc = subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode
        print(f"=== bench.{name}: exit {rc}, {time.perf_counter() - start:.1f} s wall ===", flush=True)
        worst = max(worst, rc)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
