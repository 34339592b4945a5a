"""Points to grids by location: each point's covering grid at every level, ties and nearest fallback.

Rules (the user contract, see ``assign_points``):

* a point covered by a grid (inside or on its boundary) goes to that grid, method ``within``;
* a point covered by several grids (on a shared edge or corner, or in an overlap) goes to the
  grid with the **smallest code** (plain string order) and is reported with ``tie=True`` and the
  other codes in ``tie_with``;
* a point outside every grid goes to the nearest grid (distance in metres, computed in the
  metric CRS, EPSG:32648 by default) when it is within ``max_distance_m``, method ``nearest``;
  two grids at the same distance (to 1 mm) are a tie, again won by the smallest code;
* otherwise the point is unassigned: ``grid_code`` and ``method`` are empty, ``distance_m``
  holds the distance to the nearest grid and ``reason`` says why.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
import gc
import threading
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely

from geo import schema as s
from geo.errors import CRSMismatchError, MissingCRSError

TIE = "tie"
TIE_WITH = "tie_with"
LAYER = "layer"
TIE_TOLERANCE_M = 1e-3  # nearest-grid distances closer than 1 mm are a tie
BLOCK_POINTS = 1 << 16  # points per block of the covering step (memory reused; measured, bench/city.py)
# GEOS prepares a geometry in place: one thread's ``destroy_prepared`` frees what another thread's ``intersects``
# is still using on the same grids (a crash seen in CI: the app's background roll-up and a page's roll-up of one
# project at once). The covering step holds this lock from ``prepare`` to ``destroy_prepared``.
_PREPARING = threading.Lock()

# reason codes of unassigned points (messages: "assign.reason.<code>")
REASON_NO_COORDINATES = "no_coordinates"
REASON_BEYOND_MAX_DISTANCE = "beyond_max_distance"
REASON_NO_GRIDS = "no_grids"

POINT_GRID_COLUMNS = (s.POINT_ID, LAYER, s.LEVEL, s.GRID_CODE, s.METHOD, s.DISTANCE_M, TIE, TIE_WITH, s.REASON)
LEVEL_COMMUNITY = "community"
LEVEL_TOWN = "town"
POINT_LAYERS = {s.SERVICE_POINTS: s.POINT_ID, s.HOUSEHOLDS: s.CODE, s.VOLUNTEERS: s.VOLUNTEER_ID}


def _check_crs(points_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame) -> None:
    for what, gdf in (("points", points_gdf), ("grids", grids_gdf)):
        if gdf.crs is None:
            msg = f"{what} layer has no CRS; declare one before assigning"
            raise MissingCRSError(msg, file=what)
    if not points_gdf.crs.equals(grids_gdf.crs):
        msg = f"points are in {points_gdf.crs.to_string()} but grids in {grids_gdf.crs.to_string()}"
        raise CRSMismatchError(msg, code="assign.crs_mismatch", crs_a=points_gdf.crs.to_string(),
                               crs_b=grids_gdf.crs.to_string())


_BULK = threading.Lock()
_BULK_STATE = [0, False, None]  # bulk works running (threads); collector on before the first; huge-page advice before


def _set_huge_page_advice(enabled: bool) -> bool | None:
    """Turn numpy's ``madvise(MADV_HUGEPAGE)`` on new big arrays on or off; the setting before (None: this
    numpy has no switch, nothing changed). numpy's own switch, the one ``NUMPY_MADVISE_HUGEPAGE`` sets at import."""
    switch = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    return None if switch is None else bool(switch(enabled))


