"""Benchmark of the assignment engine (issue #4): points to grids vs bare STRtree, staffing vs HiGHS LP.

The LP rows solve the same flow with HiGHS: on the arcs the solver ended with, and, when a
max distance makes it small enough, on every pair within reach (the full problem: equal
objectives show the reduced-cost proof left nothing out).

Run: ``.venv/bin/python -m bench.assign`` (both scales) or ``--scale chongzhou|city``,
``--staffing-only``, ``--points-only``, ``--lp-size 10000x2000`` (``full`` = the 50k x 10k problem);
``--city-staffing 500000x140000 [--blocks]``: the city-scale staffing rows of issue #14 only.

Synthetic data, made here: a 35 x 33 km county box near Chongzhou in WGS 84, Voronoi grids
segmentized to ~36 vertices each, uniform points over a box 1 % larger than the grids (so a
~2 % fall outside every grid and take the nearest-grid fallback).
"""
from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from geo import schema as s
from geo.assign import assign_points
from geo.staffing import StaffingOptions, solve_staffing

BOX = (103.50, 30.50, 103.86, 30.80)  # lon/lat of a county-size box (~35 x 33 km)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_grids(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` Voronoi grids in WGS 84 tiling BOX, ~36 vertices each."""
    x0, y0, x1, y1 = BOX
    frame = shapely.box(*BOX)
    seeds = shapely.multipoints(np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]))
    polys = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    side = np.sqrt((x1 - x0) * (y1 - y0) / n)
    polys = shapely.segmentize(polys, side / 6)  # ~36 vertices like real digitised grids
    codes = np.char.add("G", np.arange(len(polys)).astype(str))
    return gpd.GeoDataFrame({s.CODE: codes}, geometry=polys, crs=s.STORAGE_CRS)


def make_points(n: int, rng: np.random.Generator, *, margin: float = 0.005) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = BOX
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    xy = np.column_stack([rng.uniform(x0 - dx, x1 + dx, n), rng.uniform(y0 - dy, y1 + dy, n)])
    return gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=shapely.points(xy), crs=s.STORAGE_CRS)


def _timed(func, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t)
    return best, out


def bench_points(n_points: int, n_grids: int, *, repeat: int, rng: np.random.Generator) -> list[dict]:
    grids = make_grids(n_grids, rng)
    points = make_points(n_points, rng)
    pts = np.asarray(points.geometry.values)
    polys = np.asarray(grids.geometry.values)
    floors = {
        "bare tree on grids, query points (intersects)":
            lambda: shapely.STRtree(polys).query(pts, predicate="intersects"),
        "bare tree on points, query grids (intersects)":
            lambda: shapely.STRtree(pts).query(polys, predicate="intersects"),
    }
    rows, times = [], {}
    for name, func in floors.items():
        times[name], _ = _timed(func, repeat)
    floor = min(times.values())
    for name, sec in times.items():
        rows.append({"task": f"points {n_points:,} x grids {n_grids:,}: {name}", "seconds": sec, "ratio": sec / floor})
    sec, res = _timed(lambda: assign_points(points, grids, id_col="pid", max_distance_m=2000), repeat)
    outside = int((res[s.METHOD] != "within").sum())
    rows.append({"task": f"points {n_points:,} x grids {n_grids:,}: assign_points (tie rule + nearest for "
                         f"{outside:,} outside)", "seconds": sec, "ratio": sec / floor})
    rows[-1]["peak_mb"] = _peak_mb()
    return rows


