"""Where to add service points: the maximal covering location problem (MCLP).

Choose ``n_sites`` candidate sites so that the households within ``radius_m`` of a
chosen site (and not already within reach of an existing point of the category) are
as many as possible. Community-sized problems are solved exactly as a MILP with
HiGHS; beyond ``max_exact_pairs`` (demand x candidate pairs in reach) a lazy greedy
(CELF) is used, and the gap to the optimum is bounded by the LP relaxation and by
the submodular bound ``f(S) + sum of the n best marginal gains``.
"""
from __future__ import annotations

import heapq
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo import schema as s
from geo.crs import to_metric_crs
from geo.errors import GeoInputError

if TYPE_CHECKING:
    from geo.project import Project

MAX_EXACT_PAIRS = 50_000  # after merging identical demand rows
MAX_LP_PAIRS = 3_000_000
DEFAULT_LATTICE_M = 100.0


@dataclass(frozen=True)
class SitingResult:
    """The chosen candidates and how good they are.

    ``covered`` and ``upper_bound`` are in the demand's weight unit (households);
    ``upper_bound`` is a proven bound on the optimum (equal to ``covered`` when the MILP
    was solved to optimality).
    """

    chosen: np.ndarray
    covered: float
    total: float
    upper_bound: float
    method: str

    @property
    def gap(self) -> float:
        """Relative gap to the optimum bound: 0 means proven optimal."""
        if self.upper_bound <= 0:
            return 0.0
        return max(0.0, (self.upper_bound - self.covered) / self.upper_bound)


def coverage_matrix(demand_xy: np.ndarray, candidate_xy: np.ndarray, radius_m: float) -> sp.csc_matrix:
    """Boolean demand x candidate matrix: True where the candidate is within ``radius_m`` (metres)."""
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    shape = (len(demand_xy), len(candidate_xy))
    if 0 in shape:
        return sp.csc_matrix(shape, dtype=bool)
    tree = shapely.STRtree(shapely.points(candidate_xy))
    d_idx, c_idx = tree.query(shapely.points(demand_xy), predicate="dwithin", distance=radius_m)
    data = np.ones(len(d_idx), dtype=bool)
    return sp.csc_matrix((data, (d_idx, c_idx)), shape=shape)


