"""Benchmark: every export format at demo scale (run: .venv/bin/python -m bench.export).

Synthetic county from ``bench.check.synthetic_layers`` (15 towns, 172 communities,
~3,300 grids, 6,000 volunteers) with one assignment per micro-grid and per general grid
(~3,300 rows), 170 service points and a coverage table (4 categories x 3 radii).
Prints seconds and output size per format, and the ratio to the XLSX time.

``--demo build/demo.gpkg``: the export page's XLSX call on a saved project instead
(``export_bytes`` with the shared roll-up ``unit_figures`` computed beforehand, as the app's
cache holds it), its parts (escalation chain, chain sheet, SpreadsheetML writer) and the
roll-up itself (what a click adds when the cache is cold): best wall and CPU seconds of 5.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.check import synthetic_layers  # noqa: E402
from geo import schema as s  # noqa: E402
from geo.export import ExportOptions, export_bytes  # noqa: E402
from geo.project import new_project  # noqa: E402
from geo.roundtrip import diff_assignments, read_edited_table  # noqa: E402


def synthetic_project(seed: int = 0):
    """The synthetic county with names, tiers, phones, assignments, points and coverage."""
    rng = np.random.default_rng(seed)
    layers = synthetic_layers(seed)
    comms = layers[s.COMMUNITIES]
    grids = layers[s.GRIDS].copy()
    grids[s.TOWN_CODE] = grids[s.COMMUNITY_CODE].map(dict(zip(comms[s.CODE], comms[s.TOWN_CODE])))
    grids[s.HOUSEHOLDS_N] = rng.integers(30, 100, len(grids))
    grids[s.KIND] = np.where(grids[s.LEVEL] == s.LEVEL_MICRO, "小区", "")
    vols = layers[s.VOLUNTEERS].drop(columns=[s.HOUSEHOLDS_N])
    vols[s.NAME] = [f"志愿者{i}" for i in range(len(vols))]
    vols[s.PHONE] = [f"139{i:08d}" for i in range(len(vols))]
    vols[s.TIER] = rng.choice(s.TIERS, len(vols))
    points = comms[[s.CODE, "geometry"]].copy()
    points["geometry"] = points.geometry.representative_point()
    points = points.rename(columns={s.CODE: s.POINT_ID}).assign(**{s.NAME: "工作站", s.POINT_TYPE: "社区工作站"})
    codes = grids.loc[grids[s.LEVEL].isin([s.LEVEL_MICRO, s.LEVEL_GENERAL]), s.CODE].to_numpy()
    roles = np.where(grids.set_index(s.CODE).loc[codes, s.LEVEL] == s.LEVEL_MICRO, "leader", "worker")
    assignments = pd.DataFrame({s.VOLUNTEER_ID: vols[s.VOLUNTEER_ID].to_numpy()[: len(codes)], s.GRID_CODE: codes,
                                s.ROLE: roles, s.METHOD: "optimised", s.DISTANCE_M: rng.uniform(0, 800, len(codes)),
                                s.LOCKED: False, s.VERSION: 1, s.UPDATED_AT: "", s.SCENARIO: s.DEFAULT_SCENARIO})
    coverage = pd.DataFrame([(g, c, r, rng.uniform(), None) for g in grids[s.CODE] for c in s.CATEGORIES
                             for r in (300, 500, 1000)], columns=list(s.COVERAGE_COLUMNS))
    project = new_project()
    for name, gdf in {s.TOWNS: layers[s.TOWNS], s.COMMUNITIES: comms, s.GRIDS: grids, s.VOLUNTEERS: vols,
                      s.SERVICE_POINTS: points}.items():
        project = project.with_layer(name, gdf)
    return project.with_table(s.ASSIGNMENTS, assignments).with_table(s.COVERAGE, coverage)


def _time(func, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _wall_cpu(func, repeat: int = 5) -> tuple[float, float, object]:
    """Best wall and best CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = func()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), out


