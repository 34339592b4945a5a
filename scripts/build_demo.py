"""Build the bundled Chongzhou demo in data/chongzhou/ from the real source files plus seeded synthetic parts.

Usage:  .venv/bin/python scripts/build_demo.py [--out data/chongzhou] [--seed 3]

Real (data/chongzhou/source/, see PROVENANCE.md): county outline, the 15 towns and 172
communities with their NBS codes and names, 2016 pre-merge township points.
Synthetic (示意, every feature has illustrative=true): town and community polygons grown
from those points, building points with household counts, micro/general grids made by
``geo.autogrid``, dedicated grids, volunteers (fake phone numbers 1700000xxxx) and
service points. The output is text (GeoJSON, CSV) and byte-identical on every run.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo import schema as s  # noqa: E402
from geo.autogrid import autogrid_community  # noqa: E402
from geo.partition import (  # noqa: E402
    adjacency, dissolve, explode_owned, fill_unlabelled, grow_regions, make_contiguous,
    neighbour_table, node_coverage, voronoi_cells,
)

SEED = 3
SOURCE = ROOT / "data" / "chongzhou" / "source"
OUT = ROOT / "data" / "chongzhou"
DECIMALS = 6
LATTICE_M = 220.0
TO_M = Transformer.from_crs(s.STORAGE_CRS, s.METRIC_CRS, always_xy=True)
TO_LL = Transformer.from_crs(s.METRIC_CRS, s.STORAGE_CRS, always_xy=True)

URBAN_CORE = ("崇阳街道", "崇庆街道")
MOUNTAIN = ("文井江镇", "街子镇", "怀远镇")
# where 崇庆街道 (no 2016 namesake) is placed: in the city core, south-east of the 2016 崇阳 point
CHONGQING_SEED_LONLAT = (103.6845, 30.6265)
TOWN_SPEED = {"崇阳街道": 0.6, "崇庆街道": 0.6}
SHEQU_SPEED, CUN_SPEED = 0.32, 1.0

DEDICATED = [  # (town, kind, name, width_m, height_m)
    ("崇阳街道", "学校", "崇阳街道某小学（示意）", 180, 140),
    ("崇阳街道", "医院", "崇州市某医院（示意）", 260, 200),
    ("崇阳街道", "公园", "城区公园（示意）", 300, 240),
    ("崇庆街道", "学校", "崇庆街道某中学（示意）", 260, 180),
    ("羊马街道", "产业园区", "羊马产业园区（示意）", 1400, 900),
    ("三江街道", "学校", "三江街道某小学（示意）", 160, 130),
    ("怀远镇", "学校", "怀远镇某中学（示意）", 220, 160),
    ("元通镇", "医院", "元通镇卫生院（示意）", 150, 120),
    ("隆兴镇", "企业", "隆兴镇某企业（示意）", 300, 220),
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志云峰辉鹏文斌宇浩凯琳雪梅婷欣怡俊")
SKILLS = ("医疗", "法律", "心理疏导", "应急救援", "电工维修", "文艺", "教育", "助老", "信息技术", "矛盾调解")


# --- reading the real files -------------------------------------------------------------

def read_csv(name: str) -> list[dict[str, str]]:
    with open(SOURCE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def to_metric(lonlat: np.ndarray) -> np.ndarray:
    x, y = TO_M.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def county_metric() -> shapely.Polygon:
    data = json.loads((SOURCE / "chongzhou_county_outline_wgs84.geojson").read_text(encoding="utf-8"))
    geom = shapely.geometry.shape(data["features"][0]["geometry"])
    return shapely.transform(geom, to_metric)


def town_seed_points(towns: list[dict], villages: list[dict], premerge: list[dict]) -> dict[str, list]:
    """Current town code -> 2016 township points (lon, lat): its namesake first, then merged townships.

    A merged 2016 township goes to the current town holding most of its same-name villages.
    """
    points = {r["code12"]: (float(r["lon_wgs84"]), float(r["lat_wgs84"]))
              for r in premerge if r["level"] == "town"}
    names = {r["code12"]: r["name_short"] for r in premerge if r["level"] == "town"}
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for v in villages:
        if v["same_name_2016_code12"]:
            votes[v["same_name_2016_code12"][:6] + v["same_name_2016_code12"][6:9] + "000"][v["town_code12"]] += 1
    seeds: dict[str, list] = {t["code12"]: [] for t in towns}
    for t in towns:
        if t["premerge_same_name_code12"]:
            seeds[t["code12"]].append(points[t["premerge_same_name_code12"]])
        else:
            seeds[t["code12"]].append(CHONGQING_SEED_LONLAT)
    namesakes = {t["premerge_same_name_code12"] for t in towns}
    for code in sorted(points):
        if code in namesakes or code[6:] == "000000":
            continue
        if votes.get(code):
            best = max(sorted(votes[code]), key=lambda c: votes[code][c])
            seeds[best].append(points[code])
        else:
            print(f"  2016 township {names[code]} has no successor; not used", file=sys.stderr)
    return seeds


# --- towns and communities -----------------------------------------------------------------

def lattice(county: shapely.Polygon, rng: np.random.Generator):
    x0, y0, x1, y1 = county.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, LATTICE_M), np.arange(y0, y1, LATTICE_M))
    xy = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.3, 0.3, (gx.size, 2)) * LATTICE_M
    xy = xy[shapely.contains_xy(county, xy[:, 0], xy[:, 1])]
    cells = voronoi_cells(xy, county)
    parts, owner = explode_owned(cells, xy)
    centres = shapely.get_coordinates(shapely.point_on_surface(parts))
    table = neighbour_table(len(parts), *adjacency(parts))
    return parts, centres, table


def nearest_node(centres: np.ndarray, xy: np.ndarray, taken: set[int] | None = None,
                 allowed: np.ndarray | None = None) -> int:
    d = np.hypot(*(centres - xy).T)
    if allowed is not None:
        d = np.where(allowed, d, np.inf)
    for k in np.argsort(d, kind="stable"):
        if taken is None or int(k) not in taken:
            return int(k)
    msg = "no free lattice node"
    raise RuntimeError(msg)


def grow_towns(towns, seeds_ll, centres, table, weights):
    seeds, taken = [], set()
    for t_idx, town in enumerate(towns):
        speed = TOWN_SPEED.get(town["name"], 1.0)
        for lonlat in seeds_ll[town["code12"]]:
            node = nearest_node(centres, to_metric(np.array([lonlat]))[0], taken)
            taken.add(node)
            seeds.append((node, t_idx, speed))
    labels = grow_regions(centres, table, seeds)
    labels = fill_unlabelled(labels, table)
    labels, _ = make_contiguous(labels, table, weights)
    return labels


def community_seeds(town, comms, seat_xy, nodes, centres, known_xy, rng, taken):
    """(node, community index, speed) seeds for one town's communities."""
    allowed = np.zeros(len(centres), dtype=bool)
    allowed[nodes] = True
    seeds = []
    urban = town["kind"] == "街道"
    sigma = 900.0 if town["name"] in URBAN_CORE else (1300.0 if urban else 600.0)
    dist_seat = np.hypot(*(centres[nodes] - seat_xy).T)
    for c_idx, comm in comms:
        if comm["code12"] in known_xy:
            node = nearest_node(centres, known_xy[comm["code12"]], taken, allowed)
        elif comm["kind"] == "社区":
            node = nearest_node(centres, seat_xy + rng.normal(0, sigma, 2), taken, allowed)
        else:
            far = dist_seat / dist_seat.max() if dist_seat.max() > 0 else np.ones(len(nodes))
            p = (far + 0.05) ** 1.5
            free = np.array([n not in taken for n in nodes])
            p = np.where(free, p, 0)
            for _ in range(50):  # keep villages apart
                cand = int(rng.choice(nodes, p=p / p.sum()))
                if all(np.hypot(*(centres[cand] - centres[o[0]])) > 1500 for o in seeds):
                    break
            node = cand
        taken.add(node)
        seeds.append((node, c_idx, SHEQU_SPEED if comm["kind"] == "社区" else CUN_SPEED))
    return seeds


