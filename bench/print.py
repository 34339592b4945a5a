"""Print benchmark: one A3 city map at 300 dpi, and the atlas of every community (goal < 60 s).

Run: ``.venv/bin/python -m bench.print`` (uses ``build/demo.gpkg`` when it exists, else a
synthetic Chongzhou-scale project: 15 towns, 172 communities, ~5k grids, ~20k buildings).
``--synthetic`` forces the synthetic project; ``--pages 1-20`` times a partial atlas.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo import schema as s
from geo.project import Project, load_project, new_project

DEMO = Path("build/demo.gpkg")
GOAL_ATLAS_S = 60.0


def synthetic_project(*, n_towns: int = 15, n_communities: int = 172, seed: int = 1) -> Project:
    """A Chongzhou-scale project of square communities (2 km), 4 general x 7 micro grids each."""
    rng = np.random.default_rng(seed)
    x0, y0, side = 380_000.0, 3_370_000.0, 2000.0
    cols = 14
    towns, comms, grids, hh, pts = [], [], [], [], []
    per_town = -(-n_communities // n_towns)
    for ci in range(n_communities):
        ti = ci // per_town
        tcode, ccode = f"510184{ti + 1:03d}000", f"510184{ti + 1:03d}{ci + 1:03d}"
        cx, cy = x0 + (ci % cols) * side, y0 + (ci // cols) * side
        comms.append({s.CODE: ccode, s.NAME: f"合成{ci + 1}社区", s.KIND: "社区", s.TOWN_CODE: tcode,
                      s.ILLUSTRATIVE: True, "geometry": shapely.box(cx, cy, cx + side, cy + side)})
        for gi in range(4):
            gx, gy = cx + (gi % 2) * side / 2, cy + (gi // 2) * side / 2
            gcode = f"{ccode}-G{gi + 1}"
            grids.append({s.CODE: gcode, s.NAME: f"第{gi + 1}网格", s.LEVEL: s.LEVEL_GENERAL, s.PARENT_CODE: ccode,
                          s.COMMUNITY_CODE: ccode, s.TOWN_CODE: tcode, s.HOUSEHOLDS_N: 0, s.ILLUSTRATIVE: True,
                          "geometry": shapely.box(gx, gy, gx + side / 2, gy + side / 2)})
            for mi in range(7):
                mx = gx + mi * side / 14
                n = int(rng.integers(30, 100))
                grids.append({s.CODE: f"{gcode}-M{mi + 1}", s.NAME: f"{gi + 1}-{mi + 1}微网格", s.LEVEL: s.LEVEL_MICRO,
                              s.PARENT_CODE: gcode, s.COMMUNITY_CODE: ccode, s.TOWN_CODE: tcode, s.HOUSEHOLDS_N: n,
                              s.ILLUSTRATIVE: True, "geometry": shapely.box(mx, gy, mx + side / 14, gy + side / 2)})
                for _ in range(4):
                    hh.append({s.CODE: f"B{len(hh)}", s.HOUSEHOLDS_N: n // 4, s.COMMUNITY_CODE: ccode,
                               "geometry": shapely.Point(mx + rng.uniform(0, side / 14), gy + rng.uniform(0, side / 2))})
        for _ in range(2):
            ptype = list(s.POINT_TYPES)[int(rng.integers(len(s.POINT_TYPES)))]
            pts.append({s.POINT_ID: f"P{len(pts)}", s.NAME: f"服务点{len(pts)}", s.POINT_TYPE: ptype,
                        s.CATEGORY: ";".join(s.POINT_TYPES[ptype]), s.COMMUNITY_CODE: ccode,
                        "geometry": shapely.Point(cx + rng.uniform(0, side), cy + rng.uniform(0, side))})
    comm_gdf = gpd.GeoDataFrame(comms, crs=s.METRIC_CRS)
    for tcode, part in comm_gdf.groupby(s.TOWN_CODE):
        towns.append({s.CODE: tcode, s.NAME: f"合成{tcode[6:9]}镇", s.KIND: "镇", s.ILLUSTRATIVE: True,
                      "geometry": shapely.union_all(part.geometry.values)})
    project = new_project()
    for name, rows in ((s.TOWNS, towns), (s.COMMUNITIES, comms), (s.GRIDS, grids), (s.HOUSEHOLDS, hh),
                       (s.SERVICE_POINTS, pts)):
        project = project.with_layer(name, gpd.GeoDataFrame(rows, crs=s.METRIC_CRS).to_crs(s.STORAGE_CRS))
    return project


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table of seconds, sizes and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--pages", default=None)
    args = parser.parse_args(argv)
    from geo import printdata
    from layers import atlas
    from layers import print as lp

    if DEMO.exists() and not args.synthetic:
        project, load_s = _timed(lambda: load_project(DEMO))
        source = str(DEMO)
    else:
        project, load_s = _timed(synthetic_project)
        source = "synthetic"
    n_grids = len(project.layer(s.GRIDS))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        opts = lp.PageOptions(paper="A3", orientation="landscape")
        data, prep_s = _timed(lambda: printdata.map_page_data(project, "city", measure="households"))
        fig, draw_s = _timed(lambda: lp.render_map_page(data, opts))
        png, png_s = _timed(lambda: lp.save_figure(fig, out / "city.png", dpi=300))
        pdf, pdf_s = _timed(lambda: lp.save_figure(fig, out / "city.pdf"))
        rows.append(("A3 city map: data", prep_s, "", ""))
        rows.append(("A3 city map: layout", draw_s, "", ""))
        rows.append(("A3 city map: PNG 300 dpi", png_s, f"{png.stat().st_size / 1e6:.2f} MB", ""))
        rows.append(("A3 city map: PDF", pdf_s, f"{pdf.stat().st_size / 1e6:.2f} MB", ""))
        result, atlas_s = _timed(lambda: atlas.render_atlas(project, "community", out / "atlas.pdf",
                                                            pages=args.pages, measure="staffing"))
        n_units = len(result.units)
        rows.append((f"atlas: {n_units} communities, {result.n_pages} PDF pages", atlas_s,
                     f"{(out / 'atlas.pdf').stat().st_size / 1e6:.2f} MB", f"{atlas_s / GOAL_ATLAS_S:.2f} x goal"))
        rows.append(("atlas: per unit page", atlas_s / max(n_units, 1), "", ""))
    print(f"source: {source}  (load {load_s:.1f} s, {n_grids} grids, "
          f"{len(project.layer(s.COMMUNITIES))} communities)")
    print(f"{'step':<48}{'seconds':>10}  {'size':>10}  {'ratio':>12}")
    for name, secs, size, ratio in rows:
        print(f"{name:<48}{secs:>10.2f}  {size:>10}  {ratio:>12}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
