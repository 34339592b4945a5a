"""Coverage speed: fast service reach vs a naive union-of-buffers overlay, plus siting.

Run: ``.venv/bin/python -m bench.coverage`` (defaults: 10,000 Voronoi grids x 2,000
service points x radii 300/500/1000 m on a synthetic 1,090 km2 county, 250k
households). ``--quick`` runs a tenth of the size. Goal: the fast path < 10 s for all
three radii. Synthetic data is generated here; the demo is not needed.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import shapely

from geo.coverage import nearest_site_distance, reach_area_shares
from geo.siting import coverage_matrix, solve_mclp

SIDE_M = 33_000.0  # ~1,090 km2, Chongzhou's size


def synthetic_grids(n: int, *, seed: int = 0) -> np.ndarray:
    """``n`` Voronoi polygons tiling a square county (metres)."""
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, SIDE_M, (n, 2)))
    extent = shapely.box(0, 0, SIDE_M, SIDE_M)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=extent))
    return shapely.intersection(cells, extent)


def naive_shares(grids: np.ndarray, site_xy: np.ndarray, radius_m: float) -> np.ndarray:
    """Union every buffer, then intersect every grid with the union (the slow baseline)."""
    union = shapely.union_all(shapely.buffer(shapely.points(site_xy), radius_m, quad_segs=32))
    return shapely.area(shapely.intersection(grids, union)) / shapely.area(grids)


def _time(func, *args, **kwargs):
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return time.perf_counter() - start, out


def run_reach(n_grids: int, n_points: int, radii: list[float], *, naive: bool) -> list[tuple]:
    grids = synthetic_grids(n_grids)
    rng = np.random.default_rng(1)
    sites = rng.uniform(0, SIDE_M, (n_points, 2))
    rows = []
    for radius in radii:
        fast_s, fast = _time(reach_area_shares, grids, sites, radius)
        if naive:
            slow_s, slow = _time(naive_shares, grids, sites, radius)
            diff = float(np.abs(fast - slow).max())
        else:
            slow_s, diff = float("nan"), float("nan")
        rows.append((radius, fast_s, slow_s, slow_s / fast_s, diff, float((fast >= 0.99).mean())))
    return rows


def run_households(n_households: int, n_points: int, radii: list[float]) -> float:
    rng = np.random.default_rng(2)
    hh = rng.uniform(0, SIDE_M, (n_households, 2))
    sites = rng.uniform(0, SIDE_M, (n_points, 2))
    elapsed, dist = _time(nearest_site_distance, hh, sites, max_distance_m=max(radii))
    assert np.isfinite(dist).any()
    return elapsed


def run_siting(n_demand: int, n_sites: int, radius_m: float, method: str, *, side_m: float = 4000) -> tuple:
    """Clustered demand (villages of 150 points) on a ``side_m`` square; candidates = demand points."""
    rng = np.random.default_rng(4)
    centres = rng.uniform(0, side_m, (max(3, n_demand // 150), 2))
    demand = np.vstack([c + rng.normal(0, 150, (150, 2)) for c in centres])[:n_demand]
    weights = rng.integers(1, 20, len(demand)).astype(float)
    build_s, cover = _time(coverage_matrix, demand, demand, radius_m)
    solve_s, result = _time(solve_mclp, cover, weights, n_sites, method=method)
    return len(demand), cover.nnz, build_s, solve_s, result


def main() -> None:
    """Print the benchmark tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=2_000)
    parser.add_argument("--households", type=int, default=250_000)
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("--no-naive", action="store_true", help="skip the slow baseline")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # rows appear as they are measured
    scale = 10 if args.quick else 1
    radii = [300.0, 500.0, 1000.0]
    n_grids, n_points = args.grids // scale, args.points // scale
    print(f"Service reach: {n_grids} grids x {n_points} points, one core")
    print(f"{'radius_m':>8} {'fast_s':>8} {'naive_s':>8} {'ratio':>7} {'max|diff|':>10} {'full>=99%':>9}")
    rows = run_reach(n_grids, n_points, radii, naive=not args.no_naive)
    for radius, fast_s, slow_s, ratio, diff, full in rows:
        print(f"{radius:>8.0f} {fast_s:>8.2f} {slow_s:>8.2f} {ratio:>6.1f}x {diff:>10.2e} {full:>9.1%}")
    total_fast = sum(r[1] for r in rows)
    total_slow = sum(r[2] for r in rows)
    print(f"{'all':>8} {total_fast:>8.2f} {total_slow:>8.2f} {total_slow / total_fast:>6.1f}x"
          f"   goal < 10 s: {'met' if total_fast < 10 else 'MISSED'}")
    hh_s = run_households(args.households // scale, n_points, radii)
    print(f"\nHouseholds: nearest point for {args.households // scale} households: {hh_s:.2f} s "
          f"(shared by all radii)")
    print("\nSiting (maximal covering, 10 sites, radius 300 m): community-sized (4 km) and county-wide")
    print(f"{'method':>7} {'demand':>7} {'pairs':>9} {'build_s':>8} {'solve_s':>8} {'covered':>9} "
          f"{'bound':>9} {'gap':>6}")
    cases = ((600, "milp", 4000), (600, "greedy", 4000), (1_500, "milp", 4000), (1_500, "greedy", 4000),
             (30_000 // scale, "greedy", SIDE_M))
    for n_demand, method, side in cases:
        n, nnz, build_s, solve_s, res = run_siting(n_demand, 10, 300, method, side_m=side)
        print(f"{method:>7} {n:>7} {nnz:>9} {build_s:>8.2f} {solve_s:>8.2f} {res.covered:>9.0f} "
              f"{res.upper_bound:>9.0f} {res.gap:>6.2%}")


if __name__ == "__main__":
    main()
