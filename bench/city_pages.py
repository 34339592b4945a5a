"""The pages other than explore on the city (issue #14): `python -m bench.city_pages [--scale 1]`.

Runs the app's scripts in-process (Streamlit's ``AppTest``: the server's script runs, no browser)
on the synthetic city's GeoPackage (``bench.city._city_file``), signed in as a whole-city admin,
and times each page's runs two ways, in two fresh app sessions:

- *whole city*: the project read whole, as for a county-size project (``ui.cached.CITY_SIZE_GRIDS``
  raised above the city's grid count): what every page but explore did before;
- *one town*: the city-size path: the page asks for a town (``ui.common.working_part``), then reads
  that town alone from the store.

Per page: the switch to the page (whole: the page drawn; town: the town picker), the town chosen
and a rerun (a widget changed), in seconds; and the process's peak memory after each way (each way
runs in its own process). The caches are cold for the first page of each way (the dashboard).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGES = ("dashboard", "edit", "print", "run", "export")


def _measure(scale: float, *, whole: bool) -> dict:
    from streamlit.testing.v1 import AppTest

    from bench.city import _city_file
    from geo import schema as s
    from geo.store import open_store
    from tests.app_login import signed_in
    from ui import cached, state

    path = str(_city_file(scale))
    if whole:
        cached.CITY_SIZE_GRIDS = 10**9
    towns = sorted(open_store(path).read_layer(s.TOWNS, columns=[s.CODE])[s.CODE].astype(str))
    town = towns[len(towns) // 2]
    root = Path(__file__).resolve().parents[1]
    at = signed_in(AppTest.from_file(str(root / "app.py"), default_timeout=900))
    at.session_state[state.PROJECT_PATH] = path
    t = time.perf_counter()
    at.run()
    rows = {"open": time.perf_counter() - t}
    for page in PAGES:
        t = time.perf_counter()
        at.switch_page(f"ui/pages/{page}.py").run()
        switch = time.perf_counter() - t
        chosen = None
        if any(w.key == state.WORKING_TOWN for w in at.selectbox):
            t = time.perf_counter()
            at.selectbox(key=state.WORKING_TOWN).set_value(town).run()
            chosen = time.perf_counter() - t
        t = time.perf_counter()
        at.run()
        rows[page] = {"switch": switch, "chosen": chosen, "rerun": time.perf_counter() - t,
                      "errors": len(at.exception) + len(at.error)}
        at.session_state[state.SELECTED_TOWN] = None  # the next page asks again
    rows["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows["grids"] = len(open_store(path).read_layer(s.GRIDS, columns=[s.CODE]))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--way", choices=("whole", "town"), help=argparse.SUPPRESS)  # one way, in this process
    args = parser.parse_args(argv)
    if args.way:
        print(json.dumps(_measure(args.scale, whole=args.way == "whole")))
        return
    ways = {}
    for way in ("whole", "town"):  # each in a fresh process: its own caches and peak memory
        out = subprocess.run([sys.executable, "-m", "bench.city_pages", "--scale", str(args.scale), "--way", way],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        ways[way] = json.loads(out.stdout.strip().splitlines()[-1])
    whole, town = ways["whole"], ways["town"]
    print(f"bench.city_pages at scale {args.scale} ({whole['grids']:,} grids; 2 cores, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}); seconds of the app's script runs (no browser)")
    print(f"{'page':10s} {'whole: switch':>14s} {'rerun':>7s} {'town: switch':>13s} {'chosen':>7s} {'rerun':>7s} "
          f"{'errors':>7s}")
    print(f"{'(open)':10s} {whole['open']:14.2f} {'':>7s} {town['open']:13.2f}")
    for page in PAGES:
        w, t = whole[page], town[page]
        chosen = f"{t['chosen']:7.2f}" if t["chosen"] is not None else f"{'-':>7s}"
        print(f"{page:10s} {w['switch']:14.2f} {w['rerun']:7.2f} {t['switch']:13.2f} {chosen} {t['rerun']:7.2f} "
              f"{w['errors'] + t['errors']:7d}")
    print(f"peak memory: whole {whole['peak_mb']:,.0f} MB, one town {town['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