def grow_communities(towns, villages, town_labels, seats_xy, centres, table, known_xy, rng, weights):
    labels = np.full(len(centres), -1, dtype=np.int64)
    taken: set[int] = set()
    for t_idx, town in enumerate(towns):
        nodes = np.flatnonzero(town_labels == t_idx)
        comms = [(i, v) for i, v in enumerate(villages) if v["town_code12"] == town["code12"]]
        seeds = community_seeds(town, comms, seats_xy[t_idx], nodes, centres, known_xy, rng, taken)
        sub = [{nb: w for nb, w in table[n].items() if town_labels[nb] == t_idx} for n in range(len(centres))]
        grown = grow_regions(centres, sub, seeds)
        grown = np.where(town_labels == t_idx, grown, -1)
        labels = np.where(town_labels == t_idx, grown, labels)
    labels = fill_town_local(labels, town_labels, table)
    labels, _ = make_contiguous(labels, [{nb: w for nb, w in table[n].items()
                                          if town_labels[nb] == town_labels[n]} for n in range(len(table))],
                                weights)
    return labels


def fill_town_local(labels, town_labels, table):
    local = [{nb: w for nb, w in table[n].items() if town_labels[nb] == town_labels[n]} for n in range(len(table))]
    return fill_unlabelled(labels, local)