@contextmanager
def bulk_work() -> Iterator[None]:
    """Process settings for placing millions of points, restored when the last bulk work in any thread ends.

    - The cyclic garbage collector is off. Shapely geometries are tracked objects: a layer of 8 M points is
      8 M of them, none garbage, and each pass over them costs ~0.14 s (the city in one process: one pass;
      in the Dask tasks of 200 k points, ~30 passes per worker per run, 0.07-0.13 s; measured, bench/city.py).
    - numpy does not ask the kernel for huge pages for new arrays. The arrays here are written once and
      read in order; where the kernel compacts memory to find huge pages on demand (Linux's default
      ``defrag=madvise``), that costs more than it saves: the city's ``assign_points`` spent 0.49-0.53 s
      in the kernel with the advice, 0.12-0.24 s without; the bare STRtree query 0.23-0.28 s against
      0.09-0.15 s (2026-12-04, measured on this project's 2-core machine).
    """
    with _BULK:
        if _BULK_STATE[0] == 0:
            _BULK_STATE[1] = gc.isenabled()
            gc.disable()
            _BULK_STATE[2] = _set_huge_page_advice(False)
        _BULK_STATE[0] += 1
    try:
        yield
    finally:
        with _BULK:
            _BULK_STATE[0] -= 1
            if _BULK_STATE[0] == 0:
                if _BULK_STATE[1]:
                    gc.enable()
                if _BULK_STATE[2] is not None:
                    _set_huge_page_advice(_BULK_STATE[2])


def filled(n: int, value: object) -> np.ndarray:
    """An object array of ``n`` references to the one ``value``.

    Not ``np.full(n, "text", dtype=object)``: numpy casts the text to a unicode array first and
    makes one new ``str`` per row (8 M rows: 0.36 s and ~450 MB; measured, bench/city.py). ``None`` is
    numpy's own initial value of an object array: its memory is not even touched.
    """
    out = np.empty(n, dtype=object)
    if value is not None:
        out.fill(value)
    return out


def _code_rank(codes: np.ndarray) -> np.ndarray:
    """Rank of each code in plain string order (0 = smallest): the tie rule."""
    order = np.argsort(codes.astype(str), kind="stable")
    rank = np.empty(len(codes), dtype=np.int64)
    rank[order] = np.arange(len(codes))
    return rank


def _covering_pairs(pts: np.ndarray, grid_geoms: np.ndarray, *, tree_on: str,
                    tree: shapely.STRtree) -> tuple[np.ndarray, np.ndarray]:
    """(point index, grid index) for every grid covering a point (boundary included).

    Tree on the grids (``tree``, its geometries prepared by the caller): the tree gives the
    grids whose envelope holds each point, then one vectorised ``intersects`` of the
    prepared grids with their candidate points keeps those that cover it: the pairs of
    ``tree.query(pts, predicate="intersects")``, in the same order, at less cost (each grid
    is prepared once, not each point per query). Missing and empty points have no pair.
    """
    if tree_on == "points":
        gidx, pidx = shapely.STRtree(pts).query(grid_geoms, predicate="intersects")
        return pidx, gidx
    pidx, gidx = tree.query(pts)
    keep = shapely.intersects(grid_geoms[gidx], pts[pidx])
    return pidx[keep], gidx[keep]


