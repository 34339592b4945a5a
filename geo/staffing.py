"""Optimal staffing: volunteers to grids by exact min-cost flow, with targets, locks, churn and reasons.

The model (all distances in metres, EPSG:32648 by default)
-----------------------------------------------------------
* Each grid needs ``target`` people (see ``grid_targets``); each volunteer serves at most
  ``capacity`` grids (blank capacity means 1), at most once per grid.
* The cost of volunteer *v* serving grid *g* is the straight-line distance from *v*'s home
  to *g*'s centroid, rounded to whole metres, less ``same_community_discount_m`` when
  ``prefer_same_community`` is on and both are in one community, less ``stability_m``
  when the pair was already assigned in this scenario (the churn term); never below 0.
* Candidate pairs are each volunteer's ``k_nearest`` grids plus each grid's own
  ``grid_k_nearest`` volunteers (and its nearest skilled volunteers when it requires
  skills), plus the pairs already assigned; pairs beyond ``max_distance_m`` or lacking a
  required skill are never candidates. The flow is exact (OR-Tools SimpleMinCostFlow)
  over that candidate set.
* A dummy "short" arc per grid costs more than any possible rerouting, so the solver fills
  as many places as it can first, then minimises distance; unfilled places are reported with
  a reason (``no_volunteer_in_reach``, ``no_volunteer_with_skills``, ``capacity_exhausted``).
* ``one_leadership``: a person is placed in at most one micro-grid (where, with the default
  target of 1, they are its leader).
* Rows with ``locked=True`` or method ``manual``/``locked`` are kept as they are; they use
  their volunteer's capacity and their grid's target.

Roles: in each micro-grid the first place is the ``leader``, in other grids the ``worker``;
further places are ``member``. Locked rows keep their role; among new rows the closest
person takes the first free role.

Targets (``project.settings["targets"]``)
-----------------------------------------
``{"micro": 1, "general": 1, "dedicated": 1, "master": 0,          # per level
   "by_kind": {"林盘": 2},                                            # optional, per grid kind
   "per_100_households": {"general": 0.5}}                           # optional, per level``
A grid's target is ``by_kind[kind]`` when its kind is listed, else its level's value; when
``per_100_households`` has a rate for its level the target is raised to
``ceil(households * rate / 100)``. A non-null grid column ``target`` overrides all of this.

Options (``project.settings["staffing"]``, see ``StaffingOptions``) can be overridden per run.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from geo import schema as s
from geo.assign import point_grids_table
from geo.audit import log_event
from geo.errors import GeoInputError
from geo.values import is_true, now_iso

REQUIRED_SKILLS = "required_skills"  # optional grid column, ";"-separated
TARGET = "target"  # optional grid column overriding the settings
OUT_OF_AREA_M = 50_000.0  # a home this far from every grid has coordinates in the wrong system

# reason codes (messages: "assign.reason.<code>")
NO_COORDINATES = "no_coordinates"
OUT_OF_AREA = "out_of_area"
BAD_CAPACITY = "bad_capacity"
DUPLICATE_ID = "duplicate_id"
GRID_NO_GEOMETRY = "grid_no_geometry"
DUPLICATE_GRID = "duplicate_grid_code"
NO_VOLUNTEER_IN_REACH = "no_volunteer_in_reach"
NO_VOLUNTEER_WITH_SKILLS = "no_volunteer_with_skills"
CAPACITY_EXHAUSTED = "capacity_exhausted"
NOT_NEEDED = "not_needed"
NO_GRID_IN_REACH = "no_grid_in_reach"
LOCKED_ROW_UNKNOWN = "locked_row_unknown"

REASON_COLUMNS = ("kind", "id", s.REASON, "detail")
SHORT_COLUMNS = (s.GRID_CODE, "target", "actual", "short", s.REASON)
FIXED_METHODS = ("manual", "locked")


@dataclass(frozen=True)
class StaffingOptions:
    """Planner switches for one staffing run (distances in metres)."""

    max_distance_m: float | None = None  # no volunteer serves a grid farther than this
    prefer_same_community: bool = False
    same_community_discount_m: float = 500.0
    one_leadership: bool = False  # a person is placed in at most one micro-grid
    stability_m: float = 200.0  # keep an existing pair unless moving saves more than this
    k_nearest: int = 10  # candidate grids per volunteer
    grid_k_nearest: int = 10  # candidate volunteers per grid
    scenario: str = s.DEFAULT_SCENARIO
    crs_metric: str = s.METRIC_CRS

    @classmethod
    def from_settings(cls, settings: dict[str, Any], **overrides: Any) -> StaffingOptions:
        """Options from ``settings["staffing"]`` (and ``max_distance_m``), then ``overrides`` (None = keep)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in dict(settings.get("staffing", {})).items() if k in names}
        values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**values)


