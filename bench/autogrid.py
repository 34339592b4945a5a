"""Benchmark: auto-grid a Chongzhou-scale county (172 communities, ~20k buildings, ~250k households).

Run:  .venv/bin/python -m bench.autogrid [--communities 172] [--seed 0]
Synthetic data made here (not the demo): square-ish communities on a 14 x 13 block,
buildings clustered (apartment blocks and rural settlements), a few towers above the band.
Prints a table of figures and ratios.
"""
from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from geo import schema as s
from geo.autogrid import autogrid_community, summarise_households


def synthetic_county(n_comm: int, seed: int):
    """Communities (2 km squares, jittered) with clustered buildings, in UTM 48N metres."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n_comm)))
    out = []
    for k in range(n_comm):
        x0, y0 = 400_000 + (k % cols) * 2000, 3_390_000 + (k // cols) * 2000
        poly = shapely.box(x0, y0, x0 + 2000, y0 + 2000)
        urban = rng.random() < 0.45
        target = rng.integers(1800, 3000) if urban else rng.integers(650, 1200)
        xy, hh, total = [], [], 0
        while total < target:
            c = rng.uniform((x0 + 100, y0 + 100), (x0 + 1900, y0 + 1900))
            n = int(rng.integers(4, 14) if urban else rng.integers(5, 30))
            pts = np.clip(c + rng.normal(0, 50, (n, 2)), (x0 + 1, y0 + 1), (x0 + 1999, y0 + 1999))
            h = rng.choice([24, 36, 48, 60, 72], n) if urban else rng.integers(2, 10, n)
            if urban and rng.random() < 0.03:
                h[0] = 150
            xy.append(pts)
            hh.append(h)
            total += int(h.sum())
        xy = np.concatenate(xy).round(1)
        out.append((poly, gpd.GeoDataFrame({s.HOUSEHOLDS_N: np.concatenate(hh)},
                                           geometry=shapely.points(xy), crs=s.METRIC_CRS)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="auto-gridding benchmark")
    parser.add_argument("--communities", type=int, default=172)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    county = synthetic_county(args.communities, args.seed)
    n_bld = sum(len(b) for _, b in county)
    n_hh = int(sum(b[s.HOUSEHOLDS_N].sum() for _, b in county))
    start = time.perf_counter()
    micro_h, single, general_h = [], [], []
    for k, (poly, bld) in enumerate(county):
        grids, _, rep = autogrid_community(poly, bld, community_code=f"C{k:03d}", seed=args.seed)
        micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
        micro_h += micro[s.HOUSEHOLDS_N].tolist()
        overs = {n["households"] for n in rep["notes"] if n["kind"] == "single_building_over"}
        single += [h in overs and h > 100 for h in micro[s.HOUSEHOLDS_N]]
        general_h += grids.loc[grids[s.LEVEL] == s.LEVEL_GENERAL, s.HOUSEHOLDS_N].tolist()
    seconds = time.perf_counter() - start
    m = summarise_households(np.array(micro_h), lo=30, hi=100, single_over=np.array(single))
    g = summarise_households(np.array(general_h), lo=300, hi=500)
    rows = [
        ("communities", args.communities), ("buildings", n_bld), ("households", n_hh),
        ("micro-grids", m["grids"]), ("general grids", g["grids"]),
        ("time s", f"{seconds:.1f}"), ("time / goal (60 s)", f"{seconds / 60:.2f}"),
        ("buildings / s", f"{n_bld / seconds:.0f}"),
        ("micro min/median/max", f"{m['min']}/{m['median']:g}/{m['max']}"),
        ("micro share in 30-100", f"{m['share_in_band']:.4f}"),
        ("micro share in band excl. single big buildings", f"{m['share_in_band_excl_single']:.4f}"),
        ("single buildings above band", m["single_over"]),
        ("general min/median/max", f"{g['min']}/{g['median']:g}/{g['max']}"),
        ("general share in 300-500", f"{g['share_in_band']:.4f}"),
        ("micro per general", f"{m['grids'] / max(g['grids'], 1):.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