def _pick_smallest(pidx: np.ndarray, gidx: np.ndarray, rank: np.ndarray, n_points: int,
                   codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Winner grid per point (smallest code rank, -1 for none), match counts, and the points
    with several matches with their ``tie_with`` texts (the other codes in code order).

    Points with one pair (nearly all) take it directly; only the few with several pairs
    are sorted by (point, code rank): the first wins, the others are joined.
    """
    count = np.bincount(pidx, minlength=n_points)
    winner = np.full(n_points, -1, dtype=np.int32)
    winner[pidx] = gidx
    several = count[pidx] > 1
    if not several.any():
        return winner, count, np.array([], dtype=np.int64), []
    p, g = pidx[several], gidx[several]
    order = np.lexsort((rank[g], p))
    p, g = p[order], g[order]
    first = np.r_[True, p[1:] != p[:-1]]
    winner[p[first]] = g[first]
    lp, lg = p[~first], g[~first]
    starts = np.flatnonzero(np.r_[True, lp[1:] != lp[:-1]])
    texts = [str(c) for c in codes[lg]]
    bounds = [*starts.tolist(), len(lp)]
    return winner, count, lp[starts], [";".join(texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _covering_grids(pts: np.ndarray, grid_geoms: np.ndarray, codes: np.ndarray, rank: np.ndarray, *,
                    tree: shapely.STRtree, tree_on: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The covering grid of each point (position in ``grid_geoms``, -1: none), its tie flag and
    ``tie_with``, and the positions of the points no grid covers.

    Points are taken ``BLOCK_POINTS`` at a time (input order): the temporaries of one block
    (candidate pairs, gathered geometries) stay small and their memory is reused, where one
    pass over 8 M points spends more time in fresh memory than in the geometry tests.
    """
    n = len(pts)
    grid = np.empty(n, dtype=np.int32)
    tie = np.zeros(n, dtype=bool)
    tie_with = filled(n, "")
    outside = [np.array([], dtype=np.int64)]
    step = max(n, 1) if tree_on == "points" else BLOCK_POINTS
    with _PREPARING:  # the grids may be another thread's too (``_PREPARING``)
        was_prepared = shapely.is_prepared(grid_geoms)
        shapely.prepare(grid_geoms)
        try:
            for lo in range(0, n, step):
                block = pts[lo:lo + step]
                pidx, gidx = _covering_pairs(block, grid_geoms, tree_on=tree_on, tree=tree)
                winner, count, tied, texts = _pick_smallest(pidx, gidx, rank, len(block), codes)
                grid[lo:lo + len(block)] = winner
                tie[lo:lo + len(block)] = count > 1
                tie_with[tied + lo] = texts
                outside.append(np.flatnonzero(winner < 0) + lo)
        finally:
            shapely.destroy_prepared(grid_geoms[~was_prepared])  # leave the caller's geometries as they were
    return grid, tie, tie_with, np.concatenate(outside)


def _metric_distances(pts: np.ndarray, grid_geoms: np.ndarray, pidx: np.ndarray, gidx: np.ndarray,
                      crs: pyproj.CRS, crs_metric: str | pyproj.CRS) -> np.ndarray:
    """Metric distance of each (point, grid) pair; only the grids named in ``gidx`` are reprojected."""
    if not crs.is_geographic:
        return shapely.distance(pts[pidx], grid_geoms[gidx])
    to_metric = pyproj.Transformer.from_crs(crs, crs_metric, always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))

    cand = np.unique(gidx)
    metric = np.empty(len(grid_geoms), dtype=object)
    metric[cand] = shapely.transform(grid_geoms[cand], project)
    return shapely.distance(shapely.transform(pts, project)[pidx], metric[gidx])