@dataclass
class StaffingResult:
    """What a staffing run produced.

    ``assignments``: the whole new assignments table (every scenario, ``ASSIGNMENT_COLUMNS``);
    ``short``: grids below target (``SHORT_COLUMNS``); ``reasons``: everything left out or
    skipped (``REASON_COLUMNS``: kind volunteer/grid, id, reason code, detail);
    ``changes``: counts ``added``, ``removed``, ``moved``, ``kept``, ``fixed``;
    ``objective_m``: total home→grid distance of the optimised rows; ``solver_cost``: the
    min-cost-flow objective (with discounts and short penalties); ``problem``: the arrays of the
    flow actually solved (candidate arcs, capacities, demands), for audits and LP checks.
    """

    assignments: pd.DataFrame
    short: pd.DataFrame
    reasons: pd.DataFrame
    changes: dict[str, int]
    objective_m: float
    solver_cost: int
    stats: dict[str, Any] = field(default_factory=dict)
    problem: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # the flow solved (for audits/LP)


# --- targets ----------------------------------------------------------------------------

def grid_targets(grids_gdf: pd.DataFrame, targets: dict[str, Any]) -> np.ndarray:
    """Staffing target (people) of every grid row, by the rules in the module docstring."""
    n = len(grids_gdf)
    level = grids_gdf[s.LEVEL].astype(object).to_numpy() if s.LEVEL in grids_gdf else np.full(n, None)
    base = np.array([float(targets.get(lv, 0) or 0) if isinstance(lv, str) else 0.0 for lv in level])
    by_kind = targets.get("by_kind") or {}
    if by_kind and s.KIND in grids_gdf:
        kind_t = grids_gdf[s.KIND].map(lambda k: by_kind.get(k) if isinstance(k, str) else None)
        base = np.where(kind_t.notna(), pd.to_numeric(kind_t, errors="coerce").fillna(0), base)
    rates = targets.get("per_100_households") or {}
    if rates and s.HOUSEHOLDS_N in grids_gdf:
        hh = pd.to_numeric(grids_gdf[s.HOUSEHOLDS_N], errors="coerce").fillna(0).to_numpy(dtype=float)
        rate = np.array([float(rates.get(lv, 0) or 0) if isinstance(lv, str) else 0.0 for lv in level])
        base = np.maximum(base, np.ceil(hh * rate / 100.0 - 1e-9))
    if TARGET in grids_gdf:
        override = pd.to_numeric(grids_gdf[TARGET], errors="coerce").to_numpy(dtype=float)
        base = np.where(np.isnan(override), base, override)
    return np.maximum(base, 0).astype(np.int64)


# --- input cleaning ---------------------------------------------------------------------

def _reasons(kind: str, ids: Any, reason: str, detail: Any = "") -> pd.DataFrame:
    ids = list(ids)
    details = list(detail) if isinstance(detail, (list, np.ndarray, pd.Series)) else [detail] * len(ids)
    return pd.DataFrame({"kind": kind, "id": [str(i) for i in ids], s.REASON: reason,
                         "detail": [str(d) for d in details]})


def _metric_xy(geoms: np.ndarray, crs: pyproj.CRS, crs_metric: str) -> np.ndarray:
    xy = np.full((len(geoms), 2), np.nan)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        pts = shapely.centroid(geoms[ok]) if not np.all(shapely.get_type_id(geoms[ok]) == 0) else geoms[ok]
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        if crs is not None and not pyproj.CRS(crs).equals(pyproj.CRS(crs_metric)):
            x, y = pyproj.Transformer.from_crs(crs, crs_metric, always_xy=True).transform(x, y)
        xy[ok] = np.column_stack([x, y])
    return xy


