"""Auto-gridding: split a community into micro-grids by household count and group them into general grids.

Method (all in a metric CRS): building sites are split by recursive household-weighted
bisection (k-d style, longest axis, cuts chosen so both sides can reach the band); cells
are the Voronoi diagram of the sites clipped to the parent and dissolved per group;
detached fragments go to the neighbour they share the longest edge with, and groups
outside the band are repaired by merging or moving boundary cells. Barrier lines split
the parent into pieces first. General grids are contiguous groups of micro-grids found
the same way on micro-grid centres.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.audit import log_event
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.gridcodes import code_pattern, stable_codes, used_codes, with_history
from geo.partition import (
    adjacency,
    components,
    dissolve,
    explode_owned,
    fill_unlabelled,
    make_contiguous,
    neighbour_table,
    node_coverage,
    voronoi_cells,
)
from geo.project import Project
from geo.records import rows_text, table_rows

DEFAULT_MICRO_BAND = (30, 100)
DEFAULT_GENERAL_BAND = (300, 500)

# note kinds (report entries); texts are catalogue keys "autogrid.note.<kind>"
NOTE_EMPTY_PARENT = "empty_parent"
NOTE_SINGLE_OVER = "single_building_over"
NOTE_MERGED_ACROSS_BARRIER = "merged_across_barrier"
NOTE_EMPTY_PIECE = "empty_piece_absorbed"
NOTE_OUT_OF_BAND = "out_of_band"
NOTE_BUILDINGS_OUTSIDE = "buildings_outside"


@dataclass(frozen=True)
class Partition:
    """Grids of one parent: geometry and household count per grid, and each building's grid.

    ``building_group`` is aligned with the input buildings (position, not label).
    ``single_over`` marks grids holding one building site above the band.
    """

    geoms: np.ndarray
    households: np.ndarray
    n_buildings: np.ndarray
    building_group: np.ndarray
    single_over: np.ndarray
    notes: list[dict[str, Any]] = field(default_factory=list)


def check_band(lo: float, hi: float) -> None:
    """Raise ``GeoInputError`` (code ``autogrid.bad_band``) unless ``0 < lo <= hi``."""
    if not (lo > 0 and hi >= lo):
        msg = f"household band {lo}-{hi} is not valid"
        raise GeoInputError(msg, code="autogrid.bad_band", min=lo, max=hi)


def choose_group_count(total: float, lo: float, hi: float) -> int:
    """How many groups of ``lo..hi`` households to make from ``total`` (closest to the band middle)."""
    if total <= hi:
        return 1
    low, high = int(np.ceil(total / hi)), int(np.floor(total / lo))
    ideal = int(round(total / ((lo + hi) / 2)))
    if low > high:  # no count puts every group in band (e.g. 550 in 300-500): fewest oversize
        return low
    return min(max(ideal, low), high)


def _best_cut(cum: np.ndarray, n1: int, n2: int, lo: float, hi: float) -> tuple[float, int]:
    total = cum[-1]
    left = cum[:-1]  # household sum left of each possible cut
    lo_left = max(n1 * lo, total - n2 * hi)
    hi_left = min(n1 * hi, total - n2 * lo)
    penalty = np.maximum(lo_left - left, 0) + np.maximum(left - hi_left, 0)
    score = penalty * 1e6 + np.abs(left - total * n1 / (n1 + n2))
    k = int(np.argmin(score))
    return float(score[k]), k + 1


def bisect_groups(xy: np.ndarray, weights: np.ndarray, *, lo: float, hi: float, seed: int = 0) -> np.ndarray:
    """Group sites by recursive household-weighted bisection.

    Parameters
    ----------
    xy
        ``(n, 2)`` site coordinates in metres.
    weights
        Households per site (>= 0).
    lo, hi
        The target band of households per group.
    seed
        Breaks ties between sites at the same coordinate along the cut axis.

    Returns
    -------
    numpy.ndarray
        Group label per site, ``0..k-1`` in the order groups were made.
    """
    xy = np.asarray(xy, dtype=float)
    weights = np.asarray(weights, dtype=float)
    labels = np.full(len(xy), -1, dtype=np.int64)
    tiebreak = np.random.default_rng(seed).random(len(xy))
    stack = [(np.arange(len(xy)), choose_group_count(weights.sum(), lo, hi))]
    next_label = 0
    while stack:
        idx, n = stack.pop()
        if n <= 1 or len(idx) <= 1:
            labels[idx] = next_label
            next_label += 1
            continue
        n1 = n // 2
        n2 = n - n1
        extent = np.ptp(xy[idx], axis=0)
        best = None
        for axis in sorted((0, 1), key=lambda a: -extent[a]):
            order = idx[np.lexsort((tiebreak[idx], xy[idx, 1 - axis], xy[idx, axis]))]
            score, k = _best_cut(np.cumsum(weights[order]), n1, n2, lo, hi)
            score *= 1.0 if extent[axis] >= extent.max() else 1.5  # prefer compact cuts
            if best is None or score < best[0]:
                best = (score, order[:k], order[k:])
        assert best is not None
        left, right = best[1], best[2]
        for part in (right, left):  # left is popped first
            total = weights[part].sum()
            want = n1 if part is left else n2
            low, high = int(np.ceil(total / hi)), max(int(np.floor(total / lo)), 1)
            stack.append((part, min(max(want, low), high) if low <= high else low))
    return labels


def _group_sums(labels: np.ndarray, weights: np.ndarray) -> dict[int, float]:
    sums: dict[int, float] = defaultdict(float)
    for lab, w in zip(labels.tolist(), weights.tolist()):
        sums[lab] += w
    return sums


def _try_merge_small(labels, neighbours, sums, lo, hi) -> bool:
    for lab in sorted(sums, key=lambda g: (sums[g], g)):
        if not 0 < sums[lab] < lo:
            continue
        nodes = np.flatnonzero(labels == lab)
        adjacent = {int(labels[nb]) for node in nodes for nb in neighbours[node]} - {lab}
        fits = [g for g in adjacent if sums[g] + sums[lab] <= hi]
        if fits:
            target = min(fits, key=lambda g: (sums[g], g))
            labels[nodes] = target
            sums[target] += sums.pop(lab)
            return True
    return False


def _still_connected(nodes: list[int], neighbours) -> bool:
    return len(nodes) == 0 or len(components(nodes, neighbours)) == 1


def _try_move_one(labels, neighbours, weights, sums, lo, hi) -> bool:
    """Move one boundary node from an over-full or to an under-full group, keeping contiguity."""
    for lab in sorted(sums, key=lambda g: g):
        under, over = 0 < sums[lab] < lo, sums[lab] > hi
        if not (under or over):
            continue
        nodes = np.flatnonzero(labels == lab).tolist()
        candidates = []
        if over and len([n for n in nodes if weights[n] > 0]) > 1:
            for node in nodes:
                for nb in neighbours[node]:
                    other = int(labels[nb])
                    if other != lab and sums[other] + weights[node] <= hi and weights[node] > 0:
                        candidates.append((node, lab, other))
        if under:
            for node in nodes:
                for nb in neighbours[node]:
                    other = int(labels[nb])
                    if other != lab and sums[other] - weights[nb] >= lo and sums[lab] + weights[nb] <= hi:
                        candidates.append((nb, other, lab))
        for node, donor, taker in sorted(set(candidates), key=lambda c: (-weights[c[0]], c)):
            rest = [n for n in np.flatnonzero(labels == donor).tolist() if n != node]
            if _still_connected(rest, neighbours):
                labels[node] = taker
                sums[donor] -= weights[node]
                sums[taker] += weights[node]
                return True
    return False


def repair_band(labels: np.ndarray, neighbours: list[dict[int, float]], weights: np.ndarray, *,
                lo: float, hi: float, max_steps: int = 2000) -> np.ndarray:
    """Merge under-band groups into neighbours and move boundary nodes until groups are in band.

    Groups stay contiguous. Returns new labels ``0..k-1`` (renumbered in first-seen order).
    """
    out = labels.copy()
    sums = _group_sums(out, weights)
    for _ in range(max_steps):
        if not (_try_merge_small(out, neighbours, sums, lo, hi)
                or _try_move_one(out, neighbours, weights, sums, lo, hi)):
            break
    _, first = np.unique(out, return_index=True)
    remap = {int(out[i]): k for k, i in enumerate(sorted(first))}
    return np.array([remap[int(v)] for v in out], dtype=np.int64)


def split_by_barriers(parent: shapely.Geometry, barriers: shapely.Geometry | None) -> list[shapely.Geometry]:
    """The polygon pieces of ``parent`` cut by barrier lines (same CRS); pieces in a stable order."""
    if barriers is None or shapely.is_empty(barriers):
        return sorted(shapely.get_parts(parent).tolist(), key=lambda g: g.bounds)
    lines = shapely.intersection(barriers, parent)
    noded = shapely.union_all([shapely.boundary(parent), lines])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.within(shapely.point_on_surface(faces), parent)
    return sorted(faces[inside].tolist(), key=lambda g: g.bounds)


def _merge_small_pieces(pieces, piece_h, lo) -> tuple[list, list[dict[str, Any]]]:
    """Merge pieces below the band (or empty) into the neighbour piece sharing the longest edge."""
    notes: list[dict[str, Any]] = []
    pieces, piece_h = list(pieces), list(piece_h)
    while len(pieces) > 1:
        small = [k for k in range(len(pieces)) if piece_h[k] < lo]
        if not small:
            break
        i, j, length = adjacency(np.array(pieces, dtype=object))
        table = neighbour_table(len(pieces), i, j, length)
        k = next((k for k in sorted(small, key=lambda k: (piece_h[k], k)) if table[k]), None)
        if k is None:
            break
        target = max(sorted(table[k]), key=lambda nb: table[k][nb])
        kind = NOTE_EMPTY_PIECE if piece_h[k] == 0 else NOTE_MERGED_ACROSS_BARRIER
        notes.append({"kind": kind, "households": int(piece_h[k]), "area_m2": round(pieces[k].area)})
        pieces[target] = shapely.union_all([pieces[target], pieces[k]])
        piece_h[target] += piece_h[k]
        del pieces[k], piece_h[k]
    return pieces, notes


def _sites(xy: np.ndarray, households: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct building sites: coordinates, summed households and the site of each building."""
    sites, inverse = np.unique(xy, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=households, minlength=len(sites))
    return sites, weights, inverse.ravel()


