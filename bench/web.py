"""Web map payload and build time per view on the demo: `.venv/bin/python -m bench.web [project.gpkg]`.

Prints one row per view (city, every town, a sample of communities): features sent,
payload bytes (the Leaflet script st_folium sends), build time, and the ratio to the
raw (unsimplified, unrounded) payload. One-time costs (load, figures, simplification,
cached by the app) are printed separately. Target: any view < 2 s, payload < a few MB.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from streamlit_folium import _get_map_string

from geo import schema as s
from geo.project import load_project
from layers.simplify import TOLERANCE_M
from ui.mapview import MapOptions, build_explore_map, simplified_layer
from geo.explore import Selection
from geo.rollup import unit_figures


def _payload(project, sel, figures, opts, simplified) -> tuple[int, float]:
    t0 = time.perf_counter()
    m, _ = build_explore_map(project, sel, figures, opts, simplified=simplified)
    script = _get_map_string(m)
    return len(script.encode()), time.perf_counter() - t0


def main(path: str = "build/demo.gpkg", n_communities: int = 12) -> None:
    if not Path(path).exists():
        print(f"{path} missing: build it with .venv/bin/python -m cli demo --out {path}")
        raise SystemExit(2)
    t0 = time.perf_counter()
    project = load_project(path)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    figures = unit_figures(project)
    t_fig = time.perf_counter() - t0
    t0 = time.perf_counter()
    cache = {(layer, view): simplified_layer(project, layer, view)
             for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS) for view in TOLERANCE_M}
    t_simp = time.perf_counter() - t0
    raw = {(layer, view): project.layer(layer) for layer, view in cache}
    print(f"project {path}: {len(project.layer(s.TOWNS))} towns, {len(project.layer(s.COMMUNITIES))} communities, "
          f"{len(project.layer(s.GRIDS))} grids, {len(project.layer(s.VOLUNTEERS))} volunteers")
    print(f"one-time (cached by the app): load {t_load:.2f} s, figures {t_fig:.2f} s, simplify all views {t_simp:.2f} s\n")
    opts = MapOptions(metric="staffing", show_radii=True)
    towns = project.layer(s.TOWNS)[s.CODE].astype(str).tolist()
    comms = project.layer(s.COMMUNITIES)
    step = max(len(comms) // n_communities, 1)
    views = [("city", Selection())] + [(f"town {c}", Selection(town=c)) for c in towns]
    views += [(f"community {c}", Selection(town=str(tc), community=str(c)))
              for c, tc in zip(comms[s.CODE].iloc[::step], comms[s.TOWN_CODE].iloc[::step])]
    print(f"{'view':<28}{'payload KB':>12}{'raw KB':>10}{'ratio':>8}{'build s':>9}")
    rows = []
    for label, sel in views:
        size, secs = _payload(project, sel, figures, opts, lambda layer, view: cache[(layer, view)])
        raw_size, _ = _payload(project, sel, figures, opts, lambda layer, view: raw[(layer, view)])
        rows.append((label, size, raw_size, secs))
        print(f"{label:<28}{size / 1024:>12.0f}{raw_size / 1024:>10.0f}{size / raw_size:>8.2f}{secs:>9.2f}")
    for kind in ("town", "community"):
        part = [r for r in rows if r[0].startswith(kind)]
        print(f"\n{kind} views: max payload {max(r[1] for r in part) / 1024:.0f} KB, "
              f"median {statistics.median(r[1] for r in part) / 1024:.0f} KB; "
              f"max build {max(r[3] for r in part):.2f} s")
    city = rows[0]
    print(f"city view: {city[1] / 1024:.0f} KB ({city[1] / city[2]:.0%} of raw), build {city[3]:.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:2])
