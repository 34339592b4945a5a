"""Coverage of grids: service reach per category and radius, and the least covered grids.

Roll-ups to communities and towns are ``geo.rollup``'s; staffing is ``geo.staffing``'s.

Service reach is measured in a metric CRS (EPSG:32648 by default). A grid's
``area_share`` is the share of its area within ``radius_m`` (straight line, or
along a walking network when one is given) of at least one service point of a
category; ``households_share`` is the same share of its households, from the
``households`` point layer when the project has one (else ``NaN``).

Fast path (straight line): per category, a tree of the points finds the grids
within ``radius_m`` of any point; grids whose every vertex lies within
``radius_m`` of one point are fully covered (exact disc test); only the
remaining boundary grids are clipped against the nearby buffers (regular
polygons with ``4 * quad_segs`` sides, inscribed in the circle) and the clipped
pieces are unioned per grid.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.audit import log_event
from geo.crs import to_metric_crs
from geo.errors import InvalidGeometryError
from geo.progress import Progress, report

if TYPE_CHECKING:
    from geo.network import WalkNetwork
    from geo.project import Project

RADIUS_M = "radius_m"
AREA_SHARE = "area_share"
HOUSEHOLDS_SHARE = "households_share"
DEFAULT_QUAD_SEGS = 32
DEFAULT_FULL_SHARE = 0.99  # a grid counts as "fully covered" at or above this area share
STALE_TABLES = ("coverage_rollup", "staffing")  # derived tables older versions stored; dropped on the next run


# --- categories -------------------------------------------------------------------

def _categories_of(row_category: Any, row_type: Any) -> set[str]:
    text = "" if row_category is None or (isinstance(row_category, float) and np.isnan(row_category)) \
        else str(row_category)
    cats = {c.strip() for c in text.replace("；", ";").split(";") if c.strip()}
    if not cats:
        cats = set(s.POINT_TYPES.get(str(row_type), ()))
    return cats


def category_masks(points_gdf: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Which service points serve each category and each point type.

    The four categories of ``schema.CATEGORIES`` always appear (possibly with no
    point); a point's ``category`` column is a ";"-joined list, and when empty the
    categories of its ``type`` in ``schema.POINT_TYPES`` are used. Every point type
    present in the layer is added as its own key.

    Returns
    -------
    dict
        key (category or point type) -> boolean mask over the rows of ``points_gdf``.
    """
    n = len(points_gdf)
    types = points_gdf[s.POINT_TYPE].astype(object).to_numpy() if s.POINT_TYPE in points_gdf else \
        np.full(n, None, dtype=object)
    cats = points_gdf[s.CATEGORY].astype(object).to_numpy() if s.CATEGORY in points_gdf else \
        np.full(n, None, dtype=object)
    per_row = [_categories_of(c, t) for c, t in zip(cats, types)]
    masks = {cat: np.array([cat in row for row in per_row], dtype=bool) for cat in s.CATEGORIES}
    for point_type in sorted({str(t) for t in types if t is not None and str(t) and str(t) not in masks}):
        masks[point_type] = np.array([str(t) == point_type for t in types], dtype=bool)
    return masks


# --- straight-line reach ------------------------------------------------------------

def _max_vertex_distance(grid_geoms: np.ndarray, grid_idx: np.ndarray, site_xy: np.ndarray) -> np.ndarray:
    """For each (grid, site) pair, the largest distance from the site to a grid vertex (metres)."""
    coords, owner = shapely.get_coordinates(grid_geoms, return_index=True)
    counts = np.bincount(owner, minlength=len(grid_geoms))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pair_counts = counts[grid_idx]
    if pair_counts.sum() == 0:
        return np.full(len(grid_idx), np.inf)
    pair_of = np.repeat(np.arange(len(grid_idx)), pair_counts)
    pair_starts = np.concatenate([[0], np.cumsum(pair_counts)[:-1]])
    vertex = starts[grid_idx][pair_of] + (np.arange(len(pair_of)) - pair_starts[pair_of])
    d2 = ((coords[vertex] - site_xy[pair_of]) ** 2).sum(axis=1)
    out = np.full(len(grid_idx), np.inf)
    nonempty = pair_counts > 0
    out[nonempty] = np.sqrt(np.maximum.reduceat(d2, pair_starts[nonempty]))
    return out