def _grid_centroids(grids_gdf: gpd.GeoDataFrame, crs_metric: str) -> np.ndarray:
    """Grid centroids in metres (polygons reprojected first, so the centroid is metric)."""
    geoms = np.asarray(grids_gdf.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    xy = np.full((len(geoms), 2), np.nan)
    if ok.any():
        metric = gpd.GeoSeries(geoms[ok], crs=grids_gdf.crs).to_crs(crs_metric).values
        cen = shapely.centroid(metric)
        xy[ok] = np.column_stack([shapely.get_x(cen), shapely.get_y(cen)])
    return xy


def _clean_volunteers(vols: gpd.GeoDataFrame, grid_xy: np.ndarray, crs_metric: str
                      ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Usable volunteers (id, x, y, capacity, community, skills, tier) and the reasons for the rest."""
    ids = vols[s.VOLUNTEER_ID].astype(object).to_numpy()
    xy = _metric_xy(np.asarray(vols.geometry.values, dtype=object), vols.crs, crs_metric)
    if s.CAPACITY in vols:
        raw = vols[s.CAPACITY]
        cap = pd.to_numeric(raw, errors="coerce")
        bad_cap = (cap.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | (cap <= 0)
        cap = cap.fillna(1).to_numpy(dtype=float)
    else:
        cap, bad_cap = np.ones(len(vols)), pd.Series(False, index=vols.index)
    bad_cap = bad_cap.to_numpy(dtype=bool)
    no_xy = ~np.isfinite(xy).all(axis=1)
    far = np.zeros(len(vols), dtype=bool)
    if len(grid_xy) and (~no_xy).any():
        lo, hi = np.nanmin(grid_xy, axis=0) - OUT_OF_AREA_M, np.nanmax(grid_xy, axis=0) + OUT_OF_AREA_M
        far[~no_xy] = ((xy[~no_xy] < lo) | (xy[~no_xy] > hi)).any(axis=1)
    dup = pd.Series(ids).duplicated(keep="first").to_numpy() | pd.isna(ids)
    reasons = [
        _reasons("volunteer", ids[no_xy], NO_COORDINATES),
        _reasons("volunteer", ids[far], OUT_OF_AREA),
        _reasons("volunteer", ids[bad_cap & ~no_xy & ~far], BAD_CAPACITY,
                 vols[s.CAPACITY].to_numpy()[bad_cap & ~no_xy & ~far] if s.CAPACITY in vols else ""),
        _reasons("volunteer", ids[dup & ~no_xy & ~far & ~bad_cap], DUPLICATE_ID),
    ]
    keep = ~(no_xy | far | bad_cap | dup)

    def col(name: str) -> np.ndarray:
        return vols[name].astype(object).to_numpy()[keep] if name in vols else np.full(keep.sum(), None)

    clean = pd.DataFrame({
        s.VOLUNTEER_ID: ids[keep].astype(str), "x": xy[keep, 0], "y": xy[keep, 1],
        s.CAPACITY: np.floor(cap[keep]).astype(np.int64), s.COMMUNITY_CODE: col(s.COMMUNITY_CODE),
        s.SKILLS: col(s.SKILLS), s.TIER: col(s.TIER),
    })
    return clean, reasons


def _clean_grids(grids: gpd.GeoDataFrame, targets: dict[str, Any], crs_metric: str
                 ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    codes = grids[s.CODE].astype(object).to_numpy()
    xy = _grid_centroids(grids, crs_metric)
    no_geom = ~np.isfinite(xy).all(axis=1)
    dup = pd.Series(codes).duplicated(keep="first").to_numpy() | pd.isna(codes)
    reasons = [_reasons("grid", codes[no_geom], GRID_NO_GEOMETRY),
               _reasons("grid", codes[dup & ~no_geom], DUPLICATE_GRID)]
    keep = ~(no_geom | dup)

    def col(name: str) -> np.ndarray:
        return grids[name].astype(object).to_numpy()[keep] if name in grids else np.full(keep.sum(), None)

    clean = pd.DataFrame({
        s.GRID_CODE: codes[keep].astype(str), "x": xy[keep, 0], "y": xy[keep, 1],
        s.LEVEL: col(s.LEVEL), s.COMMUNITY_CODE: col(s.COMMUNITY_CODE),
        REQUIRED_SKILLS: col(REQUIRED_SKILLS), "target": grid_targets(grids, targets)[keep],
    })
    return clean, reasons


def _split_skills(values: np.ndarray) -> list[frozenset[str]]:
    return [frozenset(p.strip() for p in v.replace("；", ";").replace(",", ";").split(";") if p.strip())
            if isinstance(v, str) else frozenset() for v in values]


# --- existing rows ------------------------------------------------------------------------

def _is_fixed(rows: pd.DataFrame) -> np.ndarray:
    locked = _as_bool(rows[s.LOCKED]) if s.LOCKED in rows else pd.Series(False, index=rows.index)
    manual = rows[s.METHOD].isin(FIXED_METHODS) if s.METHOD in rows else False
    return (locked | manual).to_numpy(dtype=bool)


def _as_bool(values: pd.Series) -> pd.Series:
    return values.map(is_true).astype(bool)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """The assignments table with stable column order and types (text ids, float metres, bool, int)."""
    out = table[list(s.ASSIGNMENT_COLUMNS)].copy()
    for col in (s.VOLUNTEER_ID, s.GRID_CODE, s.ROLE, s.METHOD, s.UPDATED_AT, s.SCENARIO):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out[s.DISTANCE_M] = pd.to_numeric(out[s.DISTANCE_M], errors="coerce").astype(float)
    out[s.LOCKED] = _as_bool(out[s.LOCKED])
    out[s.VERSION] = pd.to_numeric(out[s.VERSION], errors="coerce").fillna(0).astype(np.int64)
    return out


def _empty_assignments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in s.ASSIGNMENT_COLUMNS})


# --- candidate arcs -----------------------------------------------------------------------

@dataclass
class _Arcs:
    v: np.ndarray
    g: np.ndarray
    dist: np.ndarray  # metres (float)
    cost: np.ndarray  # solver cost (int64)


def _candidate_arcs(vols: pd.DataFrame, grids: pd.DataFrame, prev_pairs: np.ndarray, v_cap: np.ndarray,
                    g_dem: np.ndarray, opts: StaffingOptions) -> _Arcs:
    """Candidate (volunteer, grid) pairs with distance and cost; see the module docstring."""
    v_live = np.flatnonzero(v_cap > 0)
    g_live = np.flatnonzero(g_dem > 0)
    empty = _Arcs(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64))
    if not len(v_live) or not len(g_live):
        return empty
    vxy = vols[["x", "y"]].to_numpy()
    gxy = grids[["x", "y"]].to_numpy()
    parts_v, parts_g = [], []
    k = min(opts.k_nearest, len(g_live))
    _, nn = cKDTree(gxy[g_live]).query(vxy[v_live], k=k)
    nn = nn.reshape(len(v_live), k)
    parts_v.append(np.repeat(v_live, k))
    parts_g.append(g_live[nn.ravel()])
    kg = min(opts.grid_k_nearest, len(v_live))
    _, nn = cKDTree(vxy[v_live]).query(gxy[g_live], k=kg)
    parts_g.append(np.repeat(g_live, kg))
    parts_v.append(v_live[nn.reshape(len(g_live), kg).ravel()])
    g_skills = _split_skills(grids[REQUIRED_SKILLS].to_numpy())
    v_skills = _split_skills(vols[s.SKILLS].to_numpy())
    skilled_grids = np.array([i for i in g_live if g_skills[i]], dtype=np.int64)
    for req in {g_skills[i] for i in skilled_grids}:
        able = np.array([i for i in v_live if req <= v_skills[i]], dtype=np.int64)
        need = np.array([i for i in skilled_grids if g_skills[i] == req], dtype=np.int64)
        if len(able):
            ka = min(opts.grid_k_nearest, len(able))
            _, nn = cKDTree(vxy[able]).query(gxy[need], k=ka)
            parts_g.append(np.repeat(need, ka))
            parts_v.append(able[nn.reshape(len(need), ka).ravel()])
    if len(prev_pairs):
        parts_v.append(prev_pairs[:, 0])
        parts_g.append(prev_pairs[:, 1])
    key = np.sort(np.concatenate(parts_v).astype(np.int64) * len(grids) + np.concatenate(parts_g))
    key = key[np.r_[True, key[1:] != key[:-1]]]  # sort-based dedupe: faster than np.unique here
    v, g = key // len(grids), key % len(grids)
    keep = (v_cap[v] > 0) & (g_dem[g] > 0)
    dist = np.hypot(vxy[v, 0] - gxy[g, 0], vxy[v, 1] - gxy[g, 1])
    if opts.max_distance_m is not None:
        keep &= dist <= opts.max_distance_m
    needs = np.array([bool(g_skills[i]) for i in range(len(grids))], dtype=bool)
    check = np.flatnonzero(keep & needs[g])
    keep[check] = [g_skills[g[i]] <= v_skills[v[i]] for i in check]
    v, g, dist = v[keep], g[keep], dist[keep]
    cost = np.rint(dist)
    if opts.prefer_same_community:
        vc = vols[s.COMMUNITY_CODE].to_numpy()[v]
        same = pd.notna(vc) & (vc == grids[s.COMMUNITY_CODE].to_numpy()[g])
        cost = np.where(same, cost - opts.same_community_discount_m, cost)
    if len(prev_pairs):
        prev_key = prev_pairs[:, 0] * len(grids) + prev_pairs[:, 1]
        cost = np.where(np.isin(v * len(grids) + g, prev_key), cost - opts.stability_m, cost)
    return _Arcs(v, g, dist, np.maximum(np.rint(cost), 0).astype(np.int64))


# --- the flow -----------------------------------------------------------------------------

def short_penalty(costs: np.ndarray, n_volunteers: int, demand: int) -> int:
    """Cost of one unfilled place: more than any augmenting-path reroute, so filling comes first."""
    max_cost = int(costs.max()) if len(costs) else 0
    return (max_cost + 1) * (min(n_volunteers, demand) + 1) + 1


def _solve_flow(arcs: _Arcs, v_cap: np.ndarray, g_dem: np.ndarray, micro: np.ndarray,
                lead_cap: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Min-cost flow; returns (flow per arc, short places per grid, solver objective).

    Nodes: 0 source, 1 sink, volunteers, [volunteer micro-gates], grids. ``lead_cap`` (one
    per volunteer) caps the flow into micro-grids when ``one_leadership`` is on.
    """
    nv, ng = len(v_cap), len(g_dem)
    demand = int(g_dem.sum())
    v0 = 2
    gate0 = v0 + nv
    g0 = gate0 + (nv if lead_cap is not None else 0)
    big = short_penalty(arcs.cost, nv, demand)
    to_gate = micro[arcs.g] if lead_cap is not None else np.zeros(len(arcs.g), dtype=bool)
    tails = [np.zeros(nv, np.int64), np.where(to_gate, gate0 + arcs.v, v0 + arcs.v),
             g0 + np.arange(ng), np.zeros(ng, np.int64)]
    heads = [v0 + np.arange(nv), g0 + arcs.g, np.ones(ng, np.int64), g0 + np.arange(ng)]
    caps = [v_cap, np.ones(len(arcs.v), np.int64), g_dem, g_dem]
    costs = [np.zeros(nv, np.int64), arcs.cost, np.zeros(ng, np.int64), np.full(ng, big, np.int64)]
    if lead_cap is not None:
        tails.append(v0 + np.arange(nv))
        heads.append(gate0 + np.arange(nv))
        caps.append(lead_cap)
        costs.append(np.zeros(nv, np.int64))
    smcf = min_cost_flow.SimpleMinCostFlow()
    idx = smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64), np.concatenate(costs).astype(np.int64))
    smcf.set_nodes_supplies(np.array([0, 1], np.int32), np.array([demand, -demand], np.int64))
    status = smcf.solve()
    if status != smcf.OPTIMAL:  # cannot happen with the short arcs; a bug if it does
        msg = f"min-cost flow failed with status {status}"
        raise RuntimeError(msg)
    flows = smcf.flows(idx)
    n_arc = len(arcs.v)
    arc_flow = flows[nv:nv + n_arc]
    short = flows[nv + n_arc + ng:nv + n_arc + 2 * ng]
    return arc_flow, short, int(smcf.optimal_cost())