def _candidates(tree: shapely.STRtree, pts: np.ndarray, grid_geoms: np.ndarray,
                slack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, grid) pairs that surely include each point's metric-nearest grid.

    A point's metric-nearest grid lies within ``slack`` x its nearest CRS-unit distance.
    A cheap window of one typical grid size settles most points (they lie just outside
    the grids); the rest find their nearest distance with ``query_nearest`` first.
    """
    bounds = shapely.bounds(grid_geoms)
    window = float(np.median(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])))
    pidx, gidx = tree.query(pts, predicate="dwithin", distance=window)
    d = shapely.distance(pts[pidx], grid_geoms[gidx])
    dmin = np.full(len(pts), np.inf)
    np.minimum.at(dmin, pidx, d)
    settled = dmin * slack <= window
    keep = settled[pidx] & (d <= (dmin * slack)[pidx] + 1e-9)
    rest = np.flatnonzero(~settled)
    if not len(rest):
        return pidx[keep], gidx[keep]
    _, d_near = tree.query_nearest(pts[rest], return_distance=True, all_matches=False)
    rp, rg = tree.query(pts[rest], predicate="dwithin", distance=d_near * slack[rest] + 1e-9)
    return np.concatenate([pidx[keep], rest[rp]]), np.concatenate([gidx[keep], rg])


def _nearest(pts: np.ndarray, grid_geoms: np.ndarray, rank: np.ndarray, codes: np.ndarray, crs: pyproj.CRS,
             crs_metric: str | pyproj.CRS, *, tree: shapely.STRtree | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nearest grid of each point, by metric distance; returns winner, distance_m, tie flag, tie_with.

    In a geographic CRS candidates are found in degrees first: metric distance lies between
    R cos(lat) and R times the degree distance, so every grid within (nearest degree
    distance / cos(lat)) is a candidate, which provably contains the metric nearest; only
    candidates are reprojected and measured.
    """
    tree = shapely.STRtree(grid_geoms) if tree is None else tree
    if crs.is_geographic:
        lat = np.abs(shapely.get_y(pts))
        slack = 1.01 / np.cos(np.radians(np.minimum(lat + 1.0, 89.0)))
    else:
        slack = np.full(len(pts), 1.0 + 1e-9)
    pidx, gidx = _candidates(tree, pts, grid_geoms, slack)
    dist = _metric_distances(pts, grid_geoms, pidx, gidx, crs, crs_metric)
    n = len(pts)
    dmin = np.full(n, np.inf)
    np.minimum.at(dmin, pidx, dist)
    close = dist <= dmin[pidx] + TIE_TOLERANCE_M
    winner, count, tied, texts = _pick_smallest(pidx[close], gidx[close], rank, n, codes)
    tie_with = filled(n, "")
    tie_with[tied] = texts
    return winner, dmin, count > 1, tie_with


class Placement(NamedTuple):
    """Where each point of a layer goes at one level: ``assign_points`` with grid positions, not codes."""

    grid: np.ndarray  # int32 row position in the grids layer (-1: none)
    method: np.ndarray  # "within" / "nearest" / None (object)
    distance_m: np.ndarray
    tie: np.ndarray
    tie_with: np.ndarray  # object: other codes, ";"-separated, "" when no tie
    reason: np.ndarray  # object: None or a REASON_* code


class Covering(NamedTuple):
    """Each point's covering grid at one level: the first step of ``place_points``, before the nearest-grid
    fallback (grid positions are rows of the layer given)."""

    grid: np.ndarray  # int32 row position in the grids layer (-1: no grid covers the point)
    tie: np.ndarray
    tie_with: np.ndarray  # object: other codes, ";"-separated, "" when no tie
    outside: np.ndarray  # positions of the points no grid covers (no coordinates included), ascending


class _Grids(NamedTuple):
    """The usable grids of a layer (geometry neither missing nor empty) as the covering and nearest steps use them."""

    rows: np.ndarray  # their rows in the layer
    geoms: np.ndarray
    codes: np.ndarray
    rank: np.ndarray
    tree: shapely.STRtree


def _usable_grids(grids_gdf: gpd.GeoDataFrame, code_col: str) -> _Grids | None:
    """The grids of the layer with a geometry, their tie ranks and tree; None when there are none."""
    grid_ok = ~(shapely.is_missing(grids_gdf.geometry.values) | shapely.is_empty(grids_gdf.geometry.values))
    rows = np.flatnonzero(grid_ok)
    if not len(rows):
        return None
    geoms = np.asarray(grids_gdf.geometry.values, dtype=object)[rows]
    codes = np.asarray(grids_gdf[code_col].to_numpy(), dtype=object)[rows]
    return _Grids(rows, geoms, codes, _code_rank(codes), shapely.STRtree(geoms))


def _to_layer_rows(grid: np.ndarray, usable: _Grids, n_rows: int) -> np.ndarray:
    """Positions among the usable grids -> rows of the layer (in place; -1 stays)."""
    if len(usable.rows) < n_rows:
        found = grid >= 0
        grid[found] = usable.rows[grid[found]]
    return grid


