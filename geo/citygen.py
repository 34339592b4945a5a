"""A deterministic synthetic city the size of Chengdu (示意), generated once into a GeoParquet cache.

Full size (``scale=1``): ~20 districts, ~260 towns, ~4,000 communities, ~14,000 general grids,
126,000 micro-grids, ~8,000,000 households, 500,000 volunteers and 20,000 service points in
a 130 x 110 km box of WGS 84 around Chengdu's centre. ``scale`` shrinks every count and the
area together (density kept); ``scale=0.01`` is the small city the tests use.

How it is made (seeded numpy, vectorised, no download):

- one lattice of ``nx x ny`` quadrilateral cells over the box, denser near the centre (cell
  sides grow ~8x towards the edge, like urban vs rural micro-grids), interior nodes jittered
  by up to 20 % of the local spacing (every cell stays convex);
- every unit at every level is a rectangle of lattice cells, split top-down (city -> districts
  -> towns -> communities -> general grids) by guillotine cuts; a micro-grid is one cell;
- a polygon's ring is every lattice node along its perimeter, so neighbours share their
  vertices exactly: each level is a valid coverage (no gap, no overlap, no T-junction) and
  the children of a unit tile it;
- households are **household points** (``households`` = 1 each), uniform in their micro-grid:
  the benchmark is stated per household (8 M points -> 126 k grids) and one row per household
  is the worst case for assignment and coverage; sums of ``households`` are the same as with
  building points. 0.2 % lie exactly on a lattice node (a corner shared by up to four grids),
  as do 1 % of service points; 0.5 % of volunteers live just outside the city (nearest fallback).

Codes follow the field kit: town ``5199DD TTT 000``, community ``5199DD TTT CCC`` (12 digits),
general grid = community + 2 digits, micro-grid = general grid + 2 digits. 5199 is no real
prefecture: every name and code is illustrative (示意).

Cache layout ``build/city/<scale>/``: ``towns``, ``communities``, ``grids``, ``volunteers``,
``service_points`` as ``<layer>.parquet`` and ``households/part.NNNN.parquet``, one file per
town in the order of the town codes (spatially sorted: the guillotine order), plus
``summary.json`` (counts, seconds, bytes). Households are written town by town, so memory
stays bounded by the grid layers plus one district's households.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import schema as s
from geo.project import Project, new_project

GENERATOR_VERSION = 1
SEED = 2022  # the year of Chengdu's micro-grid reform
ROOT = Path(__file__).resolve().parents[1] / "build" / "city"
CENTRE = (104.066, 30.657)  # Tianfu Square, WGS 84
FULL_EXTENT_M = (130_000.0, 110_000.0)  # ~14,300 km², Chengdu's area
FULL_COUNTS = {"districts": 20, "towns": 260, "communities": 4_000, "general_grids": 14_000,
               "micro_grids": 126_000, "households": 8_000_000, "volunteers": 500_000, "service_points": 20_000}
CITY_CODE = "5199"
DISTRICT_CODE = "district_code"  # towns: the district (区/县) a town belongs to (this dataset's own column)
HOUSEHOLDS_DIR = "households"
LAYER_FILES = (s.TOWNS, s.COMMUNITIES, s.GRIDS, s.VOLUNTEERS, s.SERVICE_POINTS)
NODE_SHARE_HOUSEHOLDS = 0.002
NODE_SHARE_POINTS = 0.01
OUTSIDE_SHARE_VOLUNTEERS = 0.005
JITTER = 0.2  # of the local spacing: keeps every cell convex
WARP = 0.3  # centre spacing / mean spacing
POINT_TYPE_WEIGHTS = {"区域治理中心": 1, "社区工作站": 10, "党群服务中心": 8, "农副产品展示交易点": 6,
                      "快递物流服务点": 30, "社区安全屋": 12, "村民活动中心": 10, "社区花园": 12, "社区运动角": 11}
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"))
GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌辉力鹏飞宇浩然欣怡子涵晨"))


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, *key]))


def city_dir(*, scale: float, root: Path | None = None) -> Path:
    """The cache folder of the city at ``scale`` (``build/city/<scale>``)."""
    return (root or ROOT) / f"{scale:g}"


def target_counts(scale: float) -> dict[str, int]:
    """The counts the generator aims at for ``scale`` (each at least 1)."""
    return {k: max(1, round(v * scale)) for k, v in FULL_COUNTS.items()}


# --- the lattice -------------------------------------------------------------------------

def _axis(n: int, half_m: float) -> np.ndarray:
    """``n + 1`` node offsets (metres) from -half to +half, denser at the centre."""
    u = np.linspace(-1.0, 1.0, n + 1)
    return half_m * (WARP * u + (1.0 - WARP) * u ** 3)


def lattice_nodes(nx: int, ny: int, *, scale: float) -> np.ndarray:
    """Node coordinates (lon, lat) of the ``nx x ny`` cell lattice, shape ``(nx + 1, ny + 1, 2)``."""
    width, height = (side * np.sqrt(scale) for side in FULL_EXTENT_M)
    xs, ys = _axis(nx, width / 2), _axis(ny, height / 2)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    dx = np.minimum(np.diff(xs, prepend=xs[0] - 1e9)[:, None], np.diff(xs, append=xs[-1] + 1e9)[:, None])
    dy = np.minimum(np.diff(ys, prepend=ys[0] - 1e9)[None, :], np.diff(ys, append=ys[-1] + 1e9)[None, :])
    rng = _rng(0)
    jx = rng.uniform(-JITTER, JITTER, gx.shape) * dx
    jy = rng.uniform(-JITTER, JITTER, gy.shape) * dy
    jx[[0, -1], :] = 0.0  # the outer frame stays straight
    jy[:, [0, -1]] = 0.0
    to_wgs = pyproj.Transformer.from_crs(s.METRIC_CRS, s.STORAGE_CRS, always_xy=True)
    cx, cy = pyproj.Transformer.from_crs(s.STORAGE_CRS, s.METRIC_CRS, always_xy=True).transform(*CENTRE)
    lon, lat = to_wgs.transform(cx + gx + jx, cy + gy + jy)
    return np.stack([lon, lat], axis=-1)


def _sizes(n: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``parts`` positive integers summing to ``n``, roughly equal (largest remainder)."""
    parts = max(1, min(parts, n))
    weights = rng.uniform(0.7, 1.3, parts)
    share = (n - parts) * weights / weights.sum()
    sizes = 1 + np.floor(share).astype(int)
    rest = n - sizes.sum()
    sizes[np.argsort(share - np.floor(share))[::-1][:rest]] += 1
    return sizes