def _partition_piece(piece, xy, weights, lo, hi, seed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Micro-grids of one piece: (group geometries, group households, site -> group)."""
    if len(xy) == 0 or weights.sum() == 0:
        return np.array([piece], dtype=object), np.array([weights.sum()]), np.zeros(len(xy), dtype=np.int64)
    cells = voronoi_cells(xy, piece)
    parts, owner = explode_owned(cells, xy)
    site_labels = bisect_groups(xy, weights, lo=lo, hi=hi, seed=seed)
    labels = np.where(owner >= 0, site_labels[np.maximum(owner, 0)], -1)
    part_w = np.where(owner >= 0, weights[np.maximum(owner, 0)], 0.0)
    table = neighbour_table(len(parts), *adjacency(parts))
    labels = fill_unlabelled(labels, table)
    labels, _ = make_contiguous(labels, table, part_w)
    labels = repair_band(labels, table, part_w, lo=lo, hi=hi)
    n = int(labels.max()) + 1
    geoms = dissolve(parts, labels, n)
    sums = np.bincount(labels, weights=part_w, minlength=n)
    site_group = np.full(len(xy), -1, dtype=np.int64)
    site_group[owner[owner >= 0]] = labels[owner >= 0]
    if (site_group < 0).any():  # a site whose own part vanished: locate it
        for k in np.flatnonzero(site_group < 0):
            site_group[k] = int(np.argmax(shapely.intersects(geoms, shapely.Point(xy[k]))))
    return geoms, sums, site_group


def partition_parent(parent: shapely.Geometry, xy: np.ndarray, households: np.ndarray, *,
                     min_households: float = 30, max_households: float = 100,
                     barriers: shapely.Geometry | None = None, seed: int = 0) -> Partition:
    """Split ``parent`` into contiguous grids whose household counts lie in the band.

    Parameters
    ----------
    parent
        Polygon or MultiPolygon in a projected CRS (metres).
    xy
        ``(n, 2)`` building coordinates, same CRS, all inside ``parent``.
    households
        Households per building (>= 0).
    min_households, max_households
        The band (inclusive).
    barriers
        Optional lines (roads, rivers) the grids must not cross; pieces below the band
        are merged across a barrier as a last resort and reported.
    seed
        Makes tie-breaks reproducible; same inputs and seed give identical output.

    Returns
    -------
    Partition
        The grids tile ``parent`` exactly (a valid coverage), each building in one grid.

    Raises
    ------
    GeoInputError
        ``autogrid.bad_band``, ``autogrid.bad_households`` or ``autogrid.points_outside``.
    """
    lo, hi = min_households, max_households
    check_band(lo, hi)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    households = np.asarray(households, dtype=float)
    bad = np.flatnonzero(~np.isfinite(households) | (households < 0))
    if len(bad):
        msg = f"households must be counts >= 0; bad rows {bad[:10].tolist()}"
        raise GeoInputError(msg, code="autogrid.bad_households", ids=bad.tolist())
    shapely.prepare(parent)
    outside = np.flatnonzero(~shapely.covers(parent, shapely.points(xy))) if len(xy) else np.array([], int)
    if len(outside):
        msg = f"{len(outside)} buildings lie outside the parent polygon"
        raise GeoInputError(msg, code="autogrid.points_outside", ids=outside.tolist(), count=len(outside))
    notes: list[dict[str, Any]] = []
    if households.sum() == 0:
        notes.append({"kind": NOTE_EMPTY_PARENT, "buildings": len(xy)})
        return Partition(np.array([parent], dtype=object), np.array([0.0]), np.array([len(xy)]),
                         np.zeros(len(xy), dtype=np.int64), np.array([False]), notes)
    sites, weights, site_of = _sites(xy, households)
    pieces = split_by_barriers(parent, barriers)
    piece_of_site = _piece_of(sites, pieces)
    piece_h = [float(weights[piece_of_site == k].sum()) for k in range(len(pieces))]
    if len(pieces) > 1:
        pieces, piece_notes = _merge_small_pieces(pieces, piece_h, lo)
        notes += piece_notes
        piece_of_site = _piece_of(sites, pieces)
    geoms, sums, site_group = [], [], np.full(len(sites), -1, dtype=np.int64)
    for k, piece in enumerate(pieces):
        members = np.flatnonzero(piece_of_site == k)
        g, h, local = _partition_piece(piece, sites[members], weights[members], lo, hi, seed)
        site_group[members] = local + len(geoms)
        geoms += list(g)
        sums += list(h)
    geoms_arr = node_coverage(np.array(geoms, dtype=object))
    sums_arr = np.array(sums, dtype=float)
    sites_per_group = np.bincount(site_group, minlength=len(geoms_arr))
    single_over = (sums_arr > hi) & (sites_per_group == 1)
    for k in np.flatnonzero(single_over):
        notes.append({"kind": NOTE_SINGLE_OVER, "grid": int(k), "households": int(sums_arr[k])})
    building_group = site_group[site_of]
    n_buildings = np.bincount(building_group, minlength=len(geoms_arr))
    return Partition(geoms_arr, sums_arr, n_buildings, building_group, single_over, notes)


def _piece_of(sites: np.ndarray, pieces: list) -> np.ndarray:
    out = np.full(len(sites), -1, dtype=np.int64)
    pts = shapely.points(sites)
    for k, piece in enumerate(pieces):
        hit = (out < 0) & shapely.covers(piece, pts)
        out[hit] = k
    if (out < 0).any():  # numerically on no piece (on a barrier): nearest piece
        for n in np.flatnonzero(out < 0):
            out[n] = int(np.argmin(shapely.distance(np.array(pieces, dtype=object), pts[n])))
    return out


def group_grids(geoms: np.ndarray, households: np.ndarray, *, min_households: float = 300,
                max_households: float = 500, seed: int = 0) -> np.ndarray:
    """Group adjacent grids (e.g. micro-grids) into contiguous groups in the household band.

    Parameters
    ----------
    geoms
        Polygons forming a coverage, projected CRS (metres).
    households
        Households per polygon.

    Returns
    -------
    numpy.ndarray
        Group label ``0..k-1`` per polygon.
    """
    check_band(min_households, max_households)
    geoms = np.asarray(geoms, dtype=object)
    weights = np.asarray(households, dtype=float)
    if len(geoms) == 0:
        return np.array([], dtype=np.int64)
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    labels = bisect_groups(xy, weights, lo=min_households, hi=max_households, seed=seed)
    table = neighbour_table(len(geoms), *adjacency(geoms))
    labels, _ = make_contiguous(labels, table, weights)
    return repair_band(labels, table, weights, lo=min_households, hi=max_households)


def summarise_households(households: np.ndarray, *, lo: float, hi: float,
                         single_over: np.ndarray | None = None) -> dict[str, Any]:
    """Distribution of households per grid: count, min/median/max, share inside the band.

    ``share_in_band_excl_single`` leaves out grids made of one building above the band.
    """
    h = np.asarray(households, dtype=float)
    if len(h) == 0:
        return {"grids": 0, "min": 0, "median": 0, "max": 0, "share_in_band": 1.0,
                "share_in_band_excl_single": 1.0, "single_over": 0}
    single = np.zeros(len(h), dtype=bool) if single_over is None else np.asarray(single_over, dtype=bool)
    inside = (h >= lo) & (h <= hi)
    rest = ~single
    return {
        "grids": len(h), "min": int(h.min()), "median": float(np.median(h)), "max": int(h.max()),
        "share_in_band": float(inside.mean()),
        "share_in_band_excl_single": float(inside[rest].mean()) if rest.any() else 1.0,
        "single_over": int(single.sum()),
    }


def micro_kind(*, community_kind: str, households_per_building: float) -> str:
    """The micro-grid kind: 林盘 in villages; 小区 for apartment blocks, else 院落."""
    if community_kind == "村":
        return "林盘"
    return "小区" if households_per_building >= 15 else "院落"


def autogrid_community(parent: shapely.Geometry, buildings: gpd.GeoDataFrame, *, community_code: str,
                       town_code: str | None = None, community_kind: str = "社区",
                       micro_band: tuple[float, float] = DEFAULT_MICRO_BAND,
                       general_band: tuple[float, float] = DEFAULT_GENERAL_BAND,
                       barriers: shapely.Geometry | None = None, seed: int = 0,
                       name_prefix: str = "", households_col: str = s.HOUSEHOLDS_N,
                       ) -> tuple[gpd.GeoDataFrame, pd.Series, dict[str, Any]]:
    """Micro-grids and general grids of one community, as rows of the project's grids layer.

    Parameters
    ----------
    parent
        The community polygon in the CRS of ``buildings`` (projected, metres).
    buildings
        Points with a household count column; must lie inside ``parent``.

    Returns
    -------
    grids
        GeoDataFrame (CRS of ``buildings``) with the schema's grid columns; general grids
        first, each followed by its micro-grids. Codes ``<community>-Gnn`` and ``-Gnn-Mnn``.
    building_grid
        Micro-grid code per building, indexed like ``buildings``.
    report
        ``{"micro": summary, "general": summary, "notes": [...]}``.
    """
    xy = shapely.get_coordinates(buildings.geometry.values) if len(buildings) else np.zeros((0, 2))
    hh = buildings[households_col].to_numpy(dtype=float) if len(buildings) else np.zeros(0)
    micro = partition_parent(parent, xy, hh, min_households=micro_band[0], max_households=micro_band[1],
                             barriers=barriers, seed=seed)
    general = group_grids(micro.geoms, micro.households, min_households=general_band[0],
                          max_households=general_band[1], seed=seed)
    rows, geoms, micro_code = [], [], np.empty(len(micro.geoms), dtype=object)
    n_general = int(general.max()) + 1
    general_geoms = dissolve(micro.geoms, general, n_general)
    general_h = np.bincount(general, weights=micro.households, minlength=n_general)
    base = {s.COMMUNITY_CODE: community_code, s.TOWN_CODE: town_code, s.ILLUSTRATIVE: True}
    for g in range(n_general):
        gcode = f"{community_code}-G{g + 1:02d}"
        rows.append({s.CODE: gcode, s.NAME: f"{name_prefix}第{g + 1}网格", s.LEVEL: s.LEVEL_GENERAL,
                     s.KIND: "", s.PARENT_CODE: community_code, s.HOUSEHOLDS_N: int(general_h[g]), **base})
        geoms.append(general_geoms[g])
        for m, k in enumerate(np.flatnonzero(general == g).tolist()):
            code = f"{gcode}-M{m + 1:02d}"
            micro_code[k] = code
            per_building = micro.households[k] / max(int(micro.n_buildings[k]), 1)
            rows.append({s.CODE: code, s.NAME: f"{name_prefix}第{g + 1}网格{m + 1}号微网格",
                         s.LEVEL: s.LEVEL_MICRO,
                         s.KIND: micro_kind(community_kind=community_kind, households_per_building=per_building),
                         s.PARENT_CODE: gcode, s.HOUSEHOLDS_N: int(micro.households[k]), **base})
            geoms.append(micro.geoms[k])
    grids = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=buildings.crs)
    building_grid = pd.Series(micro_code[micro.building_group] if len(buildings) else [],
                              index=buildings.index, dtype=object, name=s.GRID_CODE)
    single_general = np.zeros(n_general, dtype=bool)
    report = {
        "micro": summarise_households(micro.households, lo=micro_band[0], hi=micro_band[1],
                                      single_over=micro.single_over),
        "general": summarise_households(general_h, lo=general_band[0], hi=general_band[1],
                                        single_over=single_general),
        "notes": [{**note, "community_code": community_code} for note in micro.notes],
    }
    return grids, building_grid, report


def autogrid_project(project: Project, *, community_codes: list[str] | None = None,
                     micro_band: tuple[float, float] = DEFAULT_MICRO_BAND,
                     general_band: tuple[float, float] = DEFAULT_GENERAL_BAND,
                     barriers: gpd.GeoDataFrame | None = None, seed: int = 0, user: str = "",
                     ) -> tuple[Project, dict[str, Any]]:
    """Re-grid communities of a project from its household points; return the new project and a report.

    Existing micro and general grids of the chosen communities are replaced; other
    grids (dedicated, master, other communities) are kept. Codes are stable
    (``geo.gridcodes.stable_codes``): a grid drawn again unchanged keeps its code, new grids get
    new codes of the ``grid_code_pattern`` setting, and replaced codes retire into table
    ``grid_code_history`` (``report["retired_codes"]``). Assignments to retired
    grids (locked and manual ones too: their grid no longer exists as drawn) are removed
    and counted in ``report["dropped_assignments"]``; re-run the assignment afterwards.
    The run is logged in the audit table (``autogrid``, by ``user``) with every removed assignment.
    Work is done in the metric CRS (UTM 48N); the grids layer stays in WGS 84.

    Parameters
    ----------
    community_codes
        Communities to grid; ``None`` grids all of them.
    barriers
        Optional line layer (any CRS with a CRS set).

    Raises
    ------
    GeoInputError
        ``autogrid.no_buildings``, ``autogrid.unknown_community`` or a band/household error.
    """
    check_band(*micro_band)
    check_band(*general_band)
    if s.HOUSEHOLDS not in project.layers or len(project.layers[s.HOUSEHOLDS]) == 0:
        msg = "project has no households layer"
        raise GeoInputError(msg, code="autogrid.no_buildings", file=str(project.meta.get("path", "")))
    comms = to_metric_crs(project.layer(s.COMMUNITIES))
    codes = comms[s.CODE].astype(str).tolist()
    wanted = codes if community_codes is None else [str(c) for c in community_codes]
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        msg = f"unknown community codes {unknown}"
        raise GeoInputError(msg, code="autogrid.unknown_community", ids=unknown)
    bld = to_metric_crs(project.layer(s.HOUSEHOLDS))
    hits = gpd.sjoin(bld[[s.HOUSEHOLDS_N, "geometry"]], comms[[s.CODE, "geometry"]],
                     predicate="within", how="left")
    hits = hits[~hits.index.duplicated(keep="first")]
    outside = hits.index[hits[s.CODE].isna()].tolist()
    lines = None
    if barriers is not None and len(barriers):
        lines = shapely.union_all(to_metric_crs(barriers).geometry.values)
    new_frames, report = [], {"communities": {}, "notes": [], "outside": outside}
    for n, code in enumerate(wanted):
        row = comms.iloc[codes.index(code)]
        members = bld.loc[hits.index[hits[s.CODE] == code]]
        grids, _, rep = autogrid_community(
            row.geometry, members, community_code=code, town_code=row.get(s.TOWN_CODE),
            community_kind=str(row.get(s.KIND) or "社区"), micro_band=micro_band, general_band=general_band,
            barriers=lines, seed=seed + n, name_prefix=str(row.get(s.NAME) or ""))
        new_frames.append(grids.to_crs(s.STORAGE_CRS))
        report["communities"][code] = rep
        report["notes"] += rep["notes"]
    old = project.layer(s.GRIDS)
    replaced = _replaced_mask(old, wanted)
    # stable codes (geo.gridcodes): unchanged shapes keep their code, new grids get new codes,
    # the rest retire into the history table; only assignments to retired codes are removed
    coded, retired = stable_codes(old[replaced], gpd.GeoDataFrame(pd.concat(new_frames, ignore_index=True),
                                                                  crs=s.STORAGE_CRS),
                                  used=used_codes(project), pattern=code_pattern(project.settings), event="regrid",
                                  user=user)
    new_frames = [coded]
    replaced_codes = set(retired[s.CODE].astype(str))
    report["retired_codes"] = sorted(replaced_codes)
    old = old[~replaced]
    frames = [f for f in [old.to_crs(s.STORAGE_CRS) if len(old) else None, *new_frames] if f is not None]
    grids = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=s.STORAGE_CRS)
    new = pd.concat(new_frames, ignore_index=True)
    for level, band in ((s.LEVEL_MICRO, micro_band), (s.LEVEL_GENERAL, general_band)):
        sub = new[new[s.LEVEL] == level]
        single = np.zeros(len(sub), dtype=bool)
        if level == s.LEVEL_MICRO:
            single = _single_over_from_reports(sub, report)
        report[level] = summarise_households(sub[s.HOUSEHOLDS_N].to_numpy(), lo=band[0], hi=band[1],
                                             single_over=single)
    rows = project.table(s.ASSIGNMENTS)
    stale = rows[s.GRID_CODE].astype(str).isin(replaced_codes) if len(rows) else pd.Series(dtype=bool)
    report["dropped_assignments"] = int(stale.sum())
    new_project = with_history(project.with_layer(s.GRIDS, grids), retired)
    if report["dropped_assignments"]:
        new_project = new_project.with_table(s.ASSIGNMENTS, rows[~stale].reset_index(drop=True))
    new_project = log_event(new_project, action="autogrid", user=user, obj=",".join(wanted),
                            detail=_removed_text(rows[stale] if len(rows) else rows), counts={
                                "communities": len(wanted), "grids_removed": len(replaced_codes),
                                "grids_added": sum(len(f) for f in new_frames),
                                "assignments_removed": report["dropped_assignments"]})
    return new_project, report


def _removed_text(rows: pd.DataFrame) -> str:
    """Removed assignment rows as audit text, every row, by scenario (``基线: V1@G1(leader); ...``)."""
    if rows.empty:
        return ""
    labels = rows.get(s.SCENARIO, pd.Series(None, index=rows.index, dtype=object)).astype(object)
    labels = labels.where(labels.notna() & (labels != ""), s.DEFAULT_SCENARIO)
    return " | ".join(f"{name}: {rows_text(s.ASSIGNMENTS, table_rows(part), limit=None)}"
                      for name, part in rows.groupby(labels, sort=False))


def _replaced_mask(grids: pd.DataFrame, community_codes: list[str]) -> np.ndarray:
    """Rows of ``grids`` that re-gridding ``community_codes`` replaces (their micro and general grids)."""
    if not len(grids) or s.LEVEL not in grids.columns:
        return np.zeros(len(grids), dtype=bool)
    community = grids.get(s.COMMUNITY_CODE, pd.Series(index=grids.index, dtype=object)).astype(str)
    return (grids[s.LEVEL].isin([s.LEVEL_MICRO, s.LEVEL_GENERAL]) & community.isin(community_codes)).to_numpy()


def find_replaced_grids(project: Project, *, community_codes: list[str]) -> list[str]:
    """Codes of the grids ``autogrid_project(project, community_codes=...)`` would replace.

    These are the micro and general grids of the chosen communities; assignments that
    name them no longer point at the grid they were made for once the communities are
    re-gridded (the caller warns or reassigns).
    """
    grids = project.layer(s.GRIDS)
    mask = _replaced_mask(grids, [str(c) for c in community_codes])
    return grids.loc[mask, s.CODE].astype(str).tolist() if mask.any() else []


def _single_over_from_reports(micro: pd.DataFrame, report: dict[str, Any]) -> np.ndarray:
    """Micro rows that are one building above the band (from the per-community notes)."""
    flagged = set()
    for code, rep in report["communities"].items():
        for note in rep["notes"]:
            if note.get("kind") == NOTE_SINGLE_OVER:
                flagged.add((code, note["households"]))
    return np.array([(c, h) in flagged for c, h in zip(micro[s.COMMUNITY_CODE], micro[s.HOUSEHOLDS_N])])