# --- buildings ---------------------------------------------------------------------------

def community_households(town, comm, rng) -> int:
    if comm["kind"] == "社区":
        if town["name"] in URBAN_CORE:
            return int(rng.integers(2400, 3700))
        if town["kind"] == "街道":
            return int(rng.integers(1500, 2500))
        return int(rng.integers(950, 1700))
    if town["name"] in MOUNTAIN:
        return int(rng.integers(320, 650))
    return int(rng.integers(560, 1080))


def random_inside(poly, rng, n, centre=None, sigma=None) -> np.ndarray:
    """``n`` points inside ``poly`` (uniform, or Gaussian around ``centre``)."""
    x0, y0, x1, y1 = poly.bounds
    out = []
    while sum(len(o) for o in out) < n:
        if centre is None:
            xy = rng.uniform((x0, y0), (x1, y1), (max(4 * n, 16), 2))
        else:
            xy = centre + rng.normal(0, sigma, (max(2 * n, 16), 2))
        out.append(xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])])
    return np.concatenate(out)[:n]


def make_buildings(town, comm, poly, rng) -> tuple[np.ndarray, np.ndarray]:
    """Building points (metres) and household counts for one community."""
    target = community_households(town, comm, rng)
    if 500 < target < 620:  # no split into general grids of 300-500 exists: keep demo totals splittable
        target += 120
    inner = poly.buffer(-3.0)
    if inner.is_empty:
        inner = poly
    shapely.prepare(inner)
    xy_all, hh_all = [], []
    total = 0
    if comm["kind"] == "社区":
        apartment_share = 0.7 if town["kind"] == "街道" else 0.45
        sizes_apart = (24, 36, 48, 60, 72, 90)
    else:
        apartment_share = 0.0
        sizes_apart = (24,)
    while total < target:
        is_apart = rng.random() < apartment_share
        centre = random_inside(inner, rng, 1)[0]
        if is_apart:
            n = int(rng.integers(3, 14))
            hh = rng.choice(sizes_apart, n).astype(int)
            if rng.random() < 0.04:
                hh[0] = int(rng.integers(105, 170))  # a tower above the micro-grid band
            sigma = 45.0
        else:
            n = int(rng.integers(5, 35))
            hh = rng.integers(2, 11 if comm["kind"] == "社区" else 10, n)
            sigma = 70.0 if comm["kind"] == "村" else 40.0
        xy = random_inside(inner, rng, n, centre, sigma)
        xy_all.append(xy)
        hh_all.append(hh)
        total += int(hh.sum())
    return np.concatenate(xy_all), np.concatenate(hh_all)