def make_staffing_case(n_vol: int, n_grid: int, rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    grids = make_grids(n_grid, rng)
    grids[s.LEVEL] = np.where(rng.random(len(grids)) < 0.9, s.LEVEL_MICRO, s.LEVEL_GENERAL)
    vols = make_points(n_vol, rng, margin=0.0).rename(columns={"pid": s.VOLUNTEER_ID})
    vols[s.VOLUNTEER_ID] = np.char.add("V", vols[s.VOLUNTEER_ID].to_numpy().astype(str))
    vols[s.CAPACITY] = rng.integers(1, 4, len(vols))
    return vols, grids


def lp_objective(problem: dict[str, np.ndarray], *, max_distance_m: float | None = None
                 ) -> tuple[float, float, int]:
    """HiGHS LP optimum of the same flow: (objective, seconds, arcs).

    Without ``max_distance_m`` on the solver's final arcs; with it on every pair within that
    distance (cost = rounded metres: the bench sets no discounts, skills or earlier rows).
    """
    v, g, cost = problem["arc_v"], problem["arc_g"], problem["arc_cost"]
    if max_distance_m is not None:
        pairs = cKDTree(problem["g_xy"]).query_ball_point(problem["v_xy"], max_distance_m)
        v = np.repeat(np.arange(len(pairs)), [len(p) for p in pairs])
        g = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
        keep = (problem["v_cap"][v] > 0) & (problem["g_dem"][g] > 0)
        v, g = v[keep], g[keep]
        cost = np.rint(np.hypot(*(problem["v_xy"][v] - problem["g_xy"][g]).T)).astype(np.int64)
    v_cap, g_dem = problem["v_cap"], problem["g_dem"]
    nv, ng, na = len(v_cap), len(g_dem), len(v)
    big = problem["short_penalty"]
    c = np.concatenate([cost, np.full(ng, big)]).astype(float)
    a_ub = sp.csr_matrix((np.ones(na), (v, np.arange(na))), shape=(nv, na + ng))
    a_eq = sp.hstack([sp.csr_matrix((np.ones(na), (g, np.arange(na))), shape=(ng, na)), sp.identity(ng)]).tocsr()
    rows_ub, b_ub = [a_ub], [v_cap]
    if problem.get("lead_cap") is not None:
        micro = problem["micro"][g]
        rows_ub.append(sp.csr_matrix((np.ones(micro.sum()), (v[micro], np.flatnonzero(micro))), shape=(nv, na + ng)))
        b_ub.append(problem["lead_cap"])
    t = time.perf_counter()
    lp = linprog(c, A_ub=sp.vstack(rows_ub).tocsr(), b_ub=np.concatenate(b_ub), A_eq=a_eq, b_eq=g_dem,
                 bounds=[(0, 1)] * na + [(0, None)] * ng, method="highs")
    assert lp.status == 0, lp.message
    return float(lp.fun), time.perf_counter() - t, na


def bench_staffing(n_vol: int, n_grid: int, *, rng: np.random.Generator, check_lp: bool,
                   max_distance_m: float | None = None, one_leadership: bool = False) -> list[dict]:
    vols, grids = make_staffing_case(n_vol, n_grid, rng)
    opts = StaffingOptions(max_distance_m=max_distance_m, one_leadership=one_leadership)
    t, cpu = time.perf_counter(), time.process_time()
    res = solve_staffing(vols, grids, options=opts)
    sec, cpu = time.perf_counter() - t, time.process_time() - cpu
    label = f"staffing {n_vol:,} volunteers x {n_grid:,} grids ({res.stats['arcs']:,} arcs"
    label += f", max {max_distance_m:.0f} m" if max_distance_m else ""
    label += ", one leadership" if one_leadership else ""
    label += f"; {res.stats['proof']}, {res.stats['rounds']} round{'s' if res.stats['rounds'] > 1 else ''})"
    row = {"task": label + f", {res.stats['filled']:,}/{res.stats['places']:,} filled",
           "seconds": sec, "ratio": sec / 5.0, "peak_mb": _peak_mb(), "cpu_s": cpu}
    rows = [row]
    if check_lp:
        checks = [("the same arcs", None)] + ([(f"every pair within {max_distance_m:.0f} m", max_distance_m)]
                                              if max_distance_m else [])
        for what, reach in checks:
            lp_cost, lp_sec, n_arcs = lp_objective(res.problem, max_distance_m=reach)
            same = "EQUAL" if abs(lp_cost - res.solver_cost) < 0.5 else "DIFFERENT"
            rows.append({"task": f"  HiGHS LP on {what} ({n_arcs:,} arcs): objective {lp_cost:,.0f} vs flow "
                                 f"{res.solver_cost:,} ({same})",
                         "seconds": lp_sec, "ratio": lp_sec / sec, "peak_mb": _peak_mb()})
    return rows


def make_city_staffing_case(n_vol: int, n_grid: int, rng: np.random.Generator, *, grids_per_community: int = 35
                            ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A Chengdu-size synthetic staffing case in metres (EPSG:32648), made here with numpy (issue #14).

    Communities are centres spread over a square (120 km a side at 140,000 grids, scaled by
    sqrt(grids)); grids and homes scatter around their community's centre (600 m / 700 m
    standard deviation), 90 % micro-grids, capacity 1 or 2, every row with its community code.
    Grid geometries are their centroids (the solver only reads centroids).
    """
    side = 120_000.0 * np.sqrt(n_grid / 140_000)
    n_comm = max(n_grid // grids_per_community, 1)
    centre = rng.uniform(0, side, (n_comm, 2))
    g_comm = rng.integers(0, n_comm, n_grid)
    v_comm = g_comm[rng.integers(0, n_grid, n_vol)]
    origin = np.array([350_000.0, 3_350_000.0])
    gxy = centre[g_comm] + rng.normal(0, 600, (n_grid, 2)) + origin
    vxy = centre[v_comm] + rng.normal(0, 700, (n_vol, 2)) + origin
    grids = gpd.GeoDataFrame({s.CODE: np.char.add("G", np.arange(n_grid).astype(str)),
                              s.LEVEL: np.where(rng.random(n_grid) < 0.9, s.LEVEL_MICRO, s.LEVEL_GENERAL),
                              s.COMMUNITY_CODE: np.char.add("C", g_comm.astype(str))},
                             geometry=shapely.points(gxy), crs=s.METRIC_CRS)
    vols = gpd.GeoDataFrame({s.VOLUNTEER_ID: np.char.add("V", np.arange(n_vol).astype(str)),
                             s.CAPACITY: rng.integers(1, 3, n_vol), s.COMMUNITY_CODE: np.char.add("C", v_comm.astype(str)),
                             s.PARTY_MEMBER: rng.random(n_vol) < 0.3},
                            geometry=shapely.points(vxy), crs=s.METRIC_CRS)
    return vols, grids


def bench_city_staffing(n_vol: int, n_grid: int, *, rng: np.random.Generator, same_community_only: bool,
                        party: bool = False, block_grids: int = 5_000, workers: int = 1) -> list[dict]:
    """Staffing at city scale, decomposed (communities with the same-community rule, else spatial blocks)."""
    vols, grids = make_city_staffing_case(n_vol, n_grid, rng)
    opts = StaffingOptions(max_distance_m=5000, one_leadership=True, same_community_only=same_community_only,
                           party_member_per_micro=party, block_grids=block_grids, workers=workers)
    t, cpu = time.perf_counter(), time.process_time()
    res = solve_staffing(vols, grids, options=opts)
    sec, cpu = time.perf_counter() - t, time.process_time() - cpu
    st = res.stats
    label = (f"city staffing {n_vol:,} volunteers x {n_grid:,} grids, max 5000 m, one leadership"
             f"{', same community only' if same_community_only else ''}{', party member per micro-grid' if party else ''}"
             f" ({st['arcs']:,} arcs; {st['decomposition']}: {st['blocks']} blocks, {st.get('groups', 1)} solved"
             f"{f' in {workers} processes' if workers > 1 else ''}, "
             f"proof {st['proof']}, {st['rounds']} rounds), {st['filled']:,}/{st['places']:,} filled")
    return [{"task": label, "seconds": sec, "ratio": sec / 60.0, "peak_mb": _peak_mb(), "cpu_s": cpu}]


def _print(rows: list[dict]) -> None:
    df = pd.DataFrame(rows)
    with pd.option_context("display.max_colwidth", 200, "display.width", 250):
        print(df.to_string(index=False, formatters={"seconds": "{:.2f}".format, "ratio": "{:.2f}".format,
                                                     "cpu_s": lambda v: "" if pd.isna(v) else f"{v:.2f}",
                                                     "peak_mb": lambda v: "" if pd.isna(v) else f"{v:,.0f}"}))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a table (seconds, ratio to the floor or budget, peak RSS in MB)."""
    parser = argparse.ArgumentParser(prog="python -m bench.assign")
    parser.add_argument("--scale", choices=["chongzhou", "city", "all"], default="all")
    parser.add_argument("--points-only", action="store_true")
    parser.add_argument("--staffing-only", action="store_true")
    parser.add_argument("--lp-size", default="10000x2000", help="volunteers x grids for the LP check, or 'full'")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--city-staffing", default=None,
                        help="volunteers x grids of the city staffing rows (e.g. 500000x140000) and nothing else")
    parser.add_argument("--blocks", action="store_true", help="city staffing also without the same-community rule")
    parser.add_argument("--workers", type=int, default=1, help="processes solving city staffing blocks")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows: list[dict] = []
    if args.city_staffing:
        nv, ng = (int(x) for x in args.city_staffing.split("x"))
        rows += bench_city_staffing(nv, ng, rng=np.random.default_rng(0), same_community_only=True,
                                    workers=args.workers)
        if args.blocks:
            rows += bench_city_staffing(nv, ng, rng=np.random.default_rng(0), same_community_only=False,
                                        workers=args.workers)
        print("ratio: time / 60 s budget (issue #14: staffing 500k x 140k, exact, < 60 s)")
        _print(rows)
        return
    if not args.staffing_only:
        if args.scale in ("chongzhou", "all"):
            rows += bench_points(250_000, 5_000, repeat=args.repeat, rng=rng)
        if args.scale in ("city", "all"):
            rows += bench_points(1_000_000, 100_000, repeat=args.repeat, rng=rng)
    if not args.points_only:
        full = args.lp_size == "full"
        rows += bench_staffing(50_000, 10_000, rng=rng, check_lp=full)
        rows += bench_staffing(50_000, 10_000, rng=rng, check_lp=False, one_leadership=True)
        rows += bench_staffing(50_000, 10_000, rng=rng, check_lp=False, max_distance_m=1500)
        if not full:
            nv, ng = (int(x) for x in args.lp_size.split("x"))
            rows += bench_staffing(nv, ng, rng=rng, check_lp=True)
            rows += bench_staffing(nv // 5, ng, rng=rng, check_lp=True, max_distance_m=1500, one_leadership=True)
    print("ratio: point rows = time / fastest bare STRtree.query (target <= 1.3); staffing rows = time / 5 s "
          "budget (target < 1); LP rows = LP time / flow time; cpu_s = process CPU seconds (steadier on a "
          "shared machine)")
    _print(rows)


if __name__ == "__main__":
    main()