def _grouped_union_area(group: np.ndarray, pieces: np.ndarray, n: int) -> np.ndarray:
    """Area of the union of ``pieces`` per group id (0..n-1)."""
    areas = np.zeros(n)
    if len(group) == 0:
        return areas
    order = np.argsort(group, kind="stable")
    group, pieces = group[order], pieces[order]
    ids, starts, sizes = np.unique(group, return_index=True, return_counts=True)
    single = sizes == 1
    areas[ids[single]] = shapely.area(pieces[starts[single]])
    multi = np.flatnonzero(~single)
    if len(multi):
        width = int(sizes[multi].max())
        table = np.full((len(multi), width), None, dtype=object)
        for k, g in enumerate(multi):
            table[k, : sizes[g]] = pieces[starts[g]: starts[g] + sizes[g]]
        areas[ids[multi]] = shapely.area(shapely.union_all(table, axis=1))
    return areas


def reach_area_shares(grid_geoms: np.ndarray, site_xy: np.ndarray, radius_m: float, *,
                      quad_segs: int = DEFAULT_QUAD_SEGS) -> np.ndarray:
    """Share (0..1) of each grid's area within ``radius_m`` of at least one site.

    Parameters
    ----------
    grid_geoms
        Polygons in a metric CRS (metres).
    site_xy
        Site coordinates, shape (n, 2), same CRS.
    radius_m
        Straight-line reach in metres.
    quad_segs
        Segments per quarter circle of the buffers (inscribed polygons, so shares of
        boundary grids are slightly low: under 0.05 % of the disc area at 32).

    Returns
    -------
    numpy.ndarray
        One share per grid, aligned with ``grid_geoms``.
    """
    grid_geoms = np.asarray(grid_geoms, dtype=object)
    n = len(grid_geoms)
    shares = np.zeros(n)
    site_xy = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    if n == 0 or len(site_xy) == 0:
        return shares
    sites = shapely.points(site_xy)
    g_idx, s_idx = shapely.STRtree(sites).query(grid_geoms, predicate="dwithin", distance=radius_m)
    if len(g_idx) == 0:
        return shares
    inside = np.zeros(n, dtype=bool)
    inside[g_idx[_max_vertex_distance(grid_geoms, g_idx, site_xy[s_idx]) <= radius_m]] = True
    shares[inside] = 1.0
    keep = ~inside[g_idx]
    g_b, s_b = g_idx[keep], s_idx[keep]
    if len(g_b):
        uniq, inv = np.unique(s_b, return_inverse=True)
        discs = shapely.buffer(sites[uniq], radius_m, quad_segs=quad_segs)[inv]
        pieces = shapely.intersection(grid_geoms[g_b], discs)
        covered = _grouped_union_area(g_b, pieces, n)
        boundary = np.unique(g_b)
        areas = shapely.area(grid_geoms[boundary])
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[boundary] = np.where(areas > 0, covered[boundary] / areas, 0.0)
    return np.clip(shares, 0.0, 1.0)