def thin_and_round(xy: np.ndarray, hh: np.ndarray, *, min_gap_m: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Round to the stored precision, and merge buildings closer than ``min_gap_m`` into one."""
    ll = np.column_stack(TO_LL.transform(xy[:, 0], xy[:, 1])).round(DECIMALS)
    xy = to_metric(ll)
    keep = np.ones(len(xy), dtype=bool)
    hh = hh.astype(int).copy()
    for a, b in sorted(cKDTree(xy).query_pairs(min_gap_m)):
        if keep[a] and keep[b]:
            keep[b] = False
            hh[a] += hh[b]
    return xy[keep], hh[keep]


def place_dedicated(towns, villages, comm_polys, rng):
    """Dedicated-grid boxes inside an urban community of the named town (in metres)."""
    out = []
    for town_name, kind, name, w, h in DEDICATED:
        tcode = next(t["code12"] for t in towns if t["name"] == town_name)
        cands = [i for i, v in enumerate(villages) if v["town_code12"] == tcode
                 and (v["kind"] == "社区" or kind == "产业园区")]
        for _ in range(2000):
            ci = int(rng.choice(cands))
            poly = comm_polys[ci]
            c = random_inside(poly, rng, 1)[0]
            box = shapely.box(c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2)
            if poly.buffer(-40).contains(box) and not any(box.buffer(60).intersects(o[2]) for o in out):
                out.append((ci, {"kind": kind, "name": name}, box))
                break
    return out


# --- people and places -------------------------------------------------------------------

def fake_name(rng) -> str:
    return str(rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN, int(rng.integers(1, 3))))


def make_volunteers(villages, town_by_code, bld, rng, n=6000) -> pd.DataFrame:
    w = bld[s.HOUSEHOLDS_N].to_numpy(float)
    homes = rng.choice(len(bld), n, p=w / w.sum())
    phones = rng.choice(10_000, n, replace=False)
    comm_name = {v["code12"]: v["name_short"] for v in villages}
    rows = []
    for k in range(n):
        b = bld.iloc[int(homes[k])]
        cc = b[s.COMMUNITY_CODE]
        tier = str(rng.choice(s.TIERS, p=[0.1, 0.25, 0.65]))
        skills = ";".join(sorted(rng.choice(SKILLS, int(rng.integers(0, 3)), replace=False).tolist()))
        rows.append({
            s.VOLUNTEER_ID: f"V{k + 1:05d}", s.NAME: fake_name(rng), s.PHONE: f"1700000{phones[k]:04d}",
            s.ADDRESS: f"{town_by_code[cc[:9] + '000']}{comm_name[cc]}{int(rng.integers(1, 30))}组{int(rng.integers(1, 120))}号",
            s.TIER: tier, s.PARTY_MEMBER: bool(rng.random() < 0.62), s.SKILLS: skills,
            s.CAPACITY: int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1])), s.COMMUNITY_CODE: cc,
            s.ILLUSTRATIVE: True, "x": b["x"] + rng.normal(0, 8), "y": b["y"] + rng.normal(0, 8),
        })
    return pd.DataFrame(rows)


def make_service_points(towns, villages, comm_polys, bld, seats_xy, rng) -> pd.DataFrame:
    rows = []
    by_comm = {cc: g for cc, g in bld.groupby(s.COMMUNITY_CODE, sort=True)}
    town_idx = {t["name"]: i for i, t in enumerate(towns)}

    def near_buildings(cc, spread=15.0):
        g = by_comm[cc]
        b = g.iloc[int(rng.integers(len(g)))]
        return float(b["x"] + rng.normal(0, spread)), float(b["y"] + rng.normal(0, spread))

    def add(ptype, name, cc, xy):
        poly = comm_polys[[v["code12"] for v in villages].index(cc)]
        if not poly.buffer(-2).contains(shapely.Point(xy)):
            xy = shapely.get_coordinates(poly.buffer(-2).point_on_surface())[0]
        rows.append({s.POINT_ID: f"P{len(rows) + 1:04d}", s.NAME: name, s.POINT_TYPE: ptype,
                     s.CATEGORY: ";".join(s.POINT_TYPES[ptype]), s.COMMUNITY_CODE: cc, s.ILLUSTRATIVE: True,
                     "x": xy[0], "y": xy[1]})

    def comm_at(xy, tcode):
        ids = [i for i, v in enumerate(villages) if v["town_code12"] == tcode]
        d = [comm_polys[i].distance(shapely.Point(xy)) for i in ids]
        return villages[ids[int(np.argmin(d))]]["code12"]

    for centre in ("隆兴镇", "元通镇"):
        t = towns[town_idx[centre]]
        cc = comm_at(seats_xy[town_idx[centre]], t["code12"])
        add("区域治理中心", f"{centre[:2]}区域治理中心", cc, near_buildings(cc))
    xijiang = next(v for v in villages if v["name_short"] == "西江社区")
    add("区域治理中心", "西江区域治理中心", xijiang["code12"], near_buildings(xijiang["code12"]))
    for i, t in enumerate(towns):
        cc = comm_at(seats_xy[i], t["code12"])
        add("党群服务中心", f"{t['name']}党群服务中心", cc, near_buildings(cc))
    for v in villages:
        add("社区工作站", f"{v['name_short']}工作站", v["code12"], near_buildings(v["code12"]))
    urban = [v["code12"] for v in villages if v["kind"] == "社区" and v["town_code12"][6:9] < "100"]
    rural = [v["code12"] for v in villages if v["kind"] == "村"]
    every = [v["code12"] for v in villages]
    name_of = {v["code12"]: v["name_short"] for v in villages}
    plan = [("社区花园", urban, 5), ("社区运动角", urban, 9), ("快递物流服务点", every, 30),
            ("农副产品展示交易点", rural, 12), ("社区安全屋", every, 20), ("村民活动中心", rural, 40)]
    for ptype, pool, n in plan:
        for cc in sorted(rng.choice(pool, n, replace=False).tolist()):
            add(ptype, f"{name_of[cc]}{ptype}", cc, near_buildings(cc))
    return pd.DataFrame(rows)


# --- writing -----------------------------------------------------------------------------

def _coords(geom_ll) -> list:
    gj = json.loads(shapely.to_geojson(geom_ll))
    return gj


def to_stored(geoms_m: np.ndarray) -> np.ndarray:
    """Metric geometries to WGS 84 rounded to the stored precision."""
    return shapely.transform(np.asarray(geoms_m, dtype=object), lambda c: np.column_stack(
        TO_LL.transform(c[:, 0], c[:, 1])).round(DECIMALS))


def finalise_polygons(geoms_m: np.ndarray) -> tuple[np.ndarray, int]:
    """Round polygons to the stored precision keeping the coverage exact.

    The input is noded (shared edges carry identical vertices), so rounding moves
    shared vertices identically. Polygons that rounding made invalid (a vertex
    pair closer than the precision) are repaired (``make_valid``, structure
    method). Returns the polygons and how many needed repair.
    """
    stored = to_stored(geoms_m)
    bad = ~shapely.is_valid(stored)
    stored[bad] = shapely.make_valid(stored[bad], method="structure", keep_collapsed=False)
    return shapely.orient_polygons(stored), int(bad.sum())


def clean_micro_coverage(grid_ll: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Close the sub-decimetre slivers that rounding can leave between micro-grids.

    Two vertices closer than the stored precision (1e-6 degree) can round into a
    zero-width spike; removing it opens a sliver a few centimetres wide between two
    micro-grids. ``shapely.coverage_clean`` merges such gaps into the neighbour with the
    longest shared border and snaps vertices, keeping every coordinate on the 1e-6 grid.
    A merged sliver may lie across a community line by well under a square metre (the
    hierarchy check tolerates 50 m²). The result must pass ``coverage_is_valid``.
    """
    layer = np.isin(levels, [s.LEVEL_MICRO, s.LEVEL_DEDICATED])
    if shapely.coverage_is_valid(grid_ll[layer]):
        return grid_ll
    out = grid_ll.copy()
    out[layer] = shapely.orient_polygons(shapely.coverage_clean(
        grid_ll[layer], gap_width=2 * 10.0 ** -DECIMALS, snapping_distance=0.5 * 10.0 ** -DECIMALS))
    if not shapely.coverage_is_valid(out[layer]):
        msg = "micro-grid coverage still invalid after coverage_clean"
        raise RuntimeError(msg)
    return out


def write_geojson(path: Path, name: str, props: list[dict], geoms_ll: np.ndarray) -> None:
    """Deterministic RFC 7946 GeoJSON: WGS 84, 6 decimals, one feature per line."""
    lines = [f'{{"type":"FeatureCollection","name":"{name}","features":[']
    for k, (p, g) in enumerate(zip(props, geoms_ll)):
        feat = {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        sep = "," if k < len(props) - 1 else ""
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + sep)
    lines.append("]}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def clean_props(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = []
    for rec in df[columns].to_dict("records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, (np.integer,)):
                v = int(v)
            elif isinstance(v, (np.bool_,)):
                v = bool(v)
            elif isinstance(v, float) and np.isnan(v):
                v = None
            row[k] = v
        out.append(row)
    return out


# --- main --------------------------------------------------------------------------------

def make_admin(rng: np.random.Generator):
    """Towns and communities: real names and codes, polygons grown on a jittered lattice (metres)."""
    towns = read_csv("chongzhou_towns_2023.csv")
    villages = read_csv("chongzhou_villages_2021.csv")
    premerge = read_csv("chongzhou_divisions_2016_premerge.csv")
    county = county_metric()
    parts, centres, table = lattice(county, rng)
    unit = np.ones(len(parts))
    seeds_ll = town_seed_points(towns, villages, premerge)
    town_labels = grow_towns(towns, seeds_ll, centres, table, unit)
    seats_xy = np.array([to_metric(np.array([seeds_ll[t["code12"]][0]]))[0] for t in towns])
    by_2016 = {r["code12"]: (float(r["lon_wgs84"]), float(r["lat_wgs84"]))
               for r in premerge if r["level"] == "village" and r["lon_wgs84"]}
    known_xy = {v["code12"]: to_metric(np.array([by_2016[v["same_name_2016_code12"]]]))[0]
                for v in villages if v["same_name_2016_code12"] in by_2016}
    comm_labels = grow_communities(towns, villages, town_labels, seats_xy, centres, table, known_xy, rng, unit)
    town_of_comm = {i: next(k for k, t in enumerate(towns) if t["code12"] == v["town_code12"])
                    for i, v in enumerate(villages)}
    # a community's town is fixed by its code: align the town of every node with its community
    town_labels = np.array([town_of_comm[c] for c in comm_labels])
    comm_polys = dissolve(parts, comm_labels, len(villages))
    town_polys = dissolve(parts, town_labels, len(towns))
    return towns, villages, town_polys, comm_polys, town_of_comm, seats_xy


def make_grids(towns, villages, comm_polys, town_of_comm, rng, seed, only=None):
    """Buildings and grids of every community (or the indices in ``only``)."""
    import geopandas as gpd

    dedicated = place_dedicated(towns, villages, comm_polys, rng)
    holes = defaultdict(list)
    for ci, _, box in dedicated:
        holes[ci].append(box)
    grid_frames, bld_rows, reports = [], [], []
    for ci, v in enumerate(villages):
        if only is not None and ci not in only:
            continue
        town = towns[town_of_comm[ci]]
        parent = comm_polys[ci]
        if holes[ci]:
            parent = shapely.difference(parent, shapely.union_all(holes[ci]))
        xy, hh = make_buildings(town, v, parent, rng)
        xy, hh = thin_and_round(xy, hh)
        inside = shapely.contains_xy(parent, xy[:, 0], xy[:, 1])
        xy, hh = xy[inside], hh[inside]
        bgdf = gpd.GeoDataFrame({s.HOUSEHOLDS_N: hh}, geometry=shapely.points(xy), crs=s.METRIC_CRS)
        grids, bgrid, report = autogrid_community(
            parent, bgdf, community_code=v["code12"], town_code=town["code12"], community_kind=v["kind"],
            seed=seed + ci, name_prefix=v["name_short"])
        reports.append(report)
        for k in range(len(xy)):
            bld_rows.append({s.CODE: f"{v['code12']}-B{k + 1:04d}", s.HOUSEHOLDS_N: int(hh[k]),
                             s.COMMUNITY_CODE: v["code12"], s.GRID_CODE: bgrid.iloc[k],
                             s.ILLUSTRATIVE: True, "x": xy[k, 0], "y": xy[k, 1]})
        for n, (_, meta, box) in enumerate([d for d in dedicated if d[0] == ci]):
            row = {s.CODE: f"{v['code12']}-Z{n + 1:02d}", s.NAME: meta["name"], s.LEVEL: s.LEVEL_DEDICATED,
                   s.KIND: meta["kind"], s.PARENT_CODE: v["code12"], s.COMMUNITY_CODE: v["code12"],
                   s.TOWN_CODE: town["code12"], s.HOUSEHOLDS_N: 0, s.ILLUSTRATIVE: True}
            grids = pd.concat([grids, gpd.GeoDataFrame([row], geometry=[box], crs=s.METRIC_CRS)],
                              ignore_index=True)
        grid_frames.append(grids)
    return pd.concat(grid_frames, ignore_index=True), pd.DataFrame(bld_rows), reports


def build(out_dir: Path = OUT, seed: int = SEED) -> dict:
    """Regenerate every demo file in ``out_dir``; return the build summary."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    towns, villages, town_polys, comm_polys, town_of_comm, seats_xy = make_admin(rng)
    town_by_code = {t["code12"]: t["name"] for t in towns}
    print(f"  towns/communities: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    grids, bld, reports = make_grids(towns, villages, comm_polys, town_of_comm, rng, seed)
    print(f"  buildings+grids: {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    # node every polygon against every other so shared edges carry identical vertices
    all_geoms = np.concatenate([town_polys, comm_polys, grids.geometry.values])
    noded, repaired = finalise_polygons(node_coverage(all_geoms))
    print(f"  polygons repaired after rounding: {repaired}", file=sys.stderr)
    town_ll, comm_ll = noded[:len(towns)], noded[len(towns):len(towns) + len(villages)]
    grid_ll = clean_micro_coverage(noded[len(towns) + len(villages):], grids[s.LEVEL].to_numpy())
    print(f"  noding: {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    vols = make_volunteers(villages, town_by_code, bld, rng)
    pts = make_service_points(towns, villages, comm_polys, bld, seats_xy, rng)

    out_dir.mkdir(parents=True, exist_ok=True)
    town_props = [{s.CODE: t["code12"], s.NAME: t["name"], s.KIND: t["kind"], s.ILLUSTRATIVE: True}
                  for t in towns]
    write_geojson(out_dir / "towns.geojson", "towns", town_props, town_ll)
    comm_props = [{s.CODE: v["code12"], s.NAME: v["name_short"], s.KIND: v["kind"],
                   s.TOWN_CODE: v["town_code12"], s.ILLUSTRATIVE: True} for v in villages]
    write_geojson(out_dir / "communities.geojson", "communities", comm_props, comm_ll)
    grid_cols = [s.CODE, s.NAME, s.LEVEL, s.KIND, s.PARENT_CODE, s.COMMUNITY_CODE, s.TOWN_CODE,
                 s.HOUSEHOLDS_N, s.ILLUSTRATIVE]
    write_geojson(out_dir / "grids.geojson", "grids", clean_props(grids, grid_cols), grid_ll)
    write_geojson(out_dir / "households.geojson", "households",
                  clean_props(bld, [s.CODE, s.HOUSEHOLDS_N, s.COMMUNITY_CODE, s.ILLUSTRATIVE]),
                  to_stored(shapely.points(bld[["x", "y"]].to_numpy())))
    vol_cols = [s.VOLUNTEER_ID, s.NAME, s.PHONE, s.ADDRESS, s.TIER, s.PARTY_MEMBER, s.SKILLS, s.CAPACITY,
                s.COMMUNITY_CODE, s.ILLUSTRATIVE]
    write_geojson(out_dir / "volunteers.geojson", "volunteers", clean_props(vols, vol_cols),
                  to_stored(shapely.points(vols[["x", "y"]].to_numpy())))
    pt_cols = [s.POINT_ID, s.NAME, s.POINT_TYPE, s.CATEGORY, s.COMMUNITY_CODE, s.ILLUSTRATIVE]
    write_geojson(out_dir / "service_points.geojson", "service_points", clean_props(pts, pt_cols),
                  to_stored(shapely.points(pts[["x", "y"]].to_numpy())))
    summary = {
        "seed": seed, "towns": len(towns), "communities": len(villages),
        "buildings": len(bld), "households": int(bld[s.HOUSEHOLDS_N].sum()),
        "general_grids": int((grids[s.LEVEL] == s.LEVEL_GENERAL).sum()),
        "micro_grids": int((grids[s.LEVEL] == s.LEVEL_MICRO).sum()),
        "dedicated_grids": int((grids[s.LEVEL] == s.LEVEL_DEDICATED).sum()),
        "volunteers": len(vols), "service_points": len(pts),
    }
    (out_dir / "build_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n",
                                                encoding="utf-8")
    print(f"  total: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return summary


def file_hashes(out_dir: Path) -> dict[str, str]:
    """sha256 of every generated file (for the byte-for-byte regeneration test)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out_dir.iterdir()) if p.is_file() and p.suffix in (".geojson", ".json", ".csv")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    summary = build(args.out, args.seed)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