def _covering(pts: np.ndarray, usable: _Grids | None, tree_on: str) -> Covering:
    """``covering_grids`` in positions among the usable grids."""
    n = len(pts)
    if usable is None:
        return Covering(np.full(n, -1, dtype=np.int32), np.zeros(n, dtype=bool), filled(n, ""),
                        np.arange(n, dtype=np.int64))
    tree_on = "grids" if tree_on == "auto" else tree_on  # measured: bench/assign.py, bench/city.py
    return Covering(*_covering_grids(pts, usable.geoms, usable.codes, usable.rank, tree=usable.tree,
                                     tree_on=tree_on))


def covering_grids(points_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame, *, code_col: str = s.CODE,
                   tree_on: str = "auto") -> Covering:
    """The grid covering each point (the ``within`` rule and the tie rule of ``assign_points``), and the
    points no grid covers, left for the nearest-grid fallback; ``place_points`` is this plus that fallback.
    ``geo.distributed``'s tasks use it alone: the points they leave are placed again on every unit."""
    _check_crs(points_gdf, grids_gdf)
    usable = _usable_grids(grids_gdf, code_col)
    covering = _covering(np.asarray(points_gdf.geometry.values, dtype=object), usable, tree_on)
    if usable is not None:
        _to_layer_rows(covering.grid, usable, len(grids_gdf))
    return covering


def place_points(points_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame, *, code_col: str = s.CODE,
                 max_distance_m: float | None = None, crs_metric: str | pyproj.CRS = s.METRIC_CRS,
                 tree_on: str = "auto") -> Placement:
    """``assign_points`` as arrays in point order, the grid given as its row position in ``grids_gdf``.

    The rules, options and errors are ``assign_points``'s (it is this function plus the code
    lookup); ``geo.distributed`` uses the positions to send compact results between processes.
    """
    _check_crs(points_gdf, grids_gdf)
    n = len(points_gdf)
    pts = np.asarray(points_gdf.geometry.values, dtype=object)
    usable = _usable_grids(grids_gdf, code_col)
    if usable is None:
        has_xy = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
        reason = np.where(has_xy, REASON_NO_GRIDS, REASON_NO_COORDINATES).astype(object)
        return Placement(np.full(n, -1, dtype=np.int32), filled(n, None), np.full(n, np.nan),
                         np.zeros(n, dtype=bool), filled(n, ""), reason)

    grid, tie, tie_with, outside = _covering(pts, usable, tree_on)
    # the columns as "every point within", then the few points in no grid overwritten
    method = filled(n, "within")
    distance = np.zeros(n)
    reason = filled(n, None)
    method[outside] = None
    distance[outside] = np.nan
    no_xy = shapely.is_missing(pts[outside]) | shapely.is_empty(pts[outside])
    reason[outside[no_xy]] = REASON_NO_COORDINATES
    out_idx = outside[~no_xy]
    if len(out_idx):
        w, dmin, t_flag, t_with = _nearest(pts[out_idx], usable.geoms, usable.rank, usable.codes, points_gdf.crs,
                                           crs_metric, tree=usable.tree)
        distance[out_idx] = dmin
        ok = np.ones(len(out_idx), dtype=bool) if max_distance_m is None else dmin <= max_distance_m
        grid[out_idx[ok]] = w[ok]
        method[out_idx[ok]] = "nearest"
        tie[out_idx[ok]] = t_flag[ok]
        tie_with[out_idx[ok]] = t_with[ok]
        reason[out_idx[~ok]] = REASON_BEYOND_MAX_DISTANCE
    return Placement(_to_layer_rows(grid, usable, len(grids_gdf)), method, distance, tie, tie_with, reason)


def code_lookup(grids_gdf: gpd.GeoDataFrame, *, code_col: str = s.CODE) -> np.ndarray:
    """The codes of ``grids_gdf`` as an object array with None appended: ``code_lookup(g)[grid]`` is
    ``grid_codes_at(g, grid)``, for callers looking up many ``grid`` arrays in one layer."""
    return np.append(np.asarray(grids_gdf[code_col].to_numpy(), dtype=object), None)