def region_area_shares(grid_geoms: np.ndarray, region: shapely.Geometry | None) -> np.ndarray:
    """Share (0..1) of each grid's area inside ``region`` (same metric CRS).

    Grids inside or disjoint from the prepared region are classified without an overlay;
    only the others are intersected.
    """
    grid_geoms = np.asarray(grid_geoms, dtype=object)
    shares = np.zeros(len(grid_geoms))
    if region is None or shapely.is_empty(region) or len(grid_geoms) == 0:
        return shares
    shapely.prepare(region)
    inside = shapely.contains_properly(region, grid_geoms)
    touching = shapely.intersects(region, grid_geoms) & ~inside
    shares[inside] = 1.0
    if touching.any():
        part = shapely.area(shapely.intersection(grid_geoms[touching], region))
        total = shapely.area(grid_geoms[touching])
        shares[touching] = np.where(total > 0, part / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(shares, 0.0, 1.0)


def nearest_site_distance(point_xy: np.ndarray, site_xy: np.ndarray, *, max_distance_m: float) -> np.ndarray:
    """Straight-line distance (metres) from each point to its nearest site; ``inf`` beyond the maximum."""
    point_xy = np.asarray(point_xy, dtype=float).reshape(-1, 2)
    out = np.full(len(point_xy), np.inf)
    site_xy = np.asarray(site_xy, dtype=float).reshape(-1, 2)
    if len(point_xy) == 0 or len(site_xy) == 0:
        return out
    tree = shapely.STRtree(shapely.points(site_xy))
    (p_idx, _), dist = tree.query_nearest(shapely.points(point_xy), max_distance=max_distance_m,
                                           return_distance=True, all_matches=False)
    out[p_idx] = dist
    return out


# --- inputs --------------------------------------------------------------------------

def _metric_grids(project: Project) -> gpd.GeoDataFrame:
    grids = to_metric_crs(project.layer(s.GRIDS))
    bad = shapely.is_missing(grids.geometry.values) | shapely.is_empty(grids.geometry.values)
    if bad.any():
        ids = [str(c) for c in grids.loc[bad, s.CODE]] if s.CODE in grids else list(np.flatnonzero(bad))
        msg = f"grids {ids[:10]} have no geometry"
        raise InvalidGeometryError(msg, code="coverage.grid_no_geometry", ids=ids)
    return grids


def household_grid_pairs(households_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Which household point lies in which grid, one grid per level (metric CRS inputs).

    A point on an edge shared by two grids of the same level goes to the smaller grid code.

    Returns
    -------
    pandas.DataFrame
        Columns ``hh`` (row position in ``households_gdf``) and ``grid`` (row position in
        ``grids_gdf``).
    """
    tree = shapely.STRtree(grids_gdf.geometry.values)
    hh, grid = tree.query(households_gdf.geometry.values, predicate="covered_by")
    pairs = pd.DataFrame({"hh": hh, "grid": grid})
    if pairs.empty:
        return pairs
    level = grids_gdf[s.LEVEL].astype(str).to_numpy() if s.LEVEL in grids_gdf else np.full(len(grids_gdf), "")
    pairs["level"] = level[grid]
    pairs["code"] = grids_gdf[s.CODE].astype(str).to_numpy()[grid]
    pairs = pairs.sort_values(["hh", "level", "code"]).drop_duplicates(["hh", "level"])
    return pairs[["hh", "grid"]].reset_index(drop=True)


def _household_weights(households_gdf: gpd.GeoDataFrame) -> np.ndarray:
    if s.HOUSEHOLDS_N not in households_gdf:
        return np.ones(len(households_gdf))
    return pd.to_numeric(households_gdf[s.HOUSEHOLDS_N], errors="coerce").fillna(0).to_numpy(dtype=float)


def radii_from(project: Project, radii_m: Sequence[float] | None = None) -> list[float]:
    """The radii to evaluate (metres): the argument, else the ``radii_m`` setting."""
    radii = radii_m if radii_m is not None else project.settings.get("radii_m", s.DEFAULT_SETTINGS["radii_m"])
    return sorted({float(r) for r in radii})


# --- the coverage table --------------------------------------------------------------

def service_reach(project: Project, *, radii_m: Sequence[float] | None = None,
                  categories: Iterable[str] | None = None, network: WalkNetwork | None = None,
                  quad_segs: int = DEFAULT_QUAD_SEGS, progress: Progress | None = None) -> pd.DataFrame:
    """The coverage table: one row per grid x category x radius (``schema.COVERAGE_COLUMNS``).

    Parameters
    ----------
    project
        Layers in any CRS with a CRS; work is done in EPSG:32648.
    radii_m
        Radii in metres; default the project's ``radii_m`` setting (300/500/1000).
    categories
        Keys of ``category_masks`` to evaluate; default all.
    network
        A ``geo.network.WalkNetwork`` in EPSG:32648: distances are then walked along it,
        and the reach of a category is its network service area (see ``geo.network``).
    progress
        Hears ``progress.coverage.households`` per category, then ``progress.coverage.reach``
        per category x radius (``geo.progress``).

    Returns
    -------
    pandas.DataFrame
        ``grid_code, category, radius_m, area_share, households_share``; shares in 0..1,
        ``households_share`` is NaN where the grid holds no household point.

    Raises
    ------
    InvalidGeometryError
        When a grid has no geometry.
    """
    grids = _metric_grids(project)
    codes = grids[s.CODE].astype(str).to_numpy()
    grid_geoms = grids.geometry.values
    points = to_metric_crs(project.layer(s.SERVICE_POINTS))
    masks = category_masks(points)
    if categories is not None:
        wanted = list(categories)
        masks = {k: masks.get(k, np.zeros(len(points), dtype=bool)) for k in wanted}
    radii = radii_from(project, radii_m)
    site_xy_all = shapely.get_coordinates(points.geometry.values) if len(points) else np.zeros((0, 2))
    hh_ctx = _household_context(project, grids)
    frames = []
    steps, done = len(masks) * len(radii), 0
    for i, (key, mask) in enumerate(masks.items()):
        site_xy = site_xy_all[mask]
        report(progress, "progress.coverage.households", i, len(masks))
        hh_dist = _household_distances(hh_ctx, site_xy, max(radii), network)
        report(progress, "progress.coverage.households", i + 1, len(masks))
        for radius in radii:
            report(progress, "progress.coverage.reach", done, steps)
            done += 1
            if network is None:
                area = reach_area_shares(grid_geoms, site_xy, radius, quad_segs=quad_segs)
            else:
                area = region_area_shares(grid_geoms, network.service_area(site_xy, radius))
            frames.append(pd.DataFrame({
                s.GRID_CODE: codes, s.CATEGORY: key, RADIUS_M: radius, AREA_SHARE: area,
                HOUSEHOLDS_SHARE: _household_shares(hh_ctx, hh_dist, radius, len(grids)),
            }))
        report(progress, "progress.coverage.reach", done, steps)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in s.COVERAGE_COLUMNS})
    return pd.concat(frames, ignore_index=True)[list(s.COVERAGE_COLUMNS)]


def _household_context(project: Project, grids: gpd.GeoDataFrame) -> dict[str, Any] | None:
    households = project.layer(s.HOUSEHOLDS)
    if len(households) == 0:
        return None
    households = to_metric_crs(households)
    return {"xy": shapely.get_coordinates(households.geometry.values),
            "weight": _household_weights(households),
            "pairs": household_grid_pairs(households, grids)}


def _household_distances(ctx: dict[str, Any] | None, site_xy: np.ndarray, max_radius_m: float,
                         network: WalkNetwork | None) -> np.ndarray | None:
    if ctx is None:
        return None
    if network is not None:
        return network.distances(site_xy, ctx["xy"], max_distance_m=max_radius_m)
    return nearest_site_distance(ctx["xy"], site_xy, max_distance_m=max_radius_m)


def _household_shares(ctx: dict[str, Any] | None, dist: np.ndarray | None, radius_m: float,
                      n_grids: int) -> np.ndarray:
    if ctx is None or dist is None:
        return np.full(n_grids, np.nan)
    hh, grid = ctx["pairs"]["hh"].to_numpy(), ctx["pairs"]["grid"].to_numpy()
    weight = ctx["weight"][hh]
    total = np.bincount(grid, weights=weight, minlength=n_grids)
    covered = np.bincount(grid, weights=weight * (dist[hh] <= radius_m), minlength=n_grids)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, covered / np.where(total > 0, total, 1.0), np.nan)


# --- gaps ----------------------------------------------------------------------------

def rank_worst_grids(coverage_df: pd.DataFrame, *, category: str, radius_m: float, limit: int = 10,
                     grid_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The ``limit`` least-covered grids for one category and radius (optionally among ``grid_codes``).

    Sorted by households share (unknown counts as area share), then area share, then code;
    shares are compared to 6 decimals so that ties sort by code.
    """
    part = coverage_df[(coverage_df[s.CATEGORY] == category) & np.isclose(coverage_df[RADIUS_M], radius_m)]
    if grid_codes is not None:
        part = part[part[s.GRID_CODE].astype(str).isin(set(map(str, grid_codes)))]
    part = part.assign(_key=part[HOUSEHOLDS_SHARE].fillna(part[AREA_SHARE]).round(6),
                       _area=part[AREA_SHARE].round(6))
    part = part.sort_values(["_key", "_area", s.GRID_CODE]).drop(columns="_area")
    return part.drop(columns="_key").head(limit).reset_index(drop=True)


def with_coverage(project: Project, coverage_df: pd.DataFrame, *, meta: dict[str, Any] | None = None,
                  user: str = "") -> Project:
    """A copy of ``project`` holding the coverage table (and how it was measured in ``meta["coverage"]``).

    Only the per-grid table is stored: roll-ups and staffing depend on the active scenario and
    are computed when read (``geo.rollup``), so they can never go stale. The run is logged in the
    audit table (``coverage_run``, by ``user``).
    """
    out = project.with_table(s.COVERAGE, coverage_df)
    out = type(out)(layers=out.layers, tables={k: v for k, v in out.tables.items() if k not in STALE_TABLES},
                    meta=out.meta).with_meta(coverage=dict(meta or {}))
    return log_event(out, action="coverage_run", user=user, obj=s.COVERAGE, counts={
        "grids": coverage_df[s.GRID_CODE].nunique(), "categories": coverage_df[s.CATEGORY].nunique(),
        "radii": coverage_df[RADIUS_M].nunique(), "rows": len(coverage_df)})


def coverage_changes(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, Any]:
    """What replacing coverage table ``old`` by ``new`` changes, and why rows go.

    Rows are matched on grid, category and radius (radius as a number: 300 and 300.0 are one).
    Returns counts ``added``, ``removed``, ``changed`` (a share moved by more than 1e-6) and, for
    the removed rows, the reasons: ``removed_radii`` / ``removed_categories`` (measured before,
    not in this run) and ``removed_grids`` (rows of grids no longer in the table).
    """
    key = [s.GRID_CODE, s.CATEGORY, RADIUS_M]

    def keyed(df: pd.DataFrame) -> pd.DataFrame:
        if len(df) == 0 or not set(key) <= set(df.columns):
            return pd.DataFrame({**{k: pd.Series(dtype=object) for k in key[:2]}, RADIUS_M: pd.Series(dtype=float),
                                 "area_share": pd.Series(dtype=float)})
        return pd.DataFrame({s.GRID_CODE: df[s.GRID_CODE].astype(str).to_numpy(),
                             s.CATEGORY: df[s.CATEGORY].astype(str).to_numpy(),
                             RADIUS_M: pd.to_numeric(df[RADIUS_M], errors="coerce").astype(float).to_numpy(),
                             "area_share": pd.to_numeric(df["area_share"], errors="coerce").to_numpy()})

    a, b = keyed(old), keyed(new)
    merged = b.merge(a, on=key, how="outer", suffixes=("", "_old"), indicator=True)
    gone = merged[merged["_merge"] == "right_only"]
    both = merged[merged["_merge"] == "both"]
    changed = (both["area_share"] - both["area_share_old"]).abs() > 1e-6
    return {
        "added": int((merged["_merge"] == "left_only").sum()), "removed": len(gone), "changed": int(changed.sum()),
        "removed_radii": sorted(set(gone[RADIUS_M]) - set(b[RADIUS_M])),
        "removed_categories": sorted(set(gone[s.CATEGORY]) - set(b[s.CATEGORY])),
        "removed_grids": int(gone[s.GRID_CODE].isin(set(a[s.GRID_CODE]) - set(b[s.GRID_CODE])).sum()),
    }
