"""Optimal staffing: volunteers to grids, a proven min-cost-flow optimum, with targets, locks, churn, reasons.

The model (all distances in metres, EPSG:32648 by default)
-----------------------------------------------------------
* Each grid needs ``target`` people (see ``grid_targets``); each volunteer serves at most
  ``capacity`` grids (blank capacity means 1), at most once per grid.
* The cost of volunteer *v* serving grid *g* is the straight-line distance from *v*'s home
  to *g*'s centroid, rounded to whole metres, less ``same_community_discount_m`` when
  ``prefer_same_community`` is on and both are in one community, less ``stability_m``
  when the pair was already assigned in this scenario (the churn term); never below 0.
* Every volunteer-grid pair within ``max_distance_m`` (any distance when None) whose
  volunteer has the grid's required skills is allowed; nothing else prunes the problem.
* The result is the optimum of that full problem: most places filled first, then least
  total cost. OR-Tools' max-flow-with-min-cost solves a flow over a set of arcs; when at
  most ``all_arcs_limit`` pairs are allowed the set is all of them (``stats["proof"] ==
  "all_arcs"``); otherwise it starts from each volunteer's ``k_nearest`` grids, each grid's
  ``grid_k_nearest`` (skilled) volunteers and the pairs already assigned, and grows: with
  node potentials from shortest residual paths, every allowed pair outside the set with a
  negative reduced cost is added and the flow solved again, until none is left (``"reduced_costs"``,
  ``stats["rounds"]``). Then no pair outside the set can improve the flow, so it is optimal.
  For that proof an unfilled place costs ``short_penalty``: more than any rerouting.
* Unfilled places are reported with a reason (``no_volunteer_in_reach``,
  ``no_volunteer_with_skills``, ``capacity_exhausted``).
* ``one_leadership``: a person is placed in at most one micro-grid (where, with the default
  target of 1, they are its leader): in the flow, arcs into micro-grids leave a per-volunteer
  gate node whose inflow is capped at 1 (less any fixed micro-grid row).
* Rows with ``locked=True`` or method ``manual``/``locked`` are kept as they are; they use
  their volunteer's capacity and their grid's target.

Rules of 下沉 tiers and party members (issue #16.5; each a switch, each in the same exact flow)
-----------------------------------------------------------------------------------------------
* ``same_community_only``: a volunteer serves only grids of their own community (a hard rule:
  no arc otherwise).
* ``party_member_per_micro`` (every micro-grid has at least one 党员): a lower bound on a subset
  of the people of a grid is not a plain flow, so each micro-grid still needing a party member
  gets a node-split party place: ordinary people enter node o, party members node p; p feeds
  the party place s or o, o feeds the other places t or, at ``party_missing_m`` metres, s. The
  party place costs ``-party_missing_m`` on its sink arc, so the run's objective is the flow's
  plus ``party_missing_m`` per party place; a place left empty or held by a non-member costs
  exactly ``party_missing_m`` (a weight, in metres: a party member up to that much farther is
  preferred), and filling the most places still comes first.
* ``cadres_per_grid_max`` (下沉 cadres spread out): cadres (any ``tier``) enter a node k whose arc
  into the grid carries at most N (less fixed cadres); cadres who are party members may take the
  party place without counting against N (the two limits cross, and a flow needs them nested).
* ``city_cadres_to_low_coverage``: a 市-tier cadre's cost into a grid falls by
  ``city_coverage_bonus_m`` x (1 - coverage), coverage from the optional grid column ``coverage``
  (``geo.rollup.grid_shares``, passed in by ``geo.rulesets``; unknown = no bonus).
* priority grids (optional grid column ``priority``, ``geo.rulesets``): every cost into one falls
  by ``priority_bonus_m``.
``reasons`` explain rows under these rules (``party_member_place``, ``city_cadre_low_coverage``,
``priority_grid``) and grids they could not satisfy (``no_party_member``, ``cadre_cap_reached``).

City scale: independent components and blocks (issue #14)
---------------------------------------------------------
With ``same_community_only`` no arc joins two communities, so communities (grouped in spatial
order into blocks of about ``block_grids`` grids) are solved one by one and their optima together
are the optimum (``stats["decomposition"] == "communities"``, ``stats["proof"] == "components"``).
Otherwise, above ``block_grids`` grids, grids are bisected into spatial blocks and each
volunteer joins the block of their nearest grid; each block is solved and proven on its own,
their potentials are merged, and every arc between blocks is priced: blocks joined by an
improving arc are merged and solved again until none is left (``"blocks"``, ``"reduced_costs"``).
One short penalty serves all blocks, so ``solver_cost`` is comparable with a monolithic run.
``workers`` > 1 solves the blocks of a round in that many processes (same result).

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

import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo import schema as s
from geo.assign import point_grids_table
from geo.audit import log_event
from geo.errors import GeoInputError
from geo.progress import Progress, report
from geo.values import is_true, now_iso

if TYPE_CHECKING:
    from scipy.spatial import cKDTree


def _kdtree(points: np.ndarray) -> cKDTree:
    """A KD-tree of ``points``; scipy is imported on first use (every app page imports this module
    through ``geo.rollup``, and scipy.spatial alone costs 0.7 s of a first page after server start)."""
    from scipy.spatial import cKDTree

    return cKDTree(points)


REQUIRED_SKILLS = "required_skills"  # optional grid column, ";"-separated
TARGET = "target"  # optional grid column overriding the settings
PRIORITY = "priority"  # optional grid column: a priority grid (many elderly, no 物业, ...), see geo.rulesets
COVERAGE_SHARE = "coverage"  # optional grid column: share (0-1) of the grid in reach (geo.rollup.grid_figures)
CITY_TIER = s.TIERS[0]  # 市
OUT_OF_AREA_M = 50_000.0  # a home this far from every grid has coordinates in the wrong system
COMMUNITY_SHIFT_M = 1e8  # search coordinates of two communities lie this far apart (same_community_only)
PRICING_GROUPS = 4  # volunteers searched in this many groups of similar potential when pricing arcs

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
NO_PARTY_MEMBER = "no_party_member"  # a micro-grid left without a party member (party rule)
PARTY_MEMBER_PLACE = "party_member_place"  # this row is the micro-grid's party member (party rule)
CITY_CADRE_LOW_COVERAGE = "city_cadre_low_coverage"  # a 市 cadre placed where coverage is low
PRIORITY_GRID = "priority_grid"  # placed in a priority grid of the rule set
CADRE_CAP_REACHED = "cadre_cap_reached"  # a grid holds as many 下沉 cadres as the rule allows

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
    k_nearest: int = 10  # first candidate grids per volunteer (the set grows until proven optimal)
    grid_k_nearest: int = 10  # first candidate volunteers per grid
    all_arcs_limit: int = 300_000  # use every pair within reach when there are at most this many
    same_community_only: bool = False  # a volunteer serves only grids of their own community (hard rule)
    party_member_per_micro: bool = False  # every micro-grid has at least one party member (党员)
    party_missing_m: float = 20_000.0  # cost (metres) of a micro-grid left without a party member
    cadres_per_grid_max: int | None = None  # at most this many 下沉 cadres (tier set) per grid
    city_cadres_to_low_coverage: bool = False  # 市-tier cadres go to the grids with the worst coverage
    city_coverage_bonus_m: float = 2_000.0  # a 市 cadre's cost into a grid falls by this x (1 - coverage)
    priority_bonus_m: float = 1_000.0  # cost into a priority grid (column ``priority``) falls by this
    block_grids: int = 20_000  # split a large problem into spatial blocks of about this many grids
    workers: int = 1  # solve that many blocks at once (processes); 1 = one by one
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
    min-cost-flow objective (with discounts, plus ``short_penalty`` per unfilled place);
    ``stats``: ``volunteers``, ``grids``, ``places``, ``filled``, ``short``, ``cost`` (solver
    cost of the new rows), ``arcs`` (in the final flow), ``proof`` (``"all_arcs"`` or
    ``"reduced_costs"``, see the module docstring), ``rounds`` and ``short_penalty``;
    ``problem``: the arrays of the flow actually solved (arcs, capacities, demands, one-leadership
    caps, penalty, coordinates in metres), for audits and LP checks.
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
        s.PARTY_MEMBER: np.array([is_true(v) for v in col(s.PARTY_MEMBER)], dtype=bool),
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
        PRIORITY: np.array([is_true(v) for v in col(PRIORITY)], dtype=bool),
        COVERAGE_SHARE: pd.to_numeric(pd.Series(col(COVERAGE_SHARE)), errors="coerce").clip(0, 1).to_numpy(float),
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


# --- the full problem and its arcs ------------------------------------------------------

@dataclass
class _Arcs:
    v: np.ndarray
    g: np.ndarray
    dist: np.ndarray  # metres (float)
    cost: np.ndarray  # solver cost (int64)

    def __len__(self) -> int:
        return len(self.v)

    def take(self, index: np.ndarray) -> _Arcs:
        return _Arcs(self.v[index], self.g[index], self.dist[index], self.cost[index])

    def plus(self, other: _Arcs) -> _Arcs:
        return _Arcs(*(np.concatenate([a, b]) for a, b in ((self.v, other.v), (self.g, other.g),
                                                           (self.dist, other.dist), (self.cost, other.cost))))


@dataclass
class _Problem:
    """The full staffing problem of one run: who may serve where, at what cost, with every rule on."""

    vxy: np.ndarray  # volunteer homes, metres
    gxy: np.ndarray  # grid centroids, metres
    v_skills: list[frozenset[str]]
    g_skills: list[frozenset[str]]
    g_needs: np.ndarray  # bool per grid: requires a skill
    v_community: np.ndarray
    g_community: np.ndarray
    v_cap: np.ndarray  # places each volunteer still offers (capacity less fixed rows)
    g_dem: np.ndarray  # places each grid still needs (target less fixed rows)
    micro: np.ndarray  # bool per grid
    lead_cap: np.ndarray | None  # micro-grids each volunteer may still join (one_leadership), else None
    prev_key: np.ndarray  # sorted keys (v * n_grids + g) of this scenario's earlier, unfixed pairs
    fixed_key: np.ndarray  # sorted keys of fixed pairs: never arcs (a person is at most once per grid)
    opts: StaffingOptions
    v_party: np.ndarray  # bool per volunteer: party member (counts only with party_member_per_micro)
    v_cadre: np.ndarray  # bool per volunteer: a 下沉 cadre (tier set; counts only with cadres_per_grid_max)
    v_city: np.ndarray  # bool per volunteer: a 市-tier cadre
    g_slot: np.ndarray  # int per grid: 1 when its party-member place is still open (party rule), else 0
    g_cadre_cap: np.ndarray | None  # cadres each grid may still take (cadre rule), else None
    g_bonus: np.ndarray  # metres off every arc into the grid (priority grids)
    g_city_bonus: np.ndarray  # metres off a 市 cadre's arc into the grid (worst coverage first)
    v_sxy: np.ndarray  # search coordinates: homes, shifted far apart per community with same_community_only
    g_sxy: np.ndarray  # search coordinates of grid centroids (same shift)

    @property
    def v_live(self) -> np.ndarray:
        return np.flatnonzero(self.v_cap > 0)

    @property
    def g_live(self) -> np.ndarray:
        return np.flatnonzero(self.g_dem > 0)

    @property
    def party_on(self) -> bool:
        return bool(self.opts.party_member_per_micro)

    @property
    def cadre_on(self) -> bool:
        return self.g_cadre_cap is not None

    def subset(self, v_idx: np.ndarray, g_idx: np.ndarray) -> _Problem:
        """The problem restricted to volunteers ``v_idx`` and grids ``g_idx`` (positions renumbered)."""
        ng_old, ng = len(self.gxy), len(g_idx)
        v_new = np.full(len(self.vxy), -1, np.int64)
        v_new[v_idx] = np.arange(len(v_idx))
        g_new = np.full(ng_old, -1, np.int64)
        g_new[g_idx] = np.arange(ng)

        def keys(old: np.ndarray) -> np.ndarray:
            v, g = v_new[old // ng_old], g_new[old % ng_old]
            ok = (v >= 0) & (g >= 0)
            return _unique_keys(v[ok] * ng + g[ok])

        def pick(values: Any, idx: np.ndarray) -> Any:
            if values is None:
                return None
            return [values[i] for i in idx] if isinstance(values, list) else values[idx]

        return _Problem(
            vxy=self.vxy[v_idx], gxy=self.gxy[g_idx], v_skills=pick(self.v_skills, v_idx),
            g_skills=pick(self.g_skills, g_idx), g_needs=self.g_needs[g_idx],
            v_community=self.v_community[v_idx], g_community=self.g_community[g_idx],
            v_cap=self.v_cap[v_idx], g_dem=self.g_dem[g_idx], micro=self.micro[g_idx],
            lead_cap=pick(self.lead_cap, v_idx), prev_key=keys(self.prev_key), fixed_key=keys(self.fixed_key),
            opts=self.opts, v_party=self.v_party[v_idx], v_cadre=self.v_cadre[v_idx], v_city=self.v_city[v_idx],
            g_slot=self.g_slot[g_idx], g_cadre_cap=pick(self.g_cadre_cap, g_idx), g_bonus=self.g_bonus[g_idx],
            g_city_bonus=self.g_city_bonus[g_idx], v_sxy=self.v_sxy[v_idx], g_sxy=self.g_sxy[g_idx])


def _in_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _unique_keys(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys.astype(np.int64))
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys  # faster than np.unique here


def _arcs_for(pb: _Problem, v: np.ndarray, g: np.ndarray) -> _Arcs:
    """The pairs ``(v[i], g[i])`` that are arcs of the full problem, with distance and cost."""
    v, g = v.astype(np.int64), g.astype(np.int64)
    ng = len(pb.gxy)
    key = v * ng + g
    keep = (pb.v_cap[v] > 0) & (pb.g_dem[g] > 0) & ~_in_sorted(key, pb.fixed_key)
    if pb.lead_cap is not None:
        keep &= ~pb.micro[g] | (pb.lead_cap[v] > 0)
    if pb.opts.same_community_only:
        vc = pb.v_community[v]
        keep &= pd.notna(vc) & (vc == pb.g_community[g])
    dist = np.hypot(pb.vxy[v, 0] - pb.gxy[g, 0], pb.vxy[v, 1] - pb.gxy[g, 1])
    if pb.opts.max_distance_m is not None:
        keep &= dist <= pb.opts.max_distance_m
    check = np.flatnonzero(keep & pb.g_needs[g])
    keep[check] = [pb.g_skills[g[i]] <= pb.v_skills[v[i]] for i in check]
    v, g, dist, key = v[keep], g[keep], dist[keep], key[keep]
    cost = np.rint(dist) - np.rint(pb.g_bonus[g]) - np.where(pb.v_city[v], np.rint(pb.g_city_bonus[g]), 0)
    if pb.opts.prefer_same_community:
        vc = pb.v_community[v]
        same = pd.notna(vc) & (vc == pb.g_community[g])
        cost = np.where(same, cost - pb.opts.same_community_discount_m, cost)
    if len(pb.prev_key):
        cost = np.where(_in_sorted(key, pb.prev_key), cost - pb.opts.stability_m, cost)
    return _Arcs(v, g, dist, np.maximum(np.rint(cost), 0).astype(np.int64))


def _ball_pairs(tree: cKDTree, query_xy: np.ndarray, radius: np.ndarray | float
                ) -> tuple[np.ndarray, np.ndarray]:
    """(tree index, query index) of every pair within ``radius`` metres (per query point or one for all)."""
    if not tree.n or not len(query_xy):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    radius = np.broadcast_to(np.asarray(radius, dtype=float), (len(query_xy),))
    nearest, _ = tree.query(query_xy, k=1, distance_upper_bound=float(radius.max()) * (1 + 1e-9) + 1e-6)
    ask = np.flatnonzero(nearest <= radius)  # a vectorised pass first: most points have nobody in reach
    hits = tree.query_ball_point(query_xy[ask], radius[ask])
    counts = np.fromiter(map(len, hits), dtype=np.int64, count=len(hits))
    found = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=int(counts.sum()))
    return found, np.repeat(ask, counts)


def _all_arcs(pb: _Problem, limit: int) -> _Arcs | None:
    """Every arc of the full problem, or None when more than ``limit`` pairs are within reach."""
    v_live, g_live = pb.v_live, pb.g_live
    if pb.opts.max_distance_m is None:
        if len(v_live) * len(g_live) > limit:
            return None
        return _arcs_for(pb, np.repeat(v_live, len(g_live)), np.tile(g_live, len(v_live)))
    if not len(v_live) or not len(g_live):
        return _arcs_for(pb, np.empty(0, np.int64), np.empty(0, np.int64))
    tree_v = _kdtree(pb.v_sxy[v_live])
    if _kdtree(pb.g_sxy[g_live]).count_neighbors(tree_v, pb.opts.max_distance_m) > limit:
        return None
    vi, gi = _ball_pairs(tree_v, pb.g_sxy[g_live], pb.opts.max_distance_m)
    return _arcs_for(pb, v_live[vi], g_live[gi])


def _candidate_arcs(pb: _Problem) -> _Arcs:
    """First arcs to grow from: nearest grids per person, nearest (skilled, party) people per grid, past pairs."""
    v_live, g_live = pb.v_live, pb.g_live
    if not len(v_live) or not len(g_live):
        return _arcs_for(pb, np.empty(0, np.int64), np.empty(0, np.int64))
    opts, ng = pb.opts, len(pb.gxy)
    parts_v, parts_g = [pb.prev_key // ng], [pb.prev_key % ng]
    k = min(opts.k_nearest, len(g_live))
    _, nn = _kdtree(pb.g_sxy[g_live]).query(pb.v_sxy[v_live], k=k)
    parts_v.append(np.repeat(v_live, k))
    parts_g.append(g_live[nn.reshape(len(v_live), k).ravel()])
    groups = []  # (grids, volunteers able to serve them): nearest able volunteers of each grid
    groups.append((g_live, v_live))
    for req in {pb.g_skills[i] for i in g_live} - {frozenset()}:
        need = np.array([i for i in g_live if pb.g_skills[i] == req], dtype=np.int64)
        groups.append((need, np.array([i for i in v_live if req <= pb.v_skills[i]], dtype=np.int64)))
    if pb.party_on:
        groups.append((g_live[pb.g_slot[g_live] > 0], v_live[pb.v_party[v_live]]))
    for need, able in groups:
        if len(able) and len(need):
            ka = min(opts.grid_k_nearest, len(able))
            _, nn = _kdtree(pb.v_sxy[able]).query(pb.g_sxy[need], k=ka)
            parts_g.append(np.repeat(need, ka))
            parts_v.append(able[nn.reshape(len(need), ka).ravel()])
    key = _unique_keys(np.concatenate(parts_v).astype(np.int64) * ng + np.concatenate(parts_g))
    return _arcs_for(pb, key // ng, key % ng)


def _max_cost(pb: _Problem) -> int:
    """An upper bound (metres) on the cost of any arc of the full problem."""
    v_live, g_live = pb.v_live, pb.g_live
    if not len(v_live) or not len(g_live):
        return 0
    lo, hi = pb.gxy[g_live].min(axis=0), pb.gxy[g_live].max(axis=0)
    far = np.maximum(np.abs(pb.vxy[v_live] - lo), np.abs(pb.vxy[v_live] - hi))  # to the farthest bbox corner
    bound = float(np.hypot(far[:, 0], far[:, 1]).max())
    if pb.opts.max_distance_m is not None:
        bound = min(bound, float(pb.opts.max_distance_m))
    return int(np.ceil(bound)) + 1


# --- the flow -----------------------------------------------------------------------------

def short_penalty(max_cost: int, n_volunteers: int, n_grids: int, *, extra: int = 0) -> int:
    """Cost of one unfilled place: more than any reroute that fills one more place, so filling comes first.

    Such a reroute is a path crossing at most ``min(2 * n_volunteers, n_grids)`` volunteer→grid
    arcs forwards (from volunteer and micro-gate nodes, into distinct grid entry nodes), each
    costing at most ``max_cost``, plus rule arcs costing at most ``extra`` in all (a missing
    party member, once per micro-grid); backward arcs only save cost.
    """
    return int(max_cost) * min(2 * int(n_volunteers), int(n_grids)) + int(extra) + 1


def _penalty(pb: _Problem) -> int:
    """``short_penalty`` of the whole problem, counting every grid entry node of the rules."""
    entries = 1 + int(pb.party_on) + int(pb.cadre_on) + int(pb.party_on and pb.cadre_on)
    extra = int(np.ceil(pb.opts.party_missing_m)) * int(pb.g_slot.sum()) if pb.party_on else 0
    return short_penalty(_max_cost(pb), len(pb.v_live), entries * len(pb.g_live), extra=extra)


@dataclass(frozen=True)
class _Layout:
    """Node numbers of the flow network (0 source, 1 sink); per grid node = base + grid position.

    ``t``: the grid's place node (sink arc, short arc); ``o``: where ordinary volunteers enter;
    ``s``: the party-member place; ``p``: where party members enter; ``k``: where 下沉 cadres
    enter (capped); ``pk``: where cadres who are party members enter. Without a rule its entry
    nodes are the ordinary one.
    """

    v0: int
    gate0: int
    t0: int
    o0: int
    s0: int
    p0: int
    k0: int
    pk0: int
    n_nodes: int

    def grid_bases(self) -> tuple[int, ...]:
        return tuple(sorted({self.t0, self.o0, self.s0, self.p0, self.k0, self.pk0}))


def _layout(pb: _Problem) -> _Layout:
    nv, ng = len(pb.v_cap), len(pb.g_dem)
    v0, gate0 = 2, 2 + nv
    t0 = gate0 + (nv if pb.lead_cap is not None else 0)
    nxt = t0 + ng
    o0 = s0 = p0 = t0
    if pb.party_on:
        o0, s0, p0 = nxt, nxt + ng, nxt + 2 * ng
        nxt += 3 * ng
    k0, pk0 = o0, p0
    if pb.cadre_on:
        k0, nxt = nxt, nxt + ng
        if pb.party_on:
            pk0, nxt = nxt, nxt + ng
        else:
            pk0 = k0
    return _Layout(v0, gate0, t0, o0, s0, p0, k0, pk0, nxt)


def _arc_tails(pb: _Problem, lay: _Layout, v: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Tail node of each volunteer→grid arc: the volunteer, or their micro-gate (one_leadership)."""
    to_gate = pb.micro[g] if pb.lead_cap is not None else np.zeros(len(v), dtype=bool)
    return np.where(to_gate, lay.gate0 + v, lay.v0 + v)