def grid_codes_at(grids_gdf: gpd.GeoDataFrame, grid: np.ndarray, *, code_col: str = s.CODE) -> np.ndarray:
    """The codes of ``grids_gdf`` at row positions ``grid`` (None for -1), as an object array."""
    return code_lookup(grids_gdf, code_col=code_col)[grid]


def assign_points(points_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame, *, id_col: str,
                  code_col: str = s.CODE, max_distance_m: float | None = None,
                  crs_metric: str | pyproj.CRS = s.METRIC_CRS, tree_on: str = "auto") -> pd.DataFrame:
    """Assign each point to the grid covering it, else to the nearest grid within reach.

    Parameters
    ----------
    points_gdf
        Points (any CRS, the same as ``grids_gdf``); null or empty geometries are reported.
    grids_gdf
        Polygons of one level; rows with null or empty geometry are ignored (the staffing
        and check reports name them).
    id_col
        Column of ``points_gdf`` copied to the result as the point id.
    code_col
        Column of ``grids_gdf`` holding the grid code (the tie rule orders these as text).
    max_distance_m
        Largest distance in metres to the nearest grid for a point outside every grid;
        ``None`` means no limit. Distances are computed in ``crs_metric`` (EPSG:32648)
        when the data are in a geographic CRS, else in the data's own projected CRS.
    tree_on
        ``"grids"``, ``"points"`` or ``"auto"`` (= ``"grids"``: candidates from the grids' tree, then
        the prepared grids tested against their candidate points, in blocks of ``BLOCK_POINTS``;
        the faster side on 36-vertex grids (bench/assign.py) and on the city (bench/city.py)).

    Returns
    -------
    pandas.DataFrame
        One row per point, with the index of ``points_gdf``: ``id_col``, ``grid_code``,
        ``method`` (``within``/``nearest``/None), ``distance_m`` (0 for within),
        ``tie`` (bool), ``tie_with`` (other codes, ``;``-separated) and ``reason``
        (None, ``no_coordinates``, ``beyond_max_distance``, ``no_grids``).

    Raises
    ------
    MissingCRSError
        When either layer has no CRS.
    CRSMismatchError
        When the layers are in different CRS (code ``assign.crs_mismatch``).
    """
    with bulk_work():
        placed = place_points(points_gdf, grids_gdf, code_col=code_col, max_distance_m=max_distance_m,
                              crs_metric=crs_metric, tree_on=tree_on)
        return _frame(points_gdf[id_col], id_col, grid_codes_at(grids_gdf, placed.grid, code_col=code_col),
                      placed)


def _frame(ids: pd.Series, id_col: str, grid_code: np.ndarray, placed: Placement) -> pd.DataFrame:
    def text(values: np.ndarray) -> pd.Series:  # object dtype: no per-row string conversion
        return pd.Series(values, index=ids.index, dtype=object, copy=False)

    return pd.DataFrame({
        id_col: ids, s.GRID_CODE: text(grid_code), s.METHOD: text(placed.method),
        s.DISTANCE_M: pd.Series(placed.distance_m, index=ids.index, copy=False),
        TIE: pd.Series(placed.tie, index=ids.index, copy=False), TIE_WITH: text(placed.tie_with),
        s.REASON: text(placed.reason),
    }, copy=False)  # the arrays are this call's own: no copy (pandas copies a bare ndarray by default)


def point_grid_rows(ids: pd.Series, grid_code: np.ndarray, placed: Placement, *, layer: str,
                    level: str) -> pd.DataFrame:
    """The ``point_grids`` rows of one point layer at one level (``POINT_GRID_COLUMNS``, point order).

    ``ids`` are the points' ids (the layer's id column), ``grid_code`` the codes of
    ``placed.grid``; ``point_grids_table`` and ``geo.distributed`` both build rows here.
    """
    frame = _frame(ids, s.POINT_ID, grid_code, placed)
    frame.insert(1, LAYER, _repeated_text(layer, frame.index))
    frame.insert(2, s.LEVEL, _repeated_text(level, frame.index))
    return frame