# --- the run --------------------------------------------------------------------------------

def solve_staffing(volunteers_gdf: gpd.GeoDataFrame, grids_gdf: gpd.GeoDataFrame, *,
                   assignments: pd.DataFrame | None = None, targets: dict[str, Any] | None = None,
                   options: StaffingOptions | None = None, now: str | None = None) -> StaffingResult:
    """Assign volunteers to grids: targets met at least total distance, locks kept, churn limited.

    Parameters
    ----------
    volunteers_gdf
        Volunteer homes (points, any CRS with a definition; distances in ``options.crs_metric``).
        Columns: ``volunteer_id``; optional ``capacity``, ``community_code``, ``skills``, ``tier``.
    grids_gdf
        Grid polygons with ``code`` and ``level``; optional ``kind``, ``households``,
        ``community_code``, ``required_skills``, ``target``.
    assignments
        The current assignments table (``ASSIGNMENT_COLUMNS``), all scenarios; rows of other
        scenarios are returned untouched, locked/manual rows of this scenario are kept.
    targets
        ``project.settings["targets"]`` (see the module docstring); default schema defaults.
    options
        Planner switches; default ``StaffingOptions()``.
    now
        ISO timestamp for ``updated_at`` (default: the current UTC time).

    Returns
    -------
    StaffingResult

    Raises
    ------
    GeoInputError
        When a required column is missing (code ``assign.missing_column``).
    """
    opts = options or StaffingOptions()
    targets = targets if targets is not None else s.DEFAULT_SETTINGS["targets"]
    now = now or now_iso()
    for name, gdf, col in (("volunteers", volunteers_gdf, s.VOLUNTEER_ID), ("grids", grids_gdf, s.CODE)):
        if col not in gdf.columns:
            msg = f"{name} layer has no column {col!r}"
            raise GeoInputError(msg, code="assign.missing_column", layer=name, column=col)
    grids, reasons = _clean_grids(grids_gdf, targets, opts.crs_metric)
    vols, v_reasons = _clean_volunteers(volunteers_gdf, grids[["x", "y"]].to_numpy(), opts.crs_metric)
    reasons += v_reasons

    table = _empty_assignments() if assignments is None else assignments.copy()
    for col in s.ASSIGNMENT_COLUMNS:
        if col not in table:
            table[col] = None
    ours = (table[s.SCENARIO].astype(object).fillna(opts.scenario) == opts.scenario).to_numpy()
    other_rows = table[~ours]
    mine = table[ours]
    fixed_mask = _is_fixed(mine)
    fixed = mine[fixed_mask]
    previous = mine[~fixed_mask]

    v_pos = pd.Series(np.arange(len(vols)), index=vols[s.VOLUNTEER_ID])
    g_pos = pd.Series(np.arange(len(grids)), index=grids[s.GRID_CODE])
    fv = v_pos.reindex(fixed[s.VOLUNTEER_ID].astype(str)).to_numpy()
    fg = g_pos.reindex(fixed[s.GRID_CODE].astype(str)).to_numpy()
    unknown = np.isnan(fv) | np.isnan(fg)
    reasons.append(_reasons("assignment", fixed[s.VOLUNTEER_ID].to_numpy()[unknown], LOCKED_ROW_UNKNOWN,
                            fixed[s.GRID_CODE].to_numpy()[unknown]))
    fv_ok, fg_ok = fv[~unknown].astype(np.int64), fg[~unknown].astype(np.int64)
    micro = (grids[s.LEVEL].to_numpy() == s.LEVEL_MICRO)
    v_cap = np.maximum(vols[s.CAPACITY].to_numpy() - np.bincount(fv_ok, minlength=len(vols)), 0)
    g_dem = np.maximum(grids["target"].to_numpy() - np.bincount(fg_ok, minlength=len(grids)), 0)
    lead_cap = None
    if opts.one_leadership:
        lead_cap = np.maximum(1 - np.bincount(fv_ok[micro[fg_ok]], minlength=len(vols)), 0)
    fixed_pairs = set(zip(fv_ok.tolist(), fg_ok.tolist()))

    pv = v_pos.reindex(previous[s.VOLUNTEER_ID].astype(str)).to_numpy()
    pg = g_pos.reindex(previous[s.GRID_CODE].astype(str)).to_numpy()
    pok = ~(np.isnan(pv) | np.isnan(pg))
    prev_pairs = np.column_stack([pv[pok], pg[pok]]).astype(np.int64) if pok.any() else np.empty((0, 2), np.int64)
    if len(prev_pairs) and fixed_pairs:
        prev_pairs = np.array([p for p in prev_pairs.tolist() if tuple(p) not in fixed_pairs],
                              dtype=np.int64).reshape(-1, 2)

    arcs = _candidate_arcs(vols, grids, prev_pairs, v_cap, g_dem, opts)
    if fixed_pairs and len(arcs.v):  # a person is at most once per grid
        key = arcs.v * len(grids) + arcs.g
        taken = np.isin(key, np.array([v * len(grids) + g for v, g in fixed_pairs], dtype=np.int64))
        arcs = _Arcs(arcs.v[~taken], arcs.g[~taken], arcs.dist[~taken], arcs.cost[~taken])
    flow, short, solver_cost = _solve_flow(arcs, v_cap.astype(np.int64), g_dem.astype(np.int64), micro, lead_cap)
    used = flow > 0
    new = pd.DataFrame({"v": arcs.v[used], "g": arcs.g[used], s.DISTANCE_M: np.round(arcs.dist[used], 1)})

    new_rows = _new_rows(new, vols, grids, fixed, previous, opts.scenario, now, micro)
    changes = _changes(previous, new_rows)
    changes["fixed"] = len(fixed)
    result_table = _typed(pd.concat([other_rows, fixed, new_rows], ignore_index=True))
    short_df = _short_frame(grids, vols, short, arcs, opts)
    reasons.append(_short_reasons(short_df))
    reasons.append(_left_out_volunteers(vols, arcs, fv_ok, new["v"].to_numpy()))
    reasons_df = pd.concat([r for r in reasons if len(r)] or [_reasons("", [], "")], ignore_index=True)
    stats = {"volunteers": len(vols), "grids": len(grids), "arcs": len(arcs.v),
             "places": int(grids["target"].sum()), "filled": int(used.sum()) + len(fixed)}
    problem = {"arc_v": arcs.v, "arc_g": arcs.g, "arc_cost": arcs.cost, "v_cap": v_cap, "g_dem": g_dem,
               "micro": micro, "lead_cap": lead_cap}
    return StaffingResult(result_table, short_df, reasons_df[list(REASON_COLUMNS)], changes,
                          float(arcs.dist[used].sum()), solver_cost, stats, problem)