def _arc_heads(pb: _Problem, lay: _Layout, v: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Head node of each volunteer→grid arc: the grid's entry for the volunteer's kind (party, cadre)."""
    party = pb.v_party[v] if pb.party_on else np.zeros(len(v), dtype=bool)
    cadre = pb.v_cadre[v] if pb.cadre_on else np.zeros(len(v), dtype=bool)
    return np.select([party & cadre, party, cadre], [lay.pk0, lay.p0, lay.k0], lay.o0) + g


@dataclass
class _Flow:
    """A solved network: flow per volunteer→grid arc, short places per grid, objective, the whole network."""

    arc_flow: np.ndarray
    short: np.ndarray
    cost: int
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    flows: np.ndarray
    layout: _Layout

    @property
    def n_nodes(self) -> int:
        return self.layout.n_nodes


def _rule_arcs(pb: _Problem, lay: _Layout) -> list[tuple[np.ndarray, ...]]:
    """Arcs inside each grid for the party and cadre rules: (tail, head, capacity, cost) groups.

    Party rule: ordinary entry o → place t (all places but the party one), o → party place s
    at ``party_missing_m`` (someone who is not a party member fills it), s → t, party entry
    p → s and p → o (free). The party place has its own sink arc s → sink costing
    ``-party_missing_m``: so a party member there saves it, anyone else pays it back on o → s,
    and an empty party place saves nothing; the run's cost is the flow's plus
    ``party_missing_m`` per party place (see ``_solve_flow``), which max-flow-with-min-cost
    minimises after filling the most places. Cadre rule: cadre entry k → o, capped at the cadres the grid may
    still take; cadres who are party members enter at pk → s (the party place, not counted
    against the cap) or pk → k.
    """
    ng = len(pb.g_dem)
    g = np.arange(ng)
    dem, slot, zero = pb.g_dem, pb.g_slot, np.zeros(ng, np.int64)
    out = []
    if pb.party_on:
        m2 = np.full(ng, int(np.ceil(pb.opts.party_missing_m)), np.int64)
        out += [(lay.s0 + g, np.ones(ng, np.int64), slot, -m2),  # first: the party place's sink arc
                (lay.o0 + g, lay.t0 + g, dem - slot, zero), (lay.o0 + g, lay.s0 + g, slot, m2),
                (lay.p0 + g, lay.s0 + g, slot, zero),
                (lay.p0 + g, lay.o0 + g, dem, zero)]
    if pb.cadre_on:
        out.append((lay.k0 + g, lay.o0 + g, pb.g_cadre_cap, zero))
        if pb.party_on:
            out += [(lay.pk0 + g, lay.s0 + g, slot, zero), (lay.pk0 + g, lay.k0 + g, dem, zero)]
    return out


def _solve_flow(arcs: _Arcs, pb: _Problem, penalty: int) -> _Flow:
    """Most places filled, then least cost, over ``arcs`` (OR-Tools max-flow-with-min-cost).

    Nodes: see ``_Layout``. With ``one_leadership`` every arc into a micro-grid leaves the
    volunteer's gate, whose one inflow arc carries at most ``lead_cap``: so a person joins at
    most one micro-grid, exactly. The returned network adds a source→grid "short" arc per grid
    costing ``penalty`` per unfilled place (the same optimum, as one min-cost flow), whose
    potentials prove optimality.
    """
    nv, ng = len(pb.v_cap), len(pb.g_dem)
    lay = _layout(pb)
    demand = int(pb.g_dem.sum())
    slot = pb.g_slot if pb.party_on else np.zeros(ng, np.int64)
    groups = [(np.zeros(nv, np.int64), lay.v0 + np.arange(nv), pb.v_cap, np.zeros(nv, np.int64)),
              (_arc_tails(pb, lay, arcs.v, arcs.g), _arc_heads(pb, lay, arcs.v, arcs.g),
               np.ones(len(arcs), np.int64), arcs.cost),
              (lay.t0 + np.arange(ng), np.ones(ng, np.int64), pb.g_dem - slot, np.zeros(ng, np.int64))]
    if pb.lead_cap is not None:
        groups.append((lay.v0 + np.arange(nv), lay.gate0 + np.arange(nv), pb.lead_cap, np.zeros(nv, np.int64)))
    slot_sink = sum(len(grp[0]) for grp in groups)  # the party places' sink arcs come first among the rules
    groups += _rule_arcs(pb, lay)
    tail, head, cap, cost = (np.concatenate([grp[i] for grp in groups]).astype(np.int64) for i in range(4))
    from ortools.graph.python import min_cost_flow  # on first use: the app's pages import this module

    smcf = min_cost_flow.SimpleMinCostFlow()
    idx = smcf.add_arcs_with_capacity_and_unit_cost(tail.astype(np.int32), head.astype(np.int32), cap, cost)
    smcf.set_nodes_supplies(np.array([0, 1], np.int32), np.array([demand, -demand], np.int64))
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:  # cannot happen: the zero flow is feasible; a bug if it does
        msg = f"min-cost flow failed with status {status}"
        raise RuntimeError(msg)
    flows = np.asarray(smcf.flows(idx), dtype=np.int64)
    n_arc = len(arcs)
    filled_in = nv + n_arc + np.arange(ng)
    short_t = pb.g_dem - slot - flows[filled_in]
    flows[filled_in] = pb.g_dem - slot  # with the short arcs every grid's sink arcs are full
    short_s = np.zeros(ng, np.int64)
    if pb.party_on:
        short_s = slot - flows[slot_sink:slot_sink + ng]
        flows[slot_sink:slot_sink + ng] = slot
    m2 = int(np.ceil(pb.opts.party_missing_m)) if pb.party_on else 0
    short = short_t + short_s
    return _Flow(flows[nv:nv + n_arc], short,
                 int(smcf.optimal_cost()) + penalty * int(short.sum()) + m2 * int(slot.sum()),
                 np.r_[tail, np.zeros(2 * ng, np.int64)], np.r_[head, lay.t0 + np.arange(ng), lay.s0 + np.arange(ng)],
                 np.r_[cap, pb.g_dem - slot, slot],
                 np.r_[cost, np.full(ng, penalty, np.int64), np.full(ng, penalty + m2, np.int64)],
                 np.r_[flows, short_t, short_s], lay)


def _shortest_paths(dist: np.ndarray, tail: np.ndarray, head: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Shortest path lengths from the nodes with a finite ``dist`` (their start value), by label correcting.

    Arcs may cost less than 0 but must form no negative cycle. Each pass relaxes only the
    arcs leaving nodes improved in the pass before (a vectorised Bellman-Ford with a queue).
    """
    n = len(dist)
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    start = np.searchsorted(tail, np.arange(n + 1))
    dist = dist.astype(float).copy()
    frontier = np.flatnonzero(np.isfinite(dist))
    for _ in range(n + 1):
        counts = start[frontier + 1] - start[frontier]
        total = int(counts.sum())
        if not total:
            return dist
        arc = np.arange(total) - np.repeat(np.cumsum(counts) - counts - start[frontier], counts)
        to, length = head[arc], np.repeat(dist[frontier], counts) + cost[arc]
        better = length < dist[to]
        if not better.any():
            return dist
        to, length = to[better], length[better]
        np.minimum.at(dist, to, length)
        improved = np.zeros(n, dtype=bool)
        improved[to] = True
        frontier = np.flatnonzero(improved)
    msg = "negative cycle in the residual network: the flow is not optimal"
    raise RuntimeError(msg)


def _potentials(flow: _Flow) -> np.ndarray:
    """Node potentials proving ``flow`` optimal: every residual arc has reduced cost >= 0.

    ``pi(u) = -(shortest residual path u -> source)``; with no negative residual cycle (an
    optimal flow) these satisfy ``cost(u, w) + pi(u) - pi(w) >= 0`` on every residual arc.
    Nodes with no path to the source get the cheapest value reachable from the others.
    """
    fwd, bwd = flow.flows < flow.caps, flow.flows > 0
    u = np.concatenate([flow.tails[fwd], flow.heads[bwd]])
    w = np.concatenate([flow.heads[fwd], flow.tails[bwd]])
    c = np.concatenate([flow.costs[fwd], -flow.costs[bwd]]).astype(float)
    start = np.full(flow.n_nodes, np.inf)
    start[0] = 0.0
    pi = -_shortest_paths(start, w, u, c)  # paths to the source = paths from it in the reversed network
    lost = ~np.isfinite(pi)
    if lost.any():
        pi = _potentials_of_unreached(pi, lost, u, w, c)
    return pi


def _potentials_of_unreached(pi: np.ndarray, lost: np.ndarray, u: np.ndarray, w: np.ndarray, c: np.ndarray
                             ) -> np.ndarray:
    """Potentials of nodes with no residual path to the source: shortest paths into them from the rest.

    No residual arc leaves such a node towards the rest (it would lead to the source), and the
    arcs among them carry no flow (cost >= 0), so this keeps every reduced cost >= 0.
    """
    from_rest = lost[w] & ~lost[u]
    entry = np.full(len(pi), np.inf)
    np.minimum.at(entry, w[from_rest], pi[u[from_rest]] + c[from_rest])
    among = lost[w] & lost[u]
    dist = _shortest_paths(entry, u[among], w[among], c[among])
    pi = np.where(lost & np.isfinite(dist), dist, pi)
    top = float(pi[np.isfinite(pi)].max()) if np.isfinite(pi).any() else 0.0
    return np.where(np.isfinite(pi), pi, top + 1.0)  # no arc enters these: any value at least the rest


@dataclass
class _Search:
    """Pricing search: grids ``grids`` against volunteers ``vols`` (one potential group), per-grid radius."""

    tree: cKDTree
    vols: np.ndarray
    grids: np.ndarray
    radius: np.ndarray


def _volunteer_classes(pb: _Problem, lay: _Layout) -> list[tuple[int, np.ndarray, np.ndarray, int]]:
    """(tail base, grid mask, volunteer mask, head base) of every kind of volunteer→grid arc."""
    ng = len(pb.gxy)
    party = pb.v_party if pb.party_on else np.zeros(len(pb.vxy), dtype=bool)
    cadre = pb.v_cadre if pb.cadre_on else np.zeros(len(pb.vxy), dtype=bool)
    kinds = [(party & cadre, lay.pk0), (party & ~cadre, lay.p0), (~party & cadre, lay.k0), (~party & ~cadre, lay.o0)]
    tails = [(lay.v0, np.ones(ng, dtype=bool), pb.v_cap > 0)]
    if pb.lead_cap is not None:
        tails = [(lay.v0, ~pb.micro, pb.v_cap > 0), (lay.gate0, pb.micro, (pb.v_cap > 0) & (pb.lead_cap > 0))]
    return [(tail0, grid_mask, vol_mask & kind, head0)
            for kind, head0 in kinds if kind.any() for tail0, grid_mask, vol_mask in tails]


def _pricing_searches(pb: _Problem, lay: _Layout, pi: np.ndarray) -> list[_Search]:
    """Where an arc outside the set may have a negative reduced cost: volunteers within a radius per grid.

    ``reduced = cost + pi(tail) - pi(head)`` and cost >= rounded distance less the grid's
    discounts (same community, priority grid, 市 cadre bonus; earlier pairs, the only ones with
    the stability discount, are always in the set), so a negative one needs
    ``dist < pi(head) - pi(tail) + discounts + 1``. Tails are split into groups of similar
    potential so each group's radius stays tight.
    """
    discount = pb.opts.same_community_discount_m if pb.opts.prefer_same_community else 0.0
    discount = discount + np.rint(pb.g_bonus) + np.rint(pb.g_city_bonus)
    searches = []
    for tail0, grid_mask, vol_mask, head0 in _volunteer_classes(pb, lay):
        g_idx, v_idx = np.flatnonzero(grid_mask & (pb.g_dem > 0)), np.flatnonzero(vol_mask)
        if not len(g_idx) or not len(v_idx):
            continue
        pi_t = pi[tail0 + v_idx]
        reach = pi[head0 + g_idx] + discount[g_idx] + 1.0
        for group in np.array_split(np.argsort(pi_t, kind="stable"), min(PRICING_GROUPS, len(v_idx))):
            radius = reach - pi_t[group].min()
            if pb.opts.max_distance_m is not None:
                radius = np.minimum(radius, pb.opts.max_distance_m)
            ask = radius > 0
            if ask.any():
                searches.append(_Search(_kdtree(pb.v_sxy[v_idx[group]]), v_idx[group], g_idx[ask], radius[ask]))
    return searches


def _improving_arcs(pb: _Problem, arcs: _Arcs, lay: _Layout, pi: np.ndarray, *, per_grid: int) -> _Arcs:
    """Arcs of the full problem outside ``arcs`` with a negative reduced cost (at most ``per_grid`` per grid).

    ``pi``: node potentials under which every arc of the solved network has a reduced cost >= 0.
    First each grid's ``per_grid`` nearest volunteers per search (vectorised); only when none of
    those improves, every volunteer within reach of the grids that had more (so an empty
    answer always means: no arc outside the set has a negative reduced cost).
    """
    searches = _pricing_searches(pb, lay, pi)
    found_v, found_g, rest = [], [], []
    for sr in searches:
        k = min(per_grid, len(sr.vols))
        upper = float(sr.radius.max()) * (1 + 1e-9) + 1e-6
        dist, near = sr.tree.query(pb.g_sxy[sr.grids], k=k, distance_upper_bound=upper)
        dist, near = dist.reshape(len(sr.grids), k), near.reshape(len(sr.grids), k)
        hit = dist <= sr.radius[:, None]
        found_v.append(sr.vols[near[hit]])
        found_g.append(np.repeat(sr.grids, hit.sum(axis=1)))
        more = hit[:, -1]  # the k-th nearest is in reach: there may be more
        rest.append(_Search(sr.tree, sr.vols, sr.grids[more], sr.radius[more]))
    extra = _negative_arcs(pb, arcs, lay, pi, found_v, found_g, per_grid)
    if len(extra):
        return extra
    found_v, found_g = [], []
    for sr in rest:
        vi, gi = _ball_pairs(sr.tree, pb.g_sxy[sr.grids], sr.radius)
        found_v.append(sr.vols[vi])
        found_g.append(sr.grids[gi])
    return _negative_arcs(pb, arcs, lay, pi, found_v, found_g, per_grid)


def _negative_arcs(pb: _Problem, arcs: _Arcs, lay: _Layout, pi: np.ndarray, found_v: list[np.ndarray],
                   found_g: list[np.ndarray], per_grid: int) -> _Arcs:
    """Found pairs outside ``arcs`` that are arcs with a negative reduced cost, ``per_grid`` best per grid."""
    if not found_v:
        return arcs.take(np.empty(0, np.int64))
    ng = len(pb.gxy)
    v, g = np.concatenate(found_v).astype(np.int64), np.concatenate(found_g).astype(np.int64)
    key = _unique_keys(v * ng + g)
    key = key[~_in_sorted(key, np.sort(arcs.v * ng + arcs.g))]
    cand = _arcs_for(pb, key // ng, key % ng)
    reduced = cand.cost + pi[_arc_tails(pb, lay, cand.v, cand.g)] - pi[_arc_heads(pb, lay, cand.v, cand.g)]
    neg = np.flatnonzero(reduced < -0.5)  # potentials are whole numbers: costs are
    order = neg[np.lexsort((reduced[neg], cand.g[neg]))]
    g_sorted = cand.g[order]
    start = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    return cand.take(order[rank < per_grid])


@dataclass
class _Solved:
    """The optimum over one (sub)problem: arcs, flow, potentials proving it (None until asked), proof."""

    arcs: _Arcs
    flow: _Flow
    proof: dict[str, Any]
    pi: np.ndarray | None = None

    def potentials(self) -> np.ndarray:
        if self.pi is None:
            self.pi = _potentials(self.flow)
        return self.pi


def _solve_exact(pb: _Problem, *, penalty: int | None = None, start: _Arcs | None = None) -> _Solved:
    """The optimum of the full problem, and how it was proven.

    ``all_arcs``: every pair within reach is an arc (at most ``opts.all_arcs_limit`` of them).
    ``reduced_costs``: start from ``_candidate_arcs`` (plus ``start``) and add the arcs with
    negative reduced cost under the optimal potentials until there are none: then no arc
    outside the set can improve the flow, so it is optimal for the full problem.
    """
    penalty = _penalty(pb) if penalty is None else penalty
    arcs = _all_arcs(pb, pb.opts.all_arcs_limit)
    if arcs is not None:
        return _Solved(arcs, _solve_flow(arcs, pb, penalty), {"proof": "all_arcs", "rounds": 1,
                                                              "short_penalty": penalty})
    arcs = _candidate_arcs(pb)
    if start is not None and len(start):
        ng = len(pb.gxy)
        key = _unique_keys(np.r_[arcs.v * ng + arcs.g, start.v * ng + start.g])
        arcs = _arcs_for(pb, key // ng, key % ng)
    for rounds in itertools.count(1):
        flow = _solve_flow(arcs, pb, penalty)
        pi = _potentials(flow)
        per_grid = max(pb.opts.grid_k_nearest, 1) * 2 ** (rounds - 1)  # doubling: fewer rounds when short
        extra = _improving_arcs(pb, arcs, flow.layout, pi, per_grid=per_grid)
        if not len(extra):
            return _Solved(arcs, flow, {"proof": "reduced_costs", "rounds": rounds, "short_penalty": penalty}, pi)
        arcs = arcs.plus(extra)
    raise AssertionError  # unreachable: every round adds arcs of a finite set


# --- independent components and spatial blocks ------------------------------------------------

def _bisect(xy: np.ndarray, idx: np.ndarray, size: int) -> list[np.ndarray]:
    """``idx`` split at the median of the longer side until each part holds at most ``size`` points."""
    if len(idx) <= size:
        return [idx]
    pts = xy[idx]
    axis = int(np.ptp(pts[:, 0]) < np.ptp(pts[:, 1]))
    order = idx[np.argsort(pts[:, axis], kind="stable")]
    half = len(order) // 2
    return _bisect(xy, order[:half], size) + _bisect(xy, order[half:], size)


def _blocks(pb: _Problem) -> tuple[list[np.ndarray], np.ndarray, str]:
    """Grid positions of each block, the block of every volunteer, and the kind of decomposition.

    ``communities``: with ``same_community_only`` no arc joins two communities, so whole
    communities (grouped, in spatial order, up to ``block_grids`` grids) are independent.
    ``blocks``: live grids bisected at medians into blocks of at most ``block_grids``; each
    volunteer goes with their nearest grid (a proof over cross-block arcs follows the solve).
    """
    ng, size = len(pb.gxy), max(int(pb.opts.block_grids), 1)
    g_live = pb.g_live
    if pb.opts.same_community_only:
        codes = pd.Series(np.r_[pb.g_community, pb.v_community]).astype(object)
        label, _ = pd.factorize(codes.where(codes.notna(), "\x00none"))
        g_lab, v_lab = label[:ng], label[ng:]
        cen = pd.DataFrame(pb.gxy).groupby(g_lab).mean()
        order = cen.index[np.lexsort((cen[1].to_numpy(), np.floor(cen[0].to_numpy() / 5_000)))]
        sizes = pd.Series(g_lab).value_counts().reindex(order).fillna(0).to_numpy()
        block_of_unit = pd.Series((np.cumsum(sizes) - sizes) // size, index=order)
        ids, g_block = np.unique(block_of_unit.reindex(g_lab).to_numpy(np.int64), return_inverse=True)
        v_block = pd.Series(np.arange(len(ids)), index=ids).reindex(block_of_unit.reindex(v_lab).to_numpy())
        v_block = v_block.fillna(-1).to_numpy(np.int64)  # people of a community with no grid: no block
        blocks = [np.flatnonzero(g_block == b) for b in range(len(ids))]
        return blocks, v_block, "communities"
    parts = _bisect(pb.gxy, g_live, size) if len(g_live) else [g_live]
    g_block = np.full(ng, -1, np.int64)
    for b, part in enumerate(parts):
        g_block[part] = b
    v_block = np.full(len(pb.vxy), -1, np.int64)
    if len(g_live):
        _, near = _kdtree(pb.gxy[g_live]).query(pb.vxy)
        v_block = g_block[g_live[near]]
    return parts, v_block, "blocks"


def _merged(pb: _Problem, parts: list[tuple[np.ndarray, np.ndarray, _Solved]], penalty: int
            ) -> tuple[_Arcs, np.ndarray, np.ndarray, int]:
    """The blocks' solutions as one solution of the whole problem: arcs, arc flows, short places, cost."""
    arcs, flows = [], []
    short = pb.g_dem.copy()
    cost = penalty * int(pb.g_dem.sum())  # grids in no block: every place short
    for v_idx, g_idx, sol in parts:
        a = sol.arcs
        arcs.append(_Arcs(v_idx[a.v], g_idx[a.g], a.dist, a.cost))
        flows.append(sol.flow.arc_flow)
        short[g_idx] = sol.flow.short
        cost += sol.flow.cost - penalty * int(pb.g_dem[g_idx].sum())
    merged = _Arcs(*(np.concatenate([getattr(a, f) for a in arcs]) if arcs else np.empty(0, dtype)
                     for f, dtype in (("v", np.int64), ("g", np.int64), ("dist", float), ("cost", np.int64))))
    return merged, np.concatenate(flows) if flows else np.empty(0, np.int64), short, cost


def _merged_potentials(pb: _Problem, lay: _Layout, parts: list[tuple[np.ndarray, np.ndarray, _Solved]]
                       ) -> np.ndarray:
    """Node potentials of the whole network from the blocks' own (source 0; the sink at their largest).

    Every grid's sink arc is full, so the sink's only residual arcs leave it: raising its
    potential keeps their reduced costs >= 0. Arcs inside a block keep theirs; only arcs
    between blocks are left to check.
    """
    pi = np.zeros(lay.n_nodes)
    sink = 0.0
    for v_idx, g_idx, sol in parts:
        local, sub = sol.potentials(), sol.flow.layout
        pi[lay.v0 + v_idx] = local[sub.v0 + np.arange(len(v_idx))]
        if pb.lead_cap is not None:
            pi[lay.gate0 + v_idx] = local[sub.gate0 + np.arange(len(v_idx))]
        for base, sub_base in zip((lay.t0, lay.o0, lay.s0, lay.p0, lay.k0, lay.pk0),
                                  (sub.t0, sub.o0, sub.s0, sub.p0, sub.k0, sub.pk0)):
            pi[base + g_idx] = local[sub_base + np.arange(len(g_idx))]
        sink = max(sink, float(local[1]) - float(local[0]))
    pi[1] = sink
    return pi


@dataclass
class _Outcome:
    """The optimum of the whole problem: arcs, flow per arc, short places per grid, solver cost, proof."""

    arcs: _Arcs
    arc_flow: np.ndarray
    short: np.ndarray
    cost: int
    proof: dict[str, Any]


def _solve_whole(pb: _Problem) -> _Outcome:
    """The optimum of the full problem, solved per independent component or spatial block when large.

    With one block this is ``_solve_exact``. Otherwise each block is solved (and proven) on
    its own, with one short penalty for all; with ``same_community_only`` no arc joins two
    blocks, so the blocks' optima together are the optimum (``stats["decomposition"] ==
    "communities"``). Else the blocks' potentials are merged and every arc between blocks is
    priced: blocks joined by an arc with a negative reduced cost are merged and solved again
    (starting from their arcs), until none is left; then every arc of the full problem has a
    reduced cost >= 0, so the merged flow is optimal (``"blocks"``, ``stats["block_rounds"]``).
    """
    penalty = _penalty(pb)
    blocks, v_block, kind = _blocks(pb)
    if len(blocks) <= 1:  # one block holds every grid
        sol = _solve_exact(pb, penalty=penalty)
        return _Outcome(sol.arcs, sol.flow.arc_flow, sol.flow.short, sol.flow.cost,
                        {**sol.proof, "decomposition": "none", "blocks": 1, "block_rounds": 0})
    g_block = np.full(len(pb.gxy), -1, np.int64)
    for b, idx in enumerate(blocks):
        g_block[idx] = b
    group = np.arange(len(blocks))  # block -> the merged group it belongs to
    solved: dict[int, tuple[np.ndarray, np.ndarray, _Solved]] = {}
    todo = {b: None for b in range(len(blocks))}
    lay = _layout(pb)
    rounds = {"rounds": 0, "block_rounds": 0, "merges": 0}
    while True:
        rounds["block_rounds"] += 1
        jobs = {gid: _block_job(pb, group, gid, g_block, v_block, start) for gid, start in todo.items()}
        for gid, sol in zip(jobs, _run_jobs([(sub, penalty, local, kind == "blocks")
                                             for _, _, sub, local in jobs.values()], pb.opts.workers)):
            rounds["rounds"] = max(rounds["rounds"], sol.proof["rounds"])
            solved[gid] = (jobs[gid][0], jobs[gid][1], sol)
        parts = list(solved.values())
        arcs, arc_flow, short, cost = _merged(pb, parts, penalty)
        if kind == "communities":
            break
        pi = _merged_potentials(pb, lay, parts)
        extra = _improving_arcs(pb, arcs, lay, pi, per_grid=max(pb.opts.grid_k_nearest, 1))
        if not len(extra):
            break
        todo = _merge_groups(group, v_block[extra.v], g_block[extra.g], solved, extra)
        rounds["merges"] += len(todo)
    proof = {"proof": "reduced_costs" if kind == "blocks" else "components", "short_penalty": penalty,
             "decomposition": kind, "blocks": len(blocks), "groups": len(solved), **rounds}
    return _Outcome(arcs, arc_flow, short, cost, proof)


def _block_job(pb: _Problem, group: np.ndarray, gid: int, g_block: np.ndarray, v_block: np.ndarray,
               start: _Arcs | None) -> tuple[np.ndarray, np.ndarray, _Problem, _Arcs | None]:
    """Volunteer and grid positions of merged group ``gid``, its subproblem and its first arcs (renumbered)."""
    members = np.flatnonzero(group == gid)
    g_idx = np.flatnonzero(np.isin(g_block, members))
    v_idx = np.flatnonzero(np.isin(v_block, members))
    local = None
    if start is not None:
        v_new = pd.Series(np.arange(len(v_idx)), index=v_idx)
        g_new = pd.Series(np.arange(len(g_idx)), index=g_idx)
        local = _Arcs(v_new.reindex(start.v).to_numpy(np.int64), g_new.reindex(start.g).to_numpy(np.int64),
                      start.dist, start.cost)
    return v_idx, g_idx, pb.subset(v_idx, g_idx), local


def _solve_job(job: tuple[_Problem, int, _Arcs | None, bool]) -> _Solved:
    """One block solved (and its potentials computed when the blocks are priced against each other)."""
    sub, penalty, start, priced = job
    sol = _solve_exact(sub, penalty=penalty, start=start)
    if priced:
        sol.potentials()
    return sol


def _run_jobs(jobs: list[tuple[_Problem, int, _Arcs | None, bool]], workers: int) -> list[_Solved]:
    """``_solve_job`` over ``jobs``, in ``workers`` processes when more than one (same results, in order)."""
    if workers <= 1 or len(jobs) <= 1:
        return [_solve_job(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(_solve_job, jobs))


def _merge_groups(group: np.ndarray, blk_v: np.ndarray, blk_g: np.ndarray,
                  solved: dict[int, tuple[np.ndarray, np.ndarray, _Solved]], extra: _Arcs) -> dict[int, _Arcs]:
    """Merge the groups joined by ``extra`` arcs (in place); the merged groups and their first arcs."""
    parent = {int(g): int(g) for g in np.unique(group)}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(group[blk_v], group[blk_g]):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    old = group.copy()
    group[:] = [find(int(g)) for g in old]
    changed = {int(r) for r in group[old != group]} | {int(r) for r in group[blk_v]}
    todo: dict[int, _Arcs] = {}
    for root in sorted(changed):
        members = {int(g) for g in np.unique(old[group == root])}
        starts = [_global_arcs(solved.pop(m)) for m in members if m in solved]
        mine = np.isin(group[blk_v], [root])
        start = extra.take(np.flatnonzero(mine))
        for a in starts:
            start = start.plus(a)
        todo[root] = start
    return todo


def _global_arcs(part: tuple[np.ndarray, np.ndarray, _Solved]) -> _Arcs:
    v_idx, g_idx, sol = part
    return _Arcs(v_idx[sol.arcs.v], g_idx[sol.arcs.g], sol.arcs.dist, sol.arcs.cost)

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

    pb, fv_ok, unknown = _build_problem(vols, grids, fixed, previous, opts)
    reasons.append(unknown)
    out = _solve_whole(pb)
    arcs, proof = out.arcs, out.proof
    used = out.arc_flow > 0
    new = pd.DataFrame({"v": arcs.v[used], "g": arcs.g[used], s.DISTANCE_M: np.round(arcs.dist[used], 1)})

    new_rows = _new_rows(new, vols, grids, fixed, previous, opts.scenario, now, pb.micro)
    changes = _changes(previous, new_rows)
    changes["fixed"] = len(fixed)
    result_table = _typed(pd.concat([other_rows, fixed, new_rows], ignore_index=True))
    short_df = _short_frame(grids, vols, out.short, arcs, opts)
    reasons.append(_short_reasons(short_df))
    reasons.append(_left_out_volunteers(vols, arcs, fv_ok, new["v"].to_numpy()))
    reasons.append(_rule_reasons(pd.concat([fixed, new_rows], ignore_index=True), vols, grids, pb, opts))
    reasons_df = pd.concat([r for r in reasons if len(r)] or [_reasons("", [], "")], ignore_index=True)
    stats = {"volunteers": len(vols), "grids": len(grids), "arcs": len(arcs), **proof,
             "places": int(grids["target"].sum()), "filled": int(used.sum()) + len(fixed),
             "short": int(out.short.sum()), "cost": int(arcs.cost[used].sum())}
    problem = {"arc_v": arcs.v, "arc_g": arcs.g, "arc_cost": arcs.cost, "v_cap": pb.v_cap, "g_dem": pb.g_dem,
               "micro": pb.micro, "lead_cap": pb.lead_cap, "short_penalty": proof["short_penalty"],
               "v_xy": pb.vxy, "g_xy": pb.gxy}
    return StaffingResult(result_table, short_df, reasons_df[list(REASON_COLUMNS)], changes,
                          float(arcs.dist[used].sum()), out.cost, stats, problem)


def _build_problem(vols: pd.DataFrame, grids: pd.DataFrame, fixed: pd.DataFrame, previous: pd.DataFrame,
                   opts: StaffingOptions) -> tuple[_Problem, np.ndarray, pd.DataFrame]:
    """The full problem left after the fixed rows; the fixed rows' volunteer positions; unknown fixed rows."""
    v_pos = pd.Series(np.arange(len(vols)), index=vols[s.VOLUNTEER_ID])
    g_pos = pd.Series(np.arange(len(grids)), index=grids[s.GRID_CODE])
    fv = v_pos.reindex(fixed[s.VOLUNTEER_ID].astype(str)).to_numpy()
    fg = g_pos.reindex(fixed[s.GRID_CODE].astype(str)).to_numpy()
    unknown = np.isnan(fv) | np.isnan(fg)
    unknown_rows = _reasons("assignment", fixed[s.VOLUNTEER_ID].to_numpy()[unknown], LOCKED_ROW_UNKNOWN,
                            fixed[s.GRID_CODE].to_numpy()[unknown])
    fv_ok, fg_ok = fv[~unknown].astype(np.int64), fg[~unknown].astype(np.int64)
    micro = (grids[s.LEVEL].to_numpy() == s.LEVEL_MICRO)
    v_cap = np.maximum(vols[s.CAPACITY].to_numpy() - np.bincount(fv_ok, minlength=len(vols)), 0)
    g_dem = np.maximum(grids["target"].to_numpy() - np.bincount(fg_ok, minlength=len(grids)), 0)
    lead_cap = None
    if opts.one_leadership:
        lead_cap = np.maximum(1 - np.bincount(fv_ok[micro[fg_ok]], minlength=len(vols)), 0).astype(np.int64)
    pv = v_pos.reindex(previous[s.VOLUNTEER_ID].astype(str)).to_numpy()
    pg = g_pos.reindex(previous[s.GRID_CODE].astype(str)).to_numpy()
    pok = ~(np.isnan(pv) | np.isnan(pg))
    fixed_key = _unique_keys(fv_ok * len(grids) + fg_ok)
    prev_key = _unique_keys(pv[pok].astype(np.int64) * len(grids) + pg[pok].astype(np.int64))
    g_skills = _split_skills(grids[REQUIRED_SKILLS].to_numpy())
    rules = _rule_arrays(vols, grids, fv_ok, fg_ok, g_dem, micro, opts)
    pb = _Problem(
        vxy=vols[["x", "y"]].to_numpy(), gxy=grids[["x", "y"]].to_numpy(),
        v_skills=_split_skills(vols[s.SKILLS].to_numpy()), g_skills=g_skills,
        g_needs=np.array([bool(k) for k in g_skills], dtype=bool),
        v_community=vols[s.COMMUNITY_CODE].to_numpy(), g_community=grids[s.COMMUNITY_CODE].to_numpy(),
        v_cap=v_cap.astype(np.int64), g_dem=g_dem.astype(np.int64), micro=micro, lead_cap=lead_cap,
        prev_key=prev_key[~_in_sorted(prev_key, fixed_key)], fixed_key=fixed_key, opts=opts, **rules)
    return pb, fv_ok, unknown_rows


def _rule_arrays(vols: pd.DataFrame, grids: pd.DataFrame, fv: np.ndarray, fg: np.ndarray, g_dem: np.ndarray,
                 micro: np.ndarray, opts: StaffingOptions) -> dict[str, Any]:
    """Per-volunteer kinds and per-grid places of the party, cadre, coverage and priority rules.

    Fixed rows count: a micro-grid with a fixed party member needs no other; fixed cadres use
    the grid's cadre places.
    """
    nv, ng = len(vols), len(grids)
    tier = vols[s.TIER].astype(object).to_numpy()
    v_party = vols[s.PARTY_MEMBER].to_numpy(dtype=bool)
    v_cadre = np.isin(tier, list(s.TIERS))
    has_party = np.bincount(fg[v_party[fv]], minlength=ng) > 0
    slot = (micro & (g_dem > 0) & ~has_party) if opts.party_member_per_micro else np.zeros(ng, dtype=bool)
    cadre_cap = None
    if opts.cadres_per_grid_max is not None:
        fixed_cadres = np.bincount(fg[v_cadre[fv]], minlength=ng)
        cadre_cap = np.maximum(int(opts.cadres_per_grid_max) - fixed_cadres, 0).astype(np.int64)
    gap = 1.0 - np.nan_to_num(grids[COVERAGE_SHARE].to_numpy(dtype=float), nan=1.0)
    city_bonus = opts.city_coverage_bonus_m * gap if opts.city_cadres_to_low_coverage else np.zeros(ng)
    v_sxy, g_sxy = vols[["x", "y"]].to_numpy(), grids[["x", "y"]].to_numpy()
    if opts.same_community_only:  # kd-tree searches then find people of the grid's own community first
        codes = pd.Series(np.r_[vols[s.COMMUNITY_CODE].to_numpy(), grids[s.COMMUNITY_CODE].to_numpy()])
        label, _ = pd.factorize(codes.astype(object))
        shift = np.column_stack([label * COMMUNITY_SHIFT_M, np.zeros(len(label))])
        v_sxy, g_sxy = v_sxy + shift[:nv], g_sxy + shift[nv:]
    return {"v_sxy": v_sxy, "g_sxy": g_sxy, "v_party": v_party, "v_cadre": v_cadre,
            "v_city": np.asarray(tier == CITY_TIER, dtype=bool),
            "g_slot": slot.astype(np.int64), "g_cadre_cap": cadre_cap,
            "g_bonus": opts.priority_bonus_m * grids[PRIORITY].to_numpy(dtype=bool),
            "g_city_bonus": np.asarray(city_bonus, dtype=float)}


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
            in_reach = _kdtree(vols[["x", "y"]].to_numpy()).query_ball_point(gxy, radius, return_length=True) \
                if np.isfinite(radius) else np.full(len(idx), len(vols))
        else:
            in_reach = np.zeros(len(idx), dtype=int)
        needs = np.array([bool(r) for r in _split_skills(grids[REQUIRED_SKILLS].to_numpy()[idx])], dtype=bool)
        reason = np.select([has_arc, np.asarray(in_reach) == 0, needs],
                           [CAPACITY_EXHAUSTED, NO_VOLUNTEER_IN_REACH, NO_VOLUNTEER_WITH_SKILLS],
                           CAPACITY_EXHAUSTED).astype(object)
    return pd.DataFrame({s.GRID_CODE: grids[s.GRID_CODE].to_numpy()[idx], "target": target,
                         "actual": target - short[idx], "short": short[idx], s.REASON: reason})


def _rule_reasons(rows: pd.DataFrame, vols: pd.DataFrame, grids: pd.DataFrame, pb: _Problem,
                  opts: StaffingOptions) -> pd.DataFrame:
    """Why rows are where they are under the party, cadre, coverage and priority rules (one row each).

    ``assignment`` rows (id = volunteer, detail = grid): the party member holding a micro-grid's
    party place (the closest), a 市 cadre in a grid whose coverage earned a bonus, anyone in a
    priority grid. ``grid`` rows: micro-grids left without a party member, grids at the cadre cap.
    """
    vi = pd.Series(np.arange(len(vols)), index=vols[s.VOLUNTEER_ID].astype(str))
    gi = pd.Series(np.arange(len(grids)), index=grids[s.GRID_CODE].astype(str))
    v = vi.reindex(rows[s.VOLUNTEER_ID].astype(str)).to_numpy()
    g = gi.reindex(rows[s.GRID_CODE].astype(str)).to_numpy()
    ok = ~(np.isnan(v) | np.isnan(g))
    v, g = v[ok].astype(np.int64), g[ok].astype(np.int64)
    dist = pd.to_numeric(rows[s.DISTANCE_M], errors="coerce").to_numpy(float)[ok]
    vid, code = vols[s.VOLUNTEER_ID].to_numpy(), grids[s.GRID_CODE].to_numpy()
    out = []
    if opts.party_member_per_micro:
        party = pb.v_party[v]
        holder = pd.DataFrame({"v": v[party], "g": g[party], "d": dist[party]}).sort_values(["g", "d", "v"])
        holder = holder.drop_duplicates("g")
        micro_holder = holder[pb.micro[holder["g"].to_numpy()]]
        out.append(_reasons("assignment", vid[micro_holder["v"]], PARTY_MEMBER_PLACE, code[micro_holder["g"]]))
        target = grids["target"].to_numpy()
        missing = np.flatnonzero(pb.micro & (target > 0) & ~np.isin(np.arange(len(grids)), holder["g"]))
        out.append(_reasons("grid", code[missing], NO_PARTY_MEMBER))
    if opts.cadres_per_grid_max is not None:
        per_grid = np.bincount(g[pb.v_cadre[v]], minlength=len(grids))
        full = np.flatnonzero((per_grid >= opts.cadres_per_grid_max) & (per_grid > 0))
        out.append(_reasons("grid", code[full], CADRE_CAP_REACHED, per_grid[full]))
    city = pb.v_city[v] & (pb.g_city_bonus[g] >= 1)
    out.append(_reasons("assignment", vid[v[city]], CITY_CADRE_LOW_COVERAGE, code[g[city]]))
    prio = pb.g_bonus[g] >= 1
    out.append(_reasons("assignment", vid[v[prio]], PRIORITY_GRID, code[g[prio]]))
    return pd.concat(out, ignore_index=True)


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

def scenario_targets(settings: dict[str, Any], scenario: str | None) -> dict[str, Any]:
    """The staffing targets of ``scenario``: those of the rule set that writes it (``geo.rulesets``)
    over ``settings["targets"]``; the settings' own targets for any other scenario."""
    base = dict(settings.get("targets") or s.DEFAULT_SETTINGS["targets"])
    if scenario is None:
        return base
    for ruleset in {**s.DEFAULT_SETTINGS["rulesets"], **(settings.get("rulesets") or {})}.values():
        if str(ruleset.get("scenario") or s.DEFAULT_SCENARIO) == str(scenario) and ruleset.get("targets"):
            return {**base, **ruleset["targets"]}
    return base


def staff_project(project: Any, *, options: StaffingOptions | None = None, now: str | None = None,
                  point_grids: pd.DataFrame | None = None, user: str = "",
                  volunteers_gdf: gpd.GeoDataFrame | None = None, grids_gdf: gpd.GeoDataFrame | None = None
                  ) -> tuple[Any, StaffingResult]:
    """Run ``solve_staffing`` on a ``Project``; return the project with the new assignments table.

    When ``point_grids`` (from ``geo.assign.point_grids_table``) is given, volunteers with no
    ``community_code`` get the community their home lies in (for ``prefer_same_community``).
    ``volunteers_gdf`` / ``grids_gdf`` replace the project's layers for this run (a rule set's
    "who counts", its priority and coverage columns); targets are ``scenario_targets``.
    The run is logged in the audit table (``staffing_run``, by ``user``).
    """
    opts = options or StaffingOptions.from_settings(project.settings)
    vols = project.layer(s.VOLUNTEERS) if volunteers_gdf is None else volunteers_gdf
    if point_grids is not None and len(point_grids) and len(vols):
        homes = point_grids[(point_grids["layer"] == s.VOLUNTEERS) & (point_grids[s.LEVEL] == "community")]
        home = homes.drop_duplicates(s.POINT_ID).set_index(s.POINT_ID)[s.GRID_CODE]
        found = vols[s.VOLUNTEER_ID].map(home)
        current = vols[s.COMMUNITY_CODE] if s.COMMUNITY_CODE in vols else pd.Series(None, index=vols.index)
        vols = vols.assign(**{s.COMMUNITY_CODE: current.astype(object).where(current.notna(), found)})
    grids = project.layer(s.GRIDS) if grids_gdf is None else grids_gdf
    result = solve_staffing(vols, grids, assignments=project.table(s.ASSIGNMENTS),
                            targets=scenario_targets(project.settings, opts.scenario),
                            options=opts, now=now)
    project = log_event(project.with_table(s.ASSIGNMENTS, result.assignments), action="staffing_run",
                        user=user, obj=s.ASSIGNMENTS, scenario=opts.scenario, now=now,
                        counts={**result.changes, "grids_short": len(result.short)})
    return project, result


def assign_project(project: Any, *, options: StaffingOptions, max_distance_m: float | None, user: str = "",
                   point_grids: pd.DataFrame | None = None, progress: Progress | None = None,
                   volunteers_gdf: gpd.GeoDataFrame | None = None, grids_gdf: gpd.GeoDataFrame | None = None
                   ) -> tuple[Any, pd.DataFrame, StaffingResult]:
    """Points to grids and staffing on a project; returns the updated project and both results.

    ``point_grids`` is ``point_grids_table``'s result when the caller computed it already
    (``geo.distributed.point_grids_table_dask``); else it is computed here.
    Both steps are logged in the audit table (``point_grids``, ``staffing_run``, by ``user``);
    ``progress`` hears ``progress.assign.points`` then ``progress.assign.staffing`` (``geo.progress``).
    ``volunteers_gdf`` / ``grids_gdf``: see ``staff_project``.
    """

    if not len(project.layer(s.GRIDS)):
        msg = "project has no grids"
        raise GeoInputError(msg, code="assign.no_grids")
    report(progress, "progress.assign.points", 0, 1)
    if point_grids is None:
        point_grids = point_grids_table(project.layers, max_distance_m=max_distance_m)
    report(progress, "progress.assign.points", 1, 1)
    report(progress, "progress.assign.staffing", 0, 1)
    project = log_event(project.with_table(s.POINT_GRIDS, point_grids), action="point_grids", user=user,
                        obj=s.POINT_GRIDS, counts={"points": point_grids[s.POINT_ID].nunique(),
                                                   "rows": len(point_grids),
                                                   "unplaced": int(point_grids[s.GRID_CODE].isna().sum())})
    project, result = staff_project(project, options=options, point_grids=point_grids, user=user,
                                    volunteers_gdf=volunteers_gdf, grids_gdf=grids_gdf)
    report(progress, "progress.assign.staffing", 1, 1)
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
    targets = scenario_targets(project.settings, scenario or project.active_scenario)
    target = grid_targets(grids, targets) if len(grids) else np.empty(0, np.int64)
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