def covered_weight(cover: sp.csc_matrix, weights: np.ndarray, chosen: np.ndarray) -> float:
    """Total weight of the demand covered by the ``chosen`` candidate columns."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(cover[:, np.asarray(chosen)].sum(axis=1)).ravel() > 0
    return float(np.asarray(weights, dtype=float)[hit].sum())


def merge_identical_demand(cover: sp.csc_matrix, weights: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray]:
    """Merge demand rows covered by exactly the same candidates (summing weights); drop uncoverable rows.

    The optimum and every bound are unchanged; the MILP gets much smaller on clustered data.
    """
    csr = sp.csr_matrix(cover, dtype=bool)
    csr.sort_indices()
    keys: dict[bytes, int] = {}
    group = np.empty(csr.shape[0], dtype=np.int64)
    for i in range(csr.shape[0]):
        group[i] = keys.setdefault(csr.indices[csr.indptr[i]:csr.indptr[i + 1]].tobytes(), len(keys))
    first = np.unique(group, return_index=True)[1]
    merged_w = np.bincount(group, weights=np.asarray(weights, dtype=float), minlength=len(first))
    merged = csr[first]
    keep = np.diff(merged.indptr) > 0
    return sp.csc_matrix(merged[keep]), merged_w[keep]


def greedy_mclp(cover: sp.csc_matrix, weights: np.ndarray, n_sites: int) -> tuple[np.ndarray, float]:
    """Lazy greedy (CELF): pick sites one by one by largest marginal covered weight.

    Returns
    -------
    tuple
        The chosen column indices and the best submodular upper bound on the optimum
        seen along the way (``f(S_k) + sum of the n_sites largest marginal gains``).
    """
    weights = np.asarray(weights, dtype=float)
    cover = sp.csc_matrix(cover, dtype=float)
    uncovered_w = weights.copy()
    gains = cover.T @ uncovered_w
    bound = float(np.sort(gains)[::-1][:n_sites].sum())
    heap = [(-g, j) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    value = 0.0
    indptr, indices = cover.indptr, cover.indices
    while heap and len(chosen) < n_sites:
        neg, j = heapq.heappop(heap)
        fresh = float(uncovered_w[indices[indptr[j]:indptr[j + 1]]].sum())
        if heap and fresh < -heap[0][0] - 1e-12:
            if fresh > 0:
                heapq.heappush(heap, (-fresh, j))
            continue
        chosen.append(j)
        value += fresh
        uncovered_w[indices[indptr[j]:indptr[j + 1]]] = 0.0
        marginal = cover.T @ uncovered_w
        bound = min(bound, value + float(np.sort(marginal)[::-1][:n_sites].sum()))
    return np.array(chosen, dtype=int), max(bound, value)


def _highs_model(cover: sp.csc_matrix, weights: np.ndarray, n_sites: int, *,
                 integer: bool) -> highspy.HighsLp:
    n_d, n_c = cover.shape
    # columns: x_j (candidates) then y_i (demand); rows: y_i - sum_j x_j <= 0, then sum_j x_j <= n
    x_part = sp.vstack([-sp.csc_matrix(cover, dtype=float), sp.csc_matrix(np.ones((1, n_c)))])
    y_part = sp.vstack([sp.identity(n_d, format="csc"), sp.csc_matrix((1, n_d))])
    a = sp.hstack([x_part, y_part], format="csc")
    a.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = n_c + n_d
    lp.num_row_ = n_d + 1
    lp.col_cost_ = np.concatenate([np.zeros(n_c), np.asarray(weights, dtype=float)])
    lp.col_lower_ = np.zeros(n_c + n_d)
    lp.col_upper_ = np.ones(n_c + n_d)
    lp.row_lower_ = np.full(n_d + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(n_d), [float(n_sites)]])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.a_matrix_.num_col_ = n_c + n_d
    lp.a_matrix_.num_row_ = n_d + 1
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_c + [highspy.HighsVarType.kContinuous] * n_d
    return lp


def _quiet_highs() -> highspy.Highs:
    """A HiGHS instance, with its one-time licence banner kept off our stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _run_highs(lp: highspy.HighsLp, *, time_limit_s: float) -> highspy.Highs:
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.passModel(lp)
    h.run()
    return h


def lp_bound(cover: sp.csc_matrix, weights: np.ndarray, n_sites: int, *, time_limit_s: float = 60.0) -> float:
    """The LP-relaxation optimum: an upper bound on the covered weight of any ``n_sites`` sites."""
    h = _run_highs(_highs_model(cover, weights, n_sites, integer=False), time_limit_s=time_limit_s)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return float(np.asarray(weights, dtype=float).sum())
    return float(h.getInfo().objective_function_value)