TEXT_CHUNK = 1 << 16  # rows per chunk of a repeated text column: 1 MB of offsets, shared by every chunk


def _repeated_text(value: str, index: pd.Index) -> pd.Series:
    """``value`` on every row of ``index``, in the text dtype ``DataFrame.insert(..., value)`` gives.

    One Arrow chunk of ``TEXT_CHUNK`` rows built from two buffers (offsets, bytes) and repeated: the
    column costs ~1 MB whatever its length. Inserting the scalar goes through an Arrow ``take`` of
    8 M indices (~0.6 s per column on the city), and one chunk of 8 M rows is ~200 MB of new pages
    (0.1-0.4 s, paid after a Dask job's last task; measured, bench/city.py).
    """
    n, data = len(index), value.encode("utf-8")
    size = min(n, TEXT_CHUNK)
    offsets = np.arange(size + 1, dtype=np.int64)
    offsets *= len(data)
    chunk = pa.LargeStringArray.from_buffers(size, pa.py_buffer(offsets), pa.py_buffer(data * size))
    chunks = [chunk] * (n // TEXT_CHUNK) if n >= TEXT_CHUNK else []
    if n % TEXT_CHUNK:
        chunks.append(chunk.slice(0, n % TEXT_CHUNK))
    text = pa.chunked_array(chunks, type=pa.large_string())
    return pd.Series(pd.array(text, dtype=pd.Series([value]).dtype), index=index, copy=False)


def level_units(project_layers: dict[str, gpd.GeoDataFrame]) -> list[tuple[str, gpd.GeoDataFrame]]:
    """The assignable units from the smallest up: grid levels (micro, dedicated, general, master),
    then communities and towns; levels with no features are left out."""
    units: list[tuple[str, gpd.GeoDataFrame]] = []
    grids = project_layers.get(s.GRIDS)
    if grids is not None and len(grids) and s.LEVEL in grids.columns:
        for level in (s.LEVEL_MICRO, s.LEVEL_DEDICATED, s.LEVEL_GENERAL, s.LEVEL_MASTER):
            sub = grids[grids[s.LEVEL] == level]
            if len(sub):
                units.append((level, sub))
    for level, name in ((LEVEL_COMMUNITY, s.COMMUNITIES), (LEVEL_TOWN, s.TOWNS)):
        gdf = project_layers.get(name)
        if gdf is not None and len(gdf):
            units.append((level, gdf))
    return units


def point_grids_table(project_layers: dict[str, gpd.GeoDataFrame], *, max_distance_m: float | None = None,
                      layers: Sequence[str] = tuple(POINT_LAYERS),
                      crs_metric: str | pyproj.CRS = s.METRIC_CRS) -> pd.DataFrame:
    """The ``point_grids`` table: every service point, household and volunteer home at every level.

    Parameters
    ----------
    project_layers
        ``Project.layers`` (all in one CRS, normally WGS 84).
    max_distance_m
        Nearest-grid fallback limit in metres (see ``assign_points``).
    layers
        Point layers to assign (those absent from the project are skipped).

    Returns
    -------
    pandas.DataFrame
        Columns ``POINT_GRID_COLUMNS``: point_id, layer, level, grid_code, method,
        distance_m, tie, tie_with, reason; one row per point per level.
    """
    frames = []
    units = level_units(project_layers)
    with bulk_work():
        for layer in layers:
            points = project_layers.get(layer)
            if points is None or not len(points):
                continue
            id_col = POINT_LAYERS[layer]
            for level, grids in units:
                placed = place_points(points, grids, max_distance_m=max_distance_m, crs_metric=crs_metric)
                frames.append(point_grid_rows(points[id_col], grid_codes_at(grids, placed.grid), placed,
                                              layer=layer, level=level))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in POINT_GRID_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(POINT_GRID_COLUMNS)]