def split_rect(rect: tuple[int, int, int, int], k: int, rng: np.random.Generator) -> list[tuple[int, int, int, int]]:
    """About ``k`` child rectangles tiling ``rect = (i0, i1, j0, j1)`` (cell indices), by guillotine cuts."""
    i0, i1, j0, j1 = rect
    w, h = i1 - i0, j1 - j0
    k = max(1, min(k, w * h))
    kx = int(np.clip(round(np.sqrt(k * w / h)), 1, min(k, w)))
    widths = _sizes(w, kx, rng)
    per_col = np.clip(np.round(k * widths / w).astype(int), 1, h)
    out = []
    x = i0
    for width, rows in zip(widths, per_col):
        y = j0
        for height in _sizes(h, int(rows), rng):
            out.append((x, x + int(width), y, y + int(height)))
            y += int(height)
        x += int(width)
    return out


def rect_polygons(rects: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Polygons of cell rectangles ``(i0, i1, j0, j1)``: rings through every lattice node on the perimeter."""
    i0, i1, j0, j1 = (rects[:, k] for k in range(4))
    w, h = i1 - i0, j1 - j0
    perim = 2 * (w + h)
    owner = np.repeat(np.arange(len(rects)), perim)
    step = np.arange(perim.sum()) - np.repeat(np.cumsum(perim) - perim, perim)
    w_, h_, i0_, i1_, j0_, j1_ = (a[owner] for a in (w, h, i0, i1, j0, j1))
    conds = [step < w_, step < w_ + h_, step < 2 * w_ + h_]
    i = np.select(conds, [i0_ + step, i1_, i1_ - (step - w_ - h_)], i0_)
    j = np.select(conds, [j0_, j0_ + (step - w_), j1_], j1_ - (step - 2 * w_ - h_))
    rings = shapely.linearrings(nodes[i, j], indices=owner)
    return shapely.polygons(rings)


# --- the hierarchy -----------------------------------------------------------------------

def _hierarchy(nx: int, ny: int, counts: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Rectangles and codes of districts, towns, communities and general grids (top-down splits)."""
    cells = nx * ny
    per = {level: cells / counts[level] for level in ("districts", "towns", "communities", "general_grids")}
    rng = _rng(1)
    districts = split_rect((0, nx, 0, ny), counts["districts"], rng)
    rows: dict[str, list] = {"districts": [], "towns": [], "communities": [], "general_grids": []}
    for d, drect in enumerate(districts):
        dcode = f"{CITY_CODE}{d + 1:02d}"
        rows["districts"].append((*drect, dcode, None))
        trects = split_rect(drect, round(_cells(drect) / per["towns"]), rng)
        for t, trect in enumerate(trects[:999]):
            tcode = f"{dcode}{t + 1:03d}000"
            rows["towns"].append((*trect, tcode, dcode))
            crects = split_rect(trect, round(_cells(trect) / per["communities"]), rng)
            for c, crect in enumerate(crects[:999]):
                ccode = f"{tcode[:9]}{c + 1:03d}"
                rows["communities"].append((*crect, ccode, tcode))
                grects = split_rect(crect, round(_cells(crect) / per["general_grids"]), rng)
                for g, grect in enumerate(grects[:99]):
                    rows["general_grids"].append((*grect, f"{ccode}{g + 1:02d}", ccode))
    cols = ["i0", "i1", "j0", "j1", s.CODE, "parent"]
    return {k: pd.DataFrame(v, columns=cols) for k, v in rows.items()}


def _cells(rect: tuple[int, int, int, int]) -> int:
    return (rect[1] - rect[0]) * (rect[3] - rect[2])


def _micro_cells(generals: pd.DataFrame) -> pd.DataFrame:
    """One row per lattice cell: its general grid row and its micro-grid code (row-major in the general)."""
    w = (generals["i1"] - generals["i0"]).to_numpy()
    h = (generals["j1"] - generals["j0"]).to_numpy()
    n = w * h
    owner = np.repeat(np.arange(len(generals)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    i = generals["i0"].to_numpy()[owner] + k % w[owner]
    j = generals["j0"].to_numpy()[owner] + k // w[owner]
    codes = generals[s.CODE].to_numpy().astype(str)[owner]
    serial = np.char.zfill((k + 1).astype(str), 2)
    return pd.DataFrame({"i": i, "j": j, "general": owner, s.CODE: np.char.add(codes, serial)})


def _lattice_shape(micro: int) -> tuple[int, int]:
    aspect = FULL_EXTENT_M[0] / FULL_EXTENT_M[1]
    ny = max(2, round(np.sqrt(micro / aspect)))
    return max(2, round(micro / ny)), ny


def _is_urban(rects: pd.DataFrame, nx: int, ny: int, *, radius: float) -> np.ndarray:
    cx = (rects["i0"] + rects["i1"]).to_numpy() / (2 * nx) - 0.5
    cy = (rects["j0"] + rects["j1"]).to_numpy() / (2 * ny) - 0.5
    return np.hypot(cx, cy) < radius


def build_units(*, scale: float) -> tuple[dict[str, gpd.GeoDataFrame], np.ndarray, pd.DataFrame]:
    """Towns, communities and grids of the city (WGS 84), the lattice nodes and the micro cells."""
    counts = target_counts(scale)
    nx, ny = _lattice_shape(counts["micro_grids"])
    nodes = lattice_nodes(nx, ny, scale=scale)
    tree = _hierarchy(nx, ny, counts)
    rng = _rng(2)

    def geoms(frame: pd.DataFrame) -> np.ndarray:
        return rect_polygons(frame[["i0", "i1", "j0", "j1"]].to_numpy(), nodes)

    towns_r, comms_r, gen_r = tree["towns"], tree["communities"], tree["general_grids"]
    town_kind = np.where(_is_urban(towns_r, nx, ny, radius=0.15), "街道", "镇")
    town_num = towns_r[s.CODE].str[6:9].astype(int).to_numpy()
    towns = gpd.GeoDataFrame({
        s.CODE: towns_r[s.CODE].to_numpy(), s.NAME: [f"示意{c[4:6]}区{n:03d}{k}" for c, n, k in
                                                     zip(towns_r[s.CODE], town_num, town_kind)],
        s.KIND: town_kind, DISTRICT_CODE: towns_r["parent"].to_numpy(), s.ILLUSTRATIVE: True,
    }, geometry=geoms(towns_r), crs=s.STORAGE_CRS)
    comm_kind = np.where(_is_urban(comms_r, nx, ny, radius=0.2), "社区", "村")
    comms = gpd.GeoDataFrame({
        s.CODE: comms_r[s.CODE].to_numpy(),
        s.NAME: [f"示意{c[9:]}{k}" for c, k in zip(comms_r[s.CODE], comm_kind)],
        s.KIND: comm_kind, s.TOWN_CODE: comms_r["parent"].to_numpy(), s.ILLUSTRATIVE: True,
    }, geometry=geoms(comms_r), crs=s.STORAGE_CRS)
    cells = _micro_cells(gen_r)
    cell_rects = np.column_stack([cells["i"], cells["i"] + 1, cells["j"], cells["j"] + 1])
    households = rng.integers(30, 98, len(cells))  # 30-97 per micro-grid: mean ~63.5, 8 M at full size
    gen_comm = gen_r["parent"].to_numpy()
    comm_town = dict(zip(comms_r[s.CODE], comms_r["parent"]))
    gen_town = np.array([comm_town[c] for c in gen_comm], dtype=object)
    gen_households = np.bincount(cells["general"].to_numpy(), weights=households, minlength=len(gen_r))
    urban_cell = np.isin(cells["general"].to_numpy(), np.flatnonzero(_is_urban(gen_r, nx, ny, radius=0.2)))
    micro_kind = np.where(urban_cell, np.where(rng.random(len(cells)) < 0.2, "院落", "小区"), "林盘")
    general = gpd.GeoDataFrame({
        s.CODE: gen_r[s.CODE].to_numpy(), s.NAME: [f"第{c[-2:]}网格" for c in gen_r[s.CODE]],
        s.LEVEL: s.LEVEL_GENERAL, s.KIND: None, s.PARENT_CODE: gen_comm, s.COMMUNITY_CODE: gen_comm,
        s.TOWN_CODE: gen_town, s.HOUSEHOLDS_N: gen_households.astype(int), s.ILLUSTRATIVE: True,
    }, geometry=geoms(gen_r), crs=s.STORAGE_CRS)
    owner = cells["general"].to_numpy()
    micro = gpd.GeoDataFrame({
        s.CODE: cells[s.CODE].to_numpy(), s.NAME: [f"{c[-4:-2]}-{c[-2:]}号微网格" for c in cells[s.CODE]],
        s.LEVEL: s.LEVEL_MICRO, s.KIND: micro_kind, s.PARENT_CODE: gen_r[s.CODE].to_numpy()[owner],
        s.COMMUNITY_CODE: gen_comm[owner], s.TOWN_CODE: gen_town[owner], s.HOUSEHOLDS_N: households,
        s.ILLUSTRATIVE: True,
    }, geometry=rect_polygons(cell_rects, nodes), crs=s.STORAGE_CRS)
    grids = gpd.GeoDataFrame(pd.concat([general, micro], ignore_index=True), crs=s.STORAGE_CRS)
    cells = cells.assign(households=households, town=gen_town[owner], community=gen_comm[owner])
    return {s.TOWNS: towns, s.COMMUNITIES: comms, s.GRIDS: grids}, nodes, cells


# --- points ------------------------------------------------------------------------------

def points_in_cells(nodes: np.ndarray, i: np.ndarray, j: np.ndarray, rng: np.random.Generator, *,
                    node_share: float = 0.0) -> np.ndarray:
    """Uniform-ish points (bilinear) inside cells ``(i, j)``; a share sits exactly on the cell's first node."""
    u, v = rng.random(len(i))[:, None], rng.random(len(i))[:, None]
    p00, p10, p01, p11 = nodes[i, j], nodes[i + 1, j], nodes[i, j + 1], nodes[i + 1, j + 1]
    xy = (1 - u) * (1 - v) * p00 + u * (1 - v) * p10 + (1 - u) * v * p01 + u * v * p11
    on_node = rng.random(len(i)) < node_share
    xy[on_node] = p00[on_node]  # exactly a lattice node: a corner shared by up to four grids
    return xy


def _households(nodes: np.ndarray, cells: pd.DataFrame, rows: np.ndarray, *, first: int,
                rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = cells["households"].to_numpy()[rows]
    cell = np.repeat(rows, n)
    xy = points_in_cells(nodes, cells["i"].to_numpy()[cell], cells["j"].to_numpy()[cell], rng,
                         node_share=NODE_SHARE_HOUSEHOLDS)
    ids = np.char.add("H", np.char.zfill(np.arange(first, first + len(cell)).astype(str), 8))
    return gpd.GeoDataFrame({s.CODE: ids, s.HOUSEHOLDS_N: np.ones(len(cell), dtype=np.int32)},
                            geometry=shapely.points(xy), crs=s.STORAGE_CRS)


def build_volunteers(nodes: np.ndarray, cells: pd.DataFrame, *, n: int) -> gpd.GeoDataFrame:
    """``n`` volunteers at home in micro-grids (weighted by households); a few just outside the city."""
    rng = _rng(3)
    weight = cells["households"].to_numpy(dtype=float)
    cell = rng.choice(len(cells), size=n, p=weight / weight.sum())
    xy = points_in_cells(nodes, cells["i"].to_numpy()[cell], cells["j"].to_numpy()[cell], rng)
    outside = rng.random(n) < OUTSIDE_SHARE_VOLUNTEERS
    x0, y0 = nodes[..., 0].min(), nodes[..., 1].min()
    x1, y1 = nodes[..., 0].max(), nodes[..., 1].max()
    side = rng.integers(0, 4, outside.sum())
    t = rng.random(outside.sum())
    off = rng.uniform(0.001, 0.02, outside.sum())  # 0.1-2 km beyond the frame
    xy[outside] = np.select([side[:, None] == k for k in range(4)], [
        np.column_stack([x0 + t * (x1 - x0), y0 - off]), np.column_stack([x0 + t * (x1 - x0), y1 + off]),
        np.column_stack([x0 - off, y0 + t * (y1 - y0)]), np.column_stack([x1 + off, y0 + t * (y1 - y0)])])
    k = np.arange(n)
    names = np.char.add(np.char.add(SURNAMES[rng.integers(0, len(SURNAMES), n)], GIVEN[rng.integers(0, len(GIVEN), n)]),
                        np.where(rng.random(n) < 0.6, GIVEN[rng.integers(0, len(GIVEN), n)], ""))
    community = np.where(outside, None, cells["community"].to_numpy()[cell])
    return gpd.GeoDataFrame({
        s.VOLUNTEER_ID: np.char.add("V", np.char.zfill((k + 1).astype(str), 7)), s.NAME: names,
        s.PHONE: np.char.add("170", np.char.zfill(k.astype(str), 8)),  # fake numbers (170 + serial)
        s.TIER: rng.choice(list(s.TIERS), size=n, p=[0.1, 0.25, 0.65]),
        s.PARTY_MEMBER: rng.random(n) < 0.62, s.CAPACITY: rng.choice([1, 1, 2], size=n),
        s.COMMUNITY_CODE: community, s.ILLUSTRATIVE: True,
    }, geometry=shapely.points(xy), crs=s.STORAGE_CRS)


def build_service_points(nodes: np.ndarray, cells: pd.DataFrame, *, n: int) -> gpd.GeoDataFrame:
    """``n`` service points of the nine types (all four categories), weighted by households."""
    rng = _rng(4)
    types = np.array(list(POINT_TYPE_WEIGHTS))
    w = np.array(list(POINT_TYPE_WEIGHTS.values()), dtype=float)
    kind = types[rng.choice(len(types), size=n, p=w / w.sum())]
    kind[: min(n, 4)] = "区域治理中心"  # every category present even in the smallest city
    weight = cells["households"].to_numpy(dtype=float)
    cell = rng.choice(len(cells), size=n, p=weight / weight.sum())
    xy = points_in_cells(nodes, cells["i"].to_numpy()[cell], cells["j"].to_numpy()[cell], rng,
                         node_share=NODE_SHARE_POINTS)
    k = np.arange(n)
    return gpd.GeoDataFrame({
        s.POINT_ID: np.char.add("S", np.char.zfill((k + 1).astype(str), 6)),
        s.NAME: [f"{t}{i + 1}（示意）" for i, t in enumerate(kind)], s.POINT_TYPE: kind,
        s.CATEGORY: [";".join(s.POINT_TYPES[t]) for t in kind],
        s.COMMUNITY_CODE: cells["community"].to_numpy()[cell], s.ILLUSTRATIVE: True,
    }, geometry=shapely.points(xy), crs=s.STORAGE_CRS)


# --- the cache -----------------------------------------------------------------------------

def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _write_households(out: Path, nodes: np.ndarray, cells: pd.DataFrame, towns: pd.Series) -> int:
    """Households town by town (one file each, town-code order); returns the total written."""
    (out / HOUSEHOLDS_DIR).mkdir()
    order = np.argsort(cells["town"].to_numpy().astype(str), kind="stable")
    town_of = cells["town"].to_numpy().astype(str)[order]
    first = 0
    for k, code in enumerate(towns.astype(str)):
        lo = np.searchsorted(town_of, code, side="left")
        hi = np.searchsorted(town_of, code, side="right")
        rows = np.sort(order[lo:hi])
        part = _households(nodes, cells, rows, first=first, rng=_rng(5, k))
        part.index = pd.RangeIndex(first, first + len(part))
        part.to_parquet(out / HOUSEHOLDS_DIR / f"part.{k:04d}.parquet", index=True)
        first += len(part)
    return first


def build_city(*, scale: float = 1.0, root: Path | None = None, force: bool = False) -> Path:
    """Generate the city at ``scale`` into its cache folder unless it is there already; return the folder.

    Written into a temporary sibling folder and renamed at the end: an interrupted run leaves
    no half cache. ``summary.json`` records counts, seconds and bytes.
    """
    out = city_dir(scale=scale, root=root)
    summary_path = out / "summary.json"
    if summary_path.exists() and not force:
        if json.loads(summary_path.read_text(encoding="utf-8")).get("version") == GENERATOR_VERSION:
            return out
    start = time.perf_counter()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    layers, nodes, cells = build_units(scale=scale)
    counts = target_counts(scale)
    layers[s.VOLUNTEERS] = build_volunteers(nodes, cells, n=counts["volunteers"])
    layers[s.SERVICE_POINTS] = build_service_points(nodes, cells, n=counts["service_points"])
    for name in LAYER_FILES:
        layers[name].to_parquet(tmp / f"{name}.parquet", index=False)
    n_households = _write_households(tmp, nodes, cells, layers[s.TOWNS][s.CODE])
    grids = layers[s.GRIDS]
    summary = {
        "version": GENERATOR_VERSION, "seed": SEED, "scale": scale, "illustrative": True,
        "counts": {"districts": int(layers[s.TOWNS][DISTRICT_CODE].nunique()), "towns": len(layers[s.TOWNS]),
                   "communities": len(layers[s.COMMUNITIES]),
                   "general_grids": int((grids[s.LEVEL] == s.LEVEL_GENERAL).sum()),
                   "micro_grids": int((grids[s.LEVEL] == s.LEVEL_MICRO).sum()),
                   "households": int(n_households), "volunteers": len(layers[s.VOLUNTEERS]),
                   "service_points": len(layers[s.SERVICE_POINTS])},
        "seconds": round(time.perf_counter() - start, 2),
        "bytes": _dir_bytes(tmp),
    }
    (tmp / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def city_summary(*, scale: float, root: Path | None = None) -> dict:
    """The cached city's ``summary.json`` (built first when missing)."""
    return json.loads((build_city(scale=scale, root=root) / "summary.json").read_text(encoding="utf-8"))


def household_files(*, scale: float, root: Path | None = None) -> list[Path]:
    """The household part files, one per town in town-code order (built first when missing)."""
    return sorted((build_city(scale=scale, root=root) / HOUSEHOLDS_DIR).glob("part.*.parquet"))


def read_city_layer(name: str, *, scale: float, root: Path | None = None) -> gpd.GeoDataFrame:
    """One layer of the cached city (households: all towns concatenated, index = household number)."""
    folder = build_city(scale=scale, root=root)
    if name == s.HOUSEHOLDS:
        parts = [gpd.read_parquet(p) for p in household_files(scale=scale, root=root)]
        return gpd.GeoDataFrame(pd.concat(parts), crs=s.STORAGE_CRS)
    return gpd.read_parquet(folder / f"{name}.parquet")


def load_city_project(*, scale: float, root: Path | None = None, households: bool = True) -> Project:
    """The cached city as a project (households optional: 8 M points at full size)."""
    project = new_project()
    names = (*LAYER_FILES, s.HOUSEHOLDS) if households else LAYER_FILES
    for name in names:
        project = project.with_layer(name, read_city_layer(name, scale=scale, root=root))
    return project.with_meta(name=f"示意城市 synthetic city (scale {scale:g})", illustrative=True)