def _new_rows(new: pd.DataFrame, vols: pd.DataFrame, grids: pd.DataFrame, fixed: pd.DataFrame,
              previous: pd.DataFrame, scenario: str, now: str, micro: np.ndarray) -> pd.DataFrame:
    """Rows for the optimised pairs, with roles, versions and timestamps."""
    new = new.assign(**{s.VOLUNTEER_ID: vols[s.VOLUNTEER_ID].to_numpy()[new["v"].to_numpy()],
                        s.GRID_CODE: grids[s.GRID_CODE].to_numpy()[new["g"].to_numpy()]})
    new = new.sort_values([s.GRID_CODE, s.DISTANCE_M, s.VOLUNTEER_ID], kind="stable")
    is_micro = micro[new["g"].to_numpy()]
    first_role = np.where(is_micro, "leader", "worker")
    taken = set(zip(fixed[s.GRID_CODE].astype(str), fixed[s.ROLE].astype(str)))
    has_first = np.array([(g, r) in taken for g, r in zip(new[s.GRID_CODE], first_role)], dtype=bool)
    rank = new.groupby(s.GRID_CODE).cumcount().to_numpy()
    role = np.where((rank == 0) & ~has_first, first_role, "member")
    prev_key = previous[s.VOLUNTEER_ID].astype(str) + "\x00" + previous[s.GRID_CODE].astype(str)
    prev = previous.assign(_key=prev_key.to_numpy()).drop_duplicates("_key").set_index("_key")
    key = new[s.VOLUNTEER_ID].astype(str) + "\x00" + new[s.GRID_CODE].astype(str)
    old_version = pd.to_numeric(prev[s.VERSION], errors="coerce").reindex(key).to_numpy()
    old_time = prev[s.UPDATED_AT].reindex(key).to_numpy()
    old_role = prev[s.ROLE].reindex(key).astype(object).to_numpy()
    versions = pd.to_numeric(pd.concat([previous[s.VERSION], fixed[s.VERSION]]), errors="coerce")
    run_version = int(np.nan_to_num(versions.max(), nan=0)) + 1 if len(versions) else 1
    unchanged = ~np.isnan(old_version) & (old_role == role)
    return pd.DataFrame({
        s.VOLUNTEER_ID: new[s.VOLUNTEER_ID].to_numpy(), s.GRID_CODE: new[s.GRID_CODE].to_numpy(),
        s.ROLE: role, s.METHOD: "optimised", s.DISTANCE_M: new[s.DISTANCE_M].to_numpy(), s.LOCKED: False,
        s.VERSION: np.where(unchanged, old_version, run_version).astype(np.int64),
        s.UPDATED_AT: np.where(unchanged, old_time, now), s.SCENARIO: scenario,
    })