def demo(path: str) -> None:
    """The export page's XLSX call on the project at ``path`` and its parts; print wall and CPU seconds."""
    import os

    from geo import export as ex
    from geo import export_formats as fmt
    from geo.escalation import chain_export_table, escalation_chain
    from geo.project import load_project
    from geo.rollup import DEFAULT_CATEGORY, coverage_radius, unit_figures

    project = load_project(path)
    radius = coverage_radius(project)
    figures = unit_figures(project, category=DEFAULT_CATEGORY, radius_m=None if radius is None else float(radius))
    options = ExportOptions(fmt="xlsx")
    scenario = project.active_scenario
    sheets: dict = {}
    real = fmt.to_xlsx_bytes

    def capture(frames, **kwargs):
        sheets.update(frames=frames, kwargs=kwargs)
        return real(frames, **kwargs)

    fmt.to_xlsx_bytes = capture
    result = export_bytes(project, options, figures=figures)
    fmt.to_xlsx_bytes = real
    chain = escalation_chain(project, scenario=scenario)
    privacy = ex._privacy(options)
    cases = [("export XLSX (the page's call)", lambda: export_bytes(project, options, figures=figures)),
             ("  escalation_chain", lambda: escalation_chain(project, scenario=scenario)),
             ("  chain_export_table", lambda: chain_export_table(chain, privacy=privacy, lang=options.lang)),
             ("  to_xlsx_bytes (23 sheets)", lambda: real(sheets["frames"], **sheets["kwargs"])),
             ("roll-up unit_figures (cold cache)",
              lambda: unit_figures(project, category=DEFAULT_CATEGORY,
                                   radius_m=None if radius is None else float(radius)))]
    cells = sum(df.size for df in sheets["frames"].values())
    print(f"{path}: {len(sheets['frames'])} sheets, {cells:,} cells, {len(chain):,} chain rows, "
          f"{len(result.data) / 1e6:.2f} MB; load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':36s} {'wall s':>7s} {'CPU s':>7s}")
    for label, func in cases:
        wall, cpu, _ = _wall_cpu(func)
        print(f"{label:36s} {wall:7.2f} {cpu:7.2f}")


def main() -> None:
    """Time each format and the round-trip read + diff; print a table."""
    t0 = time.perf_counter()
    project = synthetic_project()
    print(f"synthetic project: {len(project.layer(s.GRIDS))} grids, {len(project.layer(s.VOLUNTEERS))} volunteers, "
          f"{len(project.table(s.ASSIGNMENTS))} assignments ({time.perf_counter() - t0:.1f} s to build)")
    cases = [("xlsx", ExportOptions(fmt="xlsx")), ("csv", ExportOptions(fmt="csv")),
             ("csv gb18030", ExportOptions(fmt="csv", encoding="gb18030")),
             ("geojson micro", ExportOptions(fmt="geojson", level="micro")),
             ("geojson gcj02", ExportOptions(fmt="geojson", level="micro", crs="gcj02")),
             ("gpkg bundle", ExportOptions(fmt="gpkg")),
             ("shp zip micro EPSG:4544", ExportOptions(fmt="shp", level="micro", crs="EPSG:4544")),
             ("roster md", ExportOptions(fmt="roster")), ("roster xlsx", ExportOptions(fmt="roster", roster_form="xlsx"))]
    rows = []
    xlsx_data = b""
    for label, options in cases:
        seconds, result = _time(lambda o=options: export_bytes(project, o))
        rows.append((label, seconds, len(result.data) / 1e6))
        if label == "xlsx":
            xlsx_data = result.data
    seconds, _ = _time(lambda: diff_assignments(project, read_edited_table(xlsx_data, filename="x.xlsx")))
    rows.append(("round trip: read xlsx + diff", seconds, len(xlsx_data) / 1e6))
    base = rows[0][1]
    print(f"{'case':32s} {'seconds':>8s} {'MB':>7s} {'vs xlsx':>8s}")
    for label, seconds, mb in rows:
        print(f"{label:32s} {seconds:8.2f} {mb:7.2f} {seconds / base:8.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--demo"]:
        demo(sys.argv[2] if len(sys.argv) > 2 else "build/demo.gpkg")
    else:
        main()
