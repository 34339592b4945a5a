"""Web map payload and build time per view on the demo: `.venv/bin/python -m bench.web [project.gpkg]`.

Prints one row per view (city, every town, a sample of communities): payload bytes (the
Leaflet script st_folium sends), the view's level-of-detail layers (``geo.lod.view_layers``,
cached per unit by the app) and map build time, and the ratio to the raw (unsimplified,
unrounded) payload. One-time costs (load, figures) are printed separately. Target (issue 14):
payload < 3 MB per view, and neither payload nor build time growing with the city.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from streamlit_folium import _get_map_string

from geo import schema as s
from geo.project import load_project
from geo.explore import Selection, view_units
from geo.lod import view_layers
from geo.rollup import unit_figures
from ui.mapview import MapOptions, build_explore_map


def _payload(project, sel, figures, opts, *, raw: bool = False) -> tuple[int, float, float]:
    """Payload bytes, seconds for the view's layers, seconds for the map (layers given)."""
    t0 = time.perf_counter()
    layers = view_units(project, sel) if raw else view_layers(project, sel)
    t1 = time.perf_counter()
    m, _ = build_explore_map(project, sel, figures, opts, layers=layers)
    script = _get_map_string(m)
    return len(script.encode()), t1 - t0, time.perf_counter() - t1


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
    print(f"project {path}: {len(project.layer(s.TOWNS))} towns, {len(project.layer(s.COMMUNITIES))} communities, "
          f"{len(project.layer(s.GRIDS))} grids, {len(project.layer(s.VOLUNTEERS))} volunteers")
    print(f"one-time (cached by the app): load {t_load:.2f} s, figures {t_fig:.2f} s\n")
    opts = MapOptions(metric="staffing", show_radii=True)
    towns = project.layer(s.TOWNS)[s.CODE].astype(str).tolist()
    comms = project.layer(s.COMMUNITIES)
    step = max(len(comms) // n_communities, 1)
    views = [("city", Selection())] + [(f"town {c}", Selection(town=c)) for c in towns]
    views += [(f"community {c}", Selection(town=str(tc), community=str(c)))
              for c, tc in zip(comms[s.CODE].iloc[::step], comms[s.TOWN_CODE].iloc[::step])]
    print(f"{'view':<28}{'payload KB':>12}{'raw KB':>10}{'ratio':>8}{'layers s':>10}{'map s':>8}")
    rows = []
    for label, sel in views:
        size, t_layers, t_map = _payload(project, sel, figures, opts)
        raw_size, _, _ = _payload(project, sel, figures, opts, raw=True)
        rows.append((label, size, raw_size, t_layers + t_map))
        print(f"{label:<28}{size / 1024:>12.0f}{raw_size / 1024:>10.0f}{size / raw_size:>8.2f}"
              f"{t_layers:>10.2f}{t_map:>8.2f}")
    for kind in ("town", "community"):
        part = [r for r in rows if r[0].startswith(kind)]
        print(f"\n{kind} views: max payload {max(r[1] for r in part) / 1024:.0f} KB, "
              f"median {statistics.median(r[1] for r in part) / 1024:.0f} KB; "
              f"max build {max(r[3] for r in part):.2f} s")
    city = rows[0]
    print(f"city view: {city[1] / 1024:.0f} KB ({city[1] / city[2]:.0%} of raw), build {city[3]:.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:2])