def _changes(previous: pd.DataFrame, new_rows: pd.DataFrame) -> dict[str, int]:
    """Pairs added/removed since the last run; a person losing one grid and gaining another moved."""
    old = set(zip(previous[s.VOLUNTEER_ID].astype(str), previous[s.GRID_CODE].astype(str)))
    now = set(zip(new_rows[s.VOLUNTEER_ID].astype(str), new_rows[s.GRID_CODE].astype(str)))
    removed = pd.Series([v for v, _ in old - now], dtype=object).value_counts()
    added = pd.Series([v for v, _ in now - old], dtype=object).value_counts()
    both = removed.index.intersection(added.index)
    moved = int(np.minimum(removed[both], added[both]).sum())
    return {"added": int(added.sum()) - moved, "removed": int(removed.sum()) - moved, "moved": moved,
            "kept": len(old & now)}


def _short_frame(grids: pd.DataFrame, vols: pd.DataFrame, short: np.ndarray, arcs: _Arcs,
                 opts: StaffingOptions) -> pd.DataFrame:
    """Grids still below target and why."""
    idx = np.flatnonzero(short > 0)
    target = grids["target"].to_numpy()[idx]
    reason = np.full(len(idx), CAPACITY_EXHAUSTED, dtype=object)
    if len(idx):
        has_arc = np.bincount(arcs.g, minlength=len(grids))[idx] > 0
        gxy = grids[["x", "y"]].to_numpy()[idx]
        if len(vols):
            radius = np.inf if opts.max_distance_m is None else opts.max_distance_m
            in_reach = cKDTree(vols[["x", "y"]].to_numpy()).query_ball_point(gxy, radius, return_length=True) \
                if np.isfinite(radius) else np.full(len(idx), len(vols))
        else:
            in_reach = np.zeros(len(idx), dtype=int)
        needs = np.array([bool(r) for r in _split_skills(grids[REQUIRED_SKILLS].to_numpy()[idx])], dtype=bool)
        reason = np.select([has_arc, np.asarray(in_reach) == 0, needs],
                           [CAPACITY_EXHAUSTED, NO_VOLUNTEER_IN_REACH, NO_VOLUNTEER_WITH_SKILLS],
                           CAPACITY_EXHAUSTED).astype(object)
    return pd.DataFrame({s.GRID_CODE: grids[s.GRID_CODE].to_numpy()[idx], "target": target,
                         "actual": target - short[idx], "short": short[idx], s.REASON: reason})