def solve_mclp(cover: sp.csc_matrix, weights: np.ndarray, n_sites: int, *, method: str = "auto",
               max_exact_pairs: int = MAX_EXACT_PAIRS, time_limit_s: float = 20.0) -> SitingResult:
    """Choose ``n_sites`` candidate columns of ``cover`` maximising the covered demand weight.

    Parameters
    ----------
    cover
        Boolean demand x candidate matrix (``coverage_matrix``).
    weights
        Demand weights (households), one per row.
    method
        ``"milp"`` (exact, HiGHS), ``"greedy"`` (lazy greedy) or ``"auto"``: MILP when the
        matrix has at most ``max_exact_pairs`` pairs.

    Returns
    -------
    SitingResult
        With a proven ``upper_bound`` on the optimum (MIP dual bound, or the better of
        the LP relaxation and the greedy's submodular bound).
    """
    weights = np.asarray(weights, dtype=float)
    total = float(weights.sum())
    n_sites = int(min(n_sites, cover.shape[1]))
    if n_sites <= 0 or cover.nnz == 0:
        return SitingResult(np.array([], dtype=int), 0.0, total, 0.0, "none")
    cover, weights = merge_identical_demand(cover, weights)
    if method == "auto":
        method = "milp" if cover.nnz <= max_exact_pairs else "greedy"
    if method == "milp":
        return _solve_exact(cover, weights, n_sites, total=total, time_limit_s=time_limit_s)
    chosen, bound = greedy_mclp(cover, weights, n_sites)
    if cover.nnz <= MAX_LP_PAIRS:
        bound = min(bound, lp_bound(cover, weights, n_sites, time_limit_s=time_limit_s))
    value = covered_weight(cover, weights, chosen)
    return SitingResult(chosen, value, total, max(bound, value), "greedy")


def _solve_exact(cover: sp.csc_matrix, weights: np.ndarray, n_sites: int, *, total: float,
                 time_limit_s: float) -> SitingResult:
    greedy_chosen, greedy_bound = greedy_mclp(cover, weights, n_sites)
    h = _run_highs(_highs_model(cover, weights, n_sites, integer=True), time_limit_s=time_limit_s)
    x = np.asarray(h.getSolution().col_value[: cover.shape[1]])
    chosen = np.flatnonzero(x > 0.5) if len(x) else np.array([], dtype=int)
    value = covered_weight(cover, weights, chosen)
    greedy_value = covered_weight(cover, weights, greedy_chosen)
    if greedy_value > value:  # time limit hit with a worse incumbent
        chosen, value = greedy_chosen, greedy_value
    dual = float(h.getInfo().mip_dual_bound)
    bound = min(dual, greedy_bound) if np.isfinite(dual) else greedy_bound
    return SitingResult(np.sort(chosen), value, total, max(min(bound, greedy_bound), value), "milp")


# --- from a project ------------------------------------------------------------------

