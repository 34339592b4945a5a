"""Benchmark: the hierarchy/topology check at demo scale (run: .venv/bin/python bench/check.py).

Synthetic county in UTM 48N: 15 towns, 172 communities, ~3 general grids per community
(+ 1 dedicated grid in every 4th), ~6 micro-grids per general grid, Voronoi-shaped
(~20-40 vertices each), 20k household points and 6k volunteers. Prints a table of
figures and ratios for the clean layout and one with injected overlaps/gaps.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo import schema as s  # noqa: E402
from geo.validate import check_layers  # noqa: E402

UTM = "EPSG:32648"
X0, Y0 = 380_000.0, 3_370_000.0


def _voronoi_split(poly: shapely.Polygon, n: int, rng: np.random.Generator) -> list[shapely.Geometry]:
    minx, miny, maxx, maxy = poly.bounds
    pts = shapely.points(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=poly))
    parts = [shapely.segmentize(c.intersection(poly), 80.0) for c in cells]  # ~30 vertices per grid
    return [p for p in parts if not p.is_empty and p.area > 0]


def synthetic_layers(seed: int = 0) -> dict[str, gpd.GeoDataFrame]:
    """Towns (3x5 boxes), communities (Voronoi of towns), grids (Voronoi of communities), points."""
    rng = np.random.default_rng(seed)
    towns, comms, grids = [], [], []
    per_town = np.full(15, 11)
    per_town[:7] += 1  # 172 communities in all
    for ti in range(15):
        tx, ty = ti % 5, ti // 5
        town = shapely.box(X0 + tx * 6000, Y0 + ty * 6000, X0 + tx * 6000 + 6000, Y0 + ty * 6000 + 6000)
        tcode = f"5101840{ti:02d}000"
        towns.append({s.CODE: tcode, s.NAME: f"镇{ti}", "geometry": town})
        for ci, comm in enumerate(_voronoi_split(town, int(per_town[ti]), rng)):
            ccode = f"{tcode[:9]}{ci + 1:03d}"
            comms.append({s.CODE: ccode, s.NAME: f"社区{ccode}", s.TOWN_CODE: tcode, "geometry": comm})
            pieces = _voronoi_split(comm, 4 if ci % 4 == 0 else 3, rng)
            if ci % 4 == 0:  # the last piece is a dedicated grid (a school, a park)
                grids.append({s.CODE: f"{ccode}-D", s.LEVEL: s.LEVEL_DEDICATED, s.PARENT_CODE: ccode,
                              s.COMMUNITY_CODE: ccode, "geometry": pieces.pop()})
            for gi, gen in enumerate(pieces):
                gcode = f"{ccode}-G{gi + 1}"
                grids.append({s.CODE: gcode, s.LEVEL: s.LEVEL_GENERAL, s.PARENT_CODE: ccode,
                              s.COMMUNITY_CODE: ccode, "geometry": gen})
                for mi, micro in enumerate(_voronoi_split(gen, 6, rng)):
                    grids.append({s.CODE: f"{gcode}-M{mi + 1}", s.LEVEL: s.LEVEL_MICRO, s.PARENT_CODE: gcode,
                                  s.COMMUNITY_CODE: ccode, "geometry": micro})
    for g in grids:
        g[s.NAME] = g[s.CODE]
    frame = {s.TOWNS: towns, s.COMMUNITIES: comms, s.GRIDS: grids}
    layers = {n: gpd.GeoDataFrame(rows, crs=UTM).to_crs(s.STORAGE_CRS) for n, rows in frame.items()}
    for name, n, col in ((s.HOUSEHOLDS, 20_000, s.CODE), (s.VOLUNTEERS, 6_000, s.VOLUNTEER_ID)):
        pts = shapely.points(rng.uniform(X0, X0 + 30_000, n), rng.uniform(Y0, Y0 + 18_000, n))
        layers[name] = gpd.GeoDataFrame({col: [f"P{i}" for i in range(n)], s.NAME: "x",
                                         s.HOUSEHOLDS_N: 10}, geometry=pts, crs=UTM).to_crs(s.STORAGE_CRS)
    return layers


def _broken(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    grids = layers[s.GRIDS].to_crs(UTM)
    micro = grids.index[grids[s.LEVEL] == s.LEVEL_MICRO][::50]  # every 50th micro-grid grows 15 m
    grids.loc[micro, "geometry"] = grids.loc[micro].buffer(15)
    return {**layers, s.GRIDS: grids.to_crs(s.STORAGE_CRS)}


def main() -> None:
    """Time ``check_layers`` on the clean and the broken synthetic county."""
    t0 = time.perf_counter()
    layers = synthetic_layers()
    build_s = time.perf_counter() - t0
    grids = layers[s.GRIDS]
    n_micro = int((grids[s.LEVEL] == s.LEVEL_MICRO).sum())
    n_vertices = int(shapely.get_num_coordinates(grids.geometry.to_numpy()).sum())
    print(f"synthetic county: {len(layers[s.TOWNS])} towns, {len(layers[s.COMMUNITIES])} communities, "
          f"{len(grids)} grids ({n_micro} micro), {n_vertices} grid vertices, "
          f"{len(layers[s.HOUSEHOLDS])} households + {len(layers[s.VOLUNTEERS])} volunteers "
          f"(built in {build_s:.1f} s)")
    print(f"{'case':<10}{'run':>5}{'seconds':>10}{'findings':>10}{'errors':>8}{'grids/s':>10}{'vs clean':>10}")
    base = None
    for case, data in (("clean", layers), ("broken", _broken(layers))):
        for run in (1, 2):
            t = time.perf_counter()
            report = check_layers(data)
            secs = time.perf_counter() - t
            base = base or secs
            errors = int((report["severity"] == "error").sum())
            print(f"{case:<10}{run:>5}{secs:>10.2f}{len(report):>10}{errors:>8}{len(grids) / secs:>10.0f}"
                  f"{secs / base:>10.2f}")


if __name__ == "__main__":
    main()