def _short_reasons(short_df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"kind": "grid", "id": short_df[s.GRID_CODE].astype(str), s.REASON: short_df[s.REASON],
                         "detail": short_df["short"].astype(str)})


def _left_out_volunteers(vols: pd.DataFrame, arcs: _Arcs, fixed_v: np.ndarray, new_v: np.ndarray) -> pd.DataFrame:
    """Usable volunteers with no assignment at all, and why."""
    busy = np.bincount(np.concatenate([fixed_v, new_v]).astype(np.int64), minlength=len(vols)) > 0
    idle = np.flatnonzero(~busy)
    had_arc = np.bincount(arcs.v, minlength=len(vols))[idle] > 0
    ids = vols[s.VOLUNTEER_ID].to_numpy()[idle]
    return pd.concat([_reasons("volunteer", ids[had_arc], NOT_NEEDED),
                      _reasons("volunteer", ids[~had_arc], NO_GRID_IN_REACH)], ignore_index=True)


# --- project level ---------------------------------------------------------------------------

def staff_project(project: Any, *, options: StaffingOptions | None = None, now: str | None = None,
                  point_grids: pd.DataFrame | None = None, user: str = "") -> tuple[Any, StaffingResult]:
    """Run ``solve_staffing`` on a ``Project``; return the project with the new assignments table.

    When ``point_grids`` (from ``geo.assign.point_grids_table``) is given, volunteers with no
    ``community_code`` get the community their home lies in (for ``prefer_same_community``).
    The run is logged in the audit table (``staffing_run``, by ``user``).
    """
    opts = options or StaffingOptions.from_settings(project.settings)
    vols = project.layer(s.VOLUNTEERS)
    if point_grids is not None and len(point_grids) and len(vols):
        homes = point_grids[(point_grids["layer"] == s.VOLUNTEERS) & (point_grids[s.LEVEL] == "community")]
        home = homes.drop_duplicates(s.POINT_ID).set_index(s.POINT_ID)[s.GRID_CODE]
        found = vols[s.VOLUNTEER_ID].map(home)
        current = vols[s.COMMUNITY_CODE] if s.COMMUNITY_CODE in vols else pd.Series(None, index=vols.index)
        vols = vols.assign(**{s.COMMUNITY_CODE: current.astype(object).where(current.notna(), found)})
    result = solve_staffing(vols, project.layer(s.GRIDS),
                            assignments=project.table(s.ASSIGNMENTS), targets=project.settings["targets"],
                            options=opts, now=now)
    project = log_event(project.with_table(s.ASSIGNMENTS, result.assignments), action="staffing_run",
                        user=user, obj=s.ASSIGNMENTS, scenario=opts.scenario, now=now,
                        counts={**result.changes, "grids_short": len(result.short)})
    return project, result