def lattice_points(geoms: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Square-lattice points inside each polygon (metric CRS), one representative point when none fits.

    Returns
    -------
    tuple
        Coordinates (n, 2) and the position of the polygon each point belongs to.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=int)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    xs = np.arange(x0 + spacing_m / 2, x1, spacing_m)
    ys = np.arange(y0 + spacing_m / 2, y1, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    p_idx, g_idx = shapely.STRtree(geoms).query(shapely.points(xy), predicate="within")
    p_idx, first = np.unique(p_idx, return_index=True)  # a point on a shared edge goes to one polygon
    g_idx = g_idx[first]
    missing = np.setdiff1d(np.arange(len(geoms)), g_idx)
    rep = shapely.get_coordinates(shapely.point_on_surface(geoms[missing]))
    return np.vstack([xy[p_idx], rep]), np.concatenate([g_idx, missing])


def uncovered_demand(project: Project, *, category: str, radius_m: float,
                     lattice_m: float = DEFAULT_LATTICE_M) -> tuple[np.ndarray, np.ndarray]:
    """Demand not yet within ``radius_m`` of a point of ``category`` (EPSG:32648).

    Household points with their counts when the project has them; otherwise a lattice
    over the finest grids carrying each grid's household count spread evenly.

    Returns
    -------
    tuple
        Demand coordinates (n, 2) in metres and weights (households).
    """
    from geo.coverage import category_masks, nearest_site_distance
    from geo.hierarchy import grid_tree

    households = project.layer(s.HOUSEHOLDS)
    if len(households):
        hh = to_metric_crs(households)
        xy = shapely.get_coordinates(hh.geometry.values)
        weights = pd.to_numeric(hh[s.HOUSEHOLDS_N], errors="coerce").fillna(0).to_numpy(dtype=float) \
            if s.HOUSEHOLDS_N in hh else np.ones(len(hh))
    else:
        grids = to_metric_crs(project.layer(s.GRIDS))
        tree = grid_tree(project)
        leaves = tree[tree["is_leaf"].astype(bool)]
        leaf_geoms = grids.set_index(grids[s.CODE].astype(str)).loc[leaves.index].geometry.values
        xy, owner = lattice_points(leaf_geoms, lattice_m)
        per_grid = np.bincount(owner, minlength=len(leaves))
        weights = leaves[s.HOUSEHOLDS_N].fillna(0).to_numpy(dtype=float)[owner] / per_grid[owner]
    points = to_metric_crs(project.layer(s.SERVICE_POINTS))
    mask = category_masks(points).get(category, np.zeros(len(points), dtype=bool))
    site_xy = shapely.get_coordinates(points.geometry.values[mask]) if mask.any() else np.zeros((0, 2))
    far = nearest_site_distance(xy, site_xy, max_distance_m=radius_m) > radius_m
    keep = far & (weights > 0)
    return xy[keep], weights[keep]


def suggest_sites(project: Project, *, category: str, n_sites: int, radius_m: float,
                  candidates: str = "demand", lattice_m: float = DEFAULT_LATTICE_M, method: str = "auto",
                  max_exact_pairs: int = MAX_EXACT_PAIRS) -> tuple[gpd.GeoDataFrame, SitingResult]:
    """Suggest ``n_sites`` new service points of ``category`` covering the most uncovered households.

    Parameters
    ----------
    candidates
        ``"demand"``: the uncovered demand locations themselves; ``"lattice"``: a
        ``lattice_m`` square lattice over the grids.

    Returns
    -------
    tuple
        The suggested points (WGS 84, columns ``rank, category, households_gained``, in
        order of marginal gain) and the ``SitingResult``.

    Raises
    ------
    GeoInputError
        With code ``coverage.bad_suggest`` for a non-positive count or unknown candidate kind.
    """
    if n_sites <= 0 or candidates not in ("demand", "lattice"):
        msg = f"cannot suggest {n_sites} sites from candidates {candidates!r}"
        raise GeoInputError(msg, code="coverage.bad_suggest", n=n_sites, candidates=candidates)
    demand_xy, weights = uncovered_demand(project, category=category, radius_m=radius_m, lattice_m=lattice_m)
    if candidates == "demand":
        cand_xy = demand_xy
    else:
        grids = to_metric_crs(project.layer(s.GRIDS))
        cand_xy, _ = lattice_points(grids.geometry.values, lattice_m)
        cand_xy = np.unique(cand_xy, axis=0)
    cover = coverage_matrix(demand_xy, cand_xy, radius_m)
    result = solve_mclp(cover, weights, n_sites, method=method, max_exact_pairs=max_exact_pairs)
    gains = _ordered_gains(cover, weights, result.chosen)
    order = [j for j, _ in gains]
    pts = gpd.GeoDataFrame({"rank": np.arange(1, len(order) + 1), s.CATEGORY: category,
                            "households_gained": [g for _, g in gains]},
                           geometry=shapely.points(cand_xy[order]) if order else [], crs=s.METRIC_CRS)
    return pts.to_crs(s.STORAGE_CRS), result


def _ordered_gains(cover: sp.csc_matrix, weights: np.ndarray, chosen: np.ndarray) -> list[tuple[int, float]]:
    """Order chosen sites by greedy marginal gain (the first covers the most on its own)."""
    left = [int(j) for j in chosen]
    uncovered = np.asarray(weights, dtype=float).copy()
    out = []
    while left:
        gains = [float(uncovered[cover[:, j].indices].sum()) for j in left]
        k = int(np.argmax(gains))
        j = left.pop(k)
        out.append((j, gains[k]))
        uncovered[cover[:, j].indices] = 0.0
    return out