def assign_project(project: Any, *, options: StaffingOptions, max_distance_m: float | None, user: str = ""
                   ) -> tuple[Any, pd.DataFrame, StaffingResult]:
    """Points to grids and staffing on a project; returns the updated project and both results.

    Both steps are logged in the audit table (``point_grids``, ``staffing_run``, by ``user``).
    """

    if not len(project.layer(s.GRIDS)):
        msg = "project has no grids"
        raise GeoInputError(msg, code="assign.no_grids")
    point_grids = point_grids_table(project.layers, max_distance_m=max_distance_m)
    project = log_event(project.with_table(s.POINT_GRIDS, point_grids), action="point_grids", user=user,
                        obj=s.POINT_GRIDS, counts={"points": point_grids[s.POINT_ID].nunique(),
                                                   "rows": len(point_grids),
                                                   "unplaced": int(point_grids[s.GRID_CODE].isna().sum())})
    project, result = staff_project(project, options=options, point_grids=point_grids, user=user)
    return project, point_grids, result


def staffing_by_grid(project: Any, *, scenario: str | None = None) -> pd.DataFrame:
    """Staffing per grid of ``scenario`` (default: the active one): the one table every reader uses.

    Returns
    -------
    pandas.DataFrame
        ``STAFFING_COLUMNS``, one row per grid of the grids layer (same order, fresh index):
        ``grid_code``; ``level``; ``target`` (people, by ``grid_targets`` and the project's targets);
        ``actual`` (assignment rows of ``scenario`` for that grid, any method);
        ``leader_id`` (the volunteer with role ``leader``, else ``worker``, else None);
        ``short`` (``max(target - actual, 0)``, an int: 0 means fully staffed).
    """
    grids = project.layer(s.GRIDS)
    table = project.assignments(scenario)
    codes = grids[s.CODE].astype(str).to_numpy() if len(grids) else np.empty(0, dtype=object)
    target = grid_targets(grids, project.settings["targets"]) if len(grids) else np.empty(0, np.int64)
    actual = table[s.GRID_CODE].astype(str).value_counts().reindex(codes, fill_value=0).to_numpy()
    lead = pd.Series(dtype=object)
    if len(table):
        ranked = table.assign(_r=table[s.ROLE].map({"leader": 0, "worker": 1}))
        ranked = ranked[ranked["_r"].notna()].sort_values(["_r", s.VOLUNTEER_ID])
        ranked = ranked.drop_duplicates(s.GRID_CODE)
        lead = pd.Series(ranked[s.VOLUNTEER_ID].to_numpy(), index=ranked[s.GRID_CODE].astype(str).to_numpy())
    leader = lead.reindex(codes).astype(object).to_numpy()
    leader = np.where(pd.isna(leader), None, leader)
    level = grids[s.LEVEL].astype(str).to_numpy() if s.LEVEL in grids.columns else np.full(len(codes), "")
    return pd.DataFrame({s.GRID_CODE: codes, s.LEVEL: level, "target": target.astype(np.int64),
                         "actual": actual.astype(np.int64),
                         "leader_id": pd.Series(leader, dtype=object), "short": np.maximum(target - actual, 0).astype(np.int64)})

