"""Figures per grid, community, town and the whole place: the one roll-up rule.

Explore, Dashboard, Export, Print and the command line all read their per-unit numbers from
``unit_figures`` (or ``group_figures`` for other groupings of grids, e.g. a general grid and
its micro-grids). The rule, for any group of grids (``geo.hierarchy`` says which grids a unit
holds, and which are leaves):

- ``households``: sum of the households of its **leaf** grids (never counted twice); a leaf grid
  without a count of its own takes the sum of its buildings (``building_households``);
- ``grids``: number of grids of every level; ``grids_<level>`` per level;
- ``target`` / ``actual``: sums over all its grids (``geo.staffing.staffing_by_grid``, the
  active scenario unless told otherwise); ``filled`` counts each grid's people up to its
  target, so one over-staffed grid cannot hide a short one; ``staffing`` = filled / target
  (NaN without a target); ``short_grids`` grids below target; ``no_leader`` grids with a
  target and no leader;
- ``coverage``: **household-weighted** share of its leaf grids' households within reach (per
  grid: ``households_share`` where household points gave one, else ``area_share``), and
  **area-weighted** ``area_share`` when its leaf grids have no households; NaN without coverage;
- ``volunteers``: distinct people assigned to its grids; ``service_points``: distinct service
  points located in its grids;
- served items (``SERVED_COLUMNS``): an organisation, governance project or self-governance row
  serves a set of leaf grids (``grid_codes``) and counts **once** in every unit that holds one of
  them: ``organisations``; ``gov_projects`` and ``projects_done``; ``selfgov_bodies``,
  ``self_orgs`` and ``conventions`` add up the counts of the distinct self-governance rows;
- ``buildings`` and ``headless_buildings``: buildings of its grids, and those no 楼栋长/单元长
  heads (``geo.buildings.building_counts``; each building belongs to one grid, counted once);
- ``org_gaps``: leaf grids served by no 物业 and no 业委会/院委会 (0 while no organisations are
  imported; ``geo.organisations.find_grids_without_management``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.assign import LAYER, point_grids_table
from geo.buildings import building_counts, buildings_table
from geo.crs import to_metric_crs
from geo.govprojects import project_grids
from geo.hierarchy import grid_descendants, grid_tree, place_code
from geo.organisations import find_grids_without_management, organisation_grids
from geo.selfgov import selfgov_grids
from geo.unitkinds import KIND_ROWS, kind_members
from geo.project import Project
from geo.staffing import staffing_by_grid

CITY, TOWN, COMMUNITY, GRID = "city", "town", "community", "grid"
UNIT_LEVELS = (TOWN, COMMUNITY)
DEFAULT_CATEGORY = "生活"
DEFAULT_RADIUS_M = 500  # GB 50180-2018 10-minute life circle
SERVED_COLUMNS = ("organisations", "gov_projects", "projects_done", "selfgov_bodies", "self_orgs", "conventions")
BUILDING_FIGURES = ("buildings", "headless_buildings")  # geo.buildings.building_counts
FIGURE_COLUMNS = ("households", "grids", "target", "actual", "filled", "short", "short_grids", "no_leader",
                  "staffing", "coverage", "volunteers", "service_points", *SERVED_COLUMNS, "org_gaps",
                  *BUILDING_FIGURES)


@dataclass
class Figures:
    """Per-unit figures keyed by level (``grid``, ``community``, ``town``, ``city``), frames indexed by code.

    Columns are ``FIGURE_COLUMNS`` (grids also keep ``leader_id`` and the tree columns).
    ``scenario``, ``category`` and ``radius_m`` say what the figures were computed for.
    """

    by_level: dict[str, pd.DataFrame] = field(default_factory=dict)
    scenario: str = s.DEFAULT_SCENARIO
    category: str | None = None
    radius_m: float | None = None

    def get(self, level: str) -> pd.DataFrame:
        """The frame for ``level`` (empty when unknown)."""
        return self.by_level.get(level, pd.DataFrame(columns=list(FIGURE_COLUMNS)))

    def unit(self, level: str, code: str | None) -> pd.Series:
        """One unit's figures (the city when ``level`` is ``city``); NaN figures when unknown."""
        frame = self.get(level)
        if level == CITY:
            return frame.iloc[0] if len(frame) else pd.Series(np.nan, index=list(FIGURE_COLUMNS))
        if code is not None and str(code) in frame.index:
            return frame.loc[str(code)]
        return pd.Series(np.nan, index=list(FIGURE_COLUMNS))


def coverage_radius(project: Project, radius_m: float | None = None) -> float | None:
    """The radius figures use: ``radius_m`` if given, else 500 m or the nearest radius stored in ``coverage``."""
    if radius_m is not None:
        return float(radius_m)
    cov = project.table(s.COVERAGE)
    if len(cov) == 0 or "radius_m" not in cov.columns:
        return None
    radii = sorted({float(r) for r in pd.to_numeric(cov["radius_m"], errors="coerce").dropna()})
    return min(radii, key=lambda r: (abs(r - DEFAULT_RADIUS_M), r)) if radii else None


def grid_shares(project: Project, *, category: str | None, radius_m: float | None) -> pd.DataFrame:
    """Per grid code: ``coverage`` (households share, else area share) and ``area_share`` for one choice."""
    cov = project.table(s.COVERAGE)
    empty = pd.DataFrame(columns=["coverage", "area_share"], dtype=float)
    if len(cov) == 0 or category is None or radius_m is None or s.CATEGORY not in cov.columns:
        return empty
    part = cov[(cov[s.CATEGORY].astype(str) == str(category))
               & np.isclose(pd.to_numeric(cov["radius_m"], errors="coerce"), float(radius_m))]
    area = pd.to_numeric(part["area_share"], errors="coerce").astype(float)
    hh = pd.to_numeric(part.get("households_share", pd.Series(np.nan, index=part.index)), errors="coerce")
    out = pd.DataFrame({"coverage": hh.astype(float).fillna(area).to_numpy(), "area_share": area.to_numpy()},
                       index=part[s.GRID_CODE].astype(str).to_numpy())
    return out[~out.index.duplicated()]


def building_households(project: Project) -> pd.Series:
    """Households per grid code summed from its buildings (``geo.buildings`` places them); float."""
    bld = buildings_table(project)
    if len(bld) == 0:
        return pd.Series(dtype=float)
    placed = bld[bld[s.GRID_CODE].notna()]
    return placed.groupby(placed[s.GRID_CODE].astype(str))[s.HOUSEHOLDS_N].sum(min_count=1).astype(float)


def households_tree(project: Project) -> pd.DataFrame:
    """``geo.hierarchy.grid_tree`` with each leaf grid lacking a household count given its buildings' sum."""
    tree = grid_tree(project)
    if len(tree) == 0:
        return tree
    blank = tree[s.HOUSEHOLDS_N].isna() & tree["is_leaf"].astype(bool)
    if blank.any() and len(project.layer(s.BUILDINGS)):
        tree = tree.copy()
        sums = building_households(project).reindex(tree.index[blank])
        tree.loc[blank, s.HOUSEHOLDS_N] = sums.to_numpy(dtype=float)
    return tree


def grid_figures(project: Project, *, scenario: str | None = None, category: str | None = DEFAULT_CATEGORY,
                 radius_m: float | None = None, served: pd.DataFrame | None = None,
                 points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Figures per grid (index: grid code, the layer's order): tree columns, staffing, coverage, people, points."""
    tree = households_tree(project)
    scenario = scenario or project.active_scenario
    out = tree.copy()
    if len(tree) == 0:
        for col in FIGURE_COLUMNS:
            out[col] = pd.Series(dtype=float)
        out["leader_id"] = pd.Series(dtype=object)
        out["area_share"] = pd.Series(dtype=float)
        return out
    staff = staffing_by_grid(project, scenario=scenario).drop_duplicates(s.GRID_CODE).set_index(s.GRID_CODE)
    staff = staff.reindex(tree.index)
    out["grids"] = 1
    out["target"] = staff["target"].fillna(0).astype(int).to_numpy()
    out["actual"] = staff["actual"].fillna(0).astype(int).to_numpy()
    out["filled"] = np.minimum(out["actual"], out["target"])
    out["short"] = np.maximum(out["target"] - out["actual"], 0)
    out["short_grids"] = (out["short"] > 0).astype(int)
    out["leader_id"] = staff["leader_id"].astype(object).to_numpy()
    out["no_leader"] = (out["leader_id"].isna() & (out["target"] > 0)).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staffing"] = np.where(out["target"] > 0, out["filled"] / out["target"].where(out["target"] > 0, 1),
                                   np.nan)
    shares = grid_shares(project, category=category, radius_m=coverage_radius(project, radius_m))
    out["coverage"] = shares["coverage"].reindex(tree.index).to_numpy(dtype=float)
    out["area_share"] = shares["area_share"].reindex(tree.index).to_numpy(dtype=float)
    rows = project.assignments(scenario)
    people = rows[s.GRID_CODE].astype(str).value_counts() if len(rows) else pd.Series(dtype=int)
    out["volunteers"] = people.reindex(tree.index).fillna(0).astype(int).to_numpy()
    points = service_point_grids(project) if points is None else points
    out["service_points"] = points.groupby(s.GRID_CODE).size().reindex(tree.index).fillna(0).astype(int).to_numpy()
    own = pd.DataFrame({"group": tree.index, s.GRID_CODE: tree.index})
    sums = served_sums(served_items(project) if served is None else served, own).reindex(tree.index)
    for col in SERVED_COLUMNS:
        out[col] = sums[col].fillna(0).astype(int).to_numpy()
    out["org_gaps"] = tree.index.isin(find_grids_without_management(project, tree=tree)).astype(int)
    counts = building_counts(project).reindex(tree.index)
    for col in BUILDING_FIGURES:
        out[col] = counts[col].fillna(0).astype(int).to_numpy()
    return out


def served_items(project: Project) -> pd.DataFrame:
    """Every served item and a leaf grid it serves: ``item, grid_code`` and its ``SERVED_COLUMNS`` weights.

    Organisations weigh 1 in ``organisations``; projects 1 in ``gov_projects`` (and in
    ``projects_done`` when done); a self-governance row its three counts.
    """
    orgs = organisation_grids(project)
    projects = project_grids(project)
    selfgov = selfgov_grids(project)
    frames = [
        pd.DataFrame({"item": "org:" + orgs["item"].astype(str), s.GRID_CODE: orgs[s.GRID_CODE], "organisations": 1}),
        pd.DataFrame({"item": "prj:" + projects["item"].astype(str), s.GRID_CODE: projects[s.GRID_CODE],
                      "gov_projects": 1, "projects_done": (projects[s.STATUS] == "done").astype(int)}),
        pd.DataFrame({"item": "sg:" + selfgov["item"].astype(str), s.GRID_CODE: selfgov[s.GRID_CODE],
                      **{c: selfgov[c] for c in ("selfgov_bodies", "self_orgs", "conventions")}}),
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["item", s.GRID_CODE, *SERVED_COLUMNS])
    out = pd.concat(frames, ignore_index=True).reindex(columns=["item", s.GRID_CODE, *SERVED_COLUMNS])
    out[list(SERVED_COLUMNS)] = out[list(SERVED_COLUMNS)].fillna(0).astype(int)
    out[s.GRID_CODE] = out[s.GRID_CODE].astype(str)
    return out


def served_sums(items: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """``SERVED_COLUMNS`` per group: each item counted once per group that holds one of its grids."""
    if len(items) == 0 or len(members) == 0:
        return pd.DataFrame(columns=list(SERVED_COLUMNS), dtype=int)
    pairs = items.merge(members[["group", s.GRID_CODE]].astype(str), on=s.GRID_CODE)
    pairs = pairs.drop_duplicates(["group", "item"])
    return pairs.groupby("group")[list(SERVED_COLUMNS)].sum()


def service_point_grids(project: Project) -> pd.DataFrame:
    """Which grid each service point lies in, at every grid level: ``point_id, grid_code``.

    From table ``point_grids`` (its rows of layer ``service_points``: volunteers and households
    share that table), else placed now by ``geo.assign.point_grids_table``; points in no grid are
    not listed.
    """
    cols = [s.POINT_ID, s.GRID_CODE]
    grids = project.layer(s.GRIDS)
    if len(project.layer(s.SERVICE_POINTS)) == 0 or s.CODE not in grids.columns:
        return pd.DataFrame(columns=cols, dtype=object)
    table = project.table(s.POINT_GRIDS)
    if {s.POINT_ID, s.GRID_CODE, LAYER} <= set(table.columns):
        table = table[table[LAYER].astype(str) == s.SERVICE_POINTS]
    else:
        table = pd.DataFrame()
    if len(table) == 0:
        table = point_grids_table(project.layers, layers=(s.SERVICE_POINTS,))
    out = table[cols].dropna().astype(str)
    known = set(grids[s.CODE].astype(str))  # an object column below: pandas 3's str isin costs ~5 µs a value
    return out[out[s.GRID_CODE].astype(object).isin(known)].drop_duplicates().reset_index(drop=True)


def _leaf_area_m2(project: Project, codes: pd.Index) -> pd.Series:
    grids = project.layer(s.GRIDS)
    metric = to_metric_crs(grids)
    area = pd.Series(shapely.area(metric.geometry.values), index=grids[s.CODE].astype(str).to_numpy())
    return area[~area.index.duplicated()].reindex(codes).fillna(0.0)


def group_figures(project: Project, grids: pd.DataFrame, members: pd.DataFrame, *,
                  scenario: str | None = None, served: pd.DataFrame | None = None,
                  points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Roll ``grids`` (from ``grid_figures``) up to groups by the rule in the module docstring.

    ``members`` has columns ``group`` and ``grid_code`` (a grid may sit in several groups);
    ``served`` is ``served_items(project)`` and ``points`` ``service_point_grids(project)`` when the caller
    has them already (placing a city's service points costs a second each time).
    Returns one row per group (index: group), columns ``FIGURE_COLUMNS`` and ``grids_<level>``.
    """
    if len(members) == 0:
        return pd.DataFrame(columns=list(FIGURE_COLUMNS), index=pd.Index([], name="group", dtype=object))
    long = members[["group", s.GRID_CODE]].astype(str).join(grids, on=s.GRID_CODE, how="inner")
    g = long.groupby("group", sort=True)
    out = g[["grids", "target", "actual", "filled", "short", "short_grids", "no_leader", "org_gaps",
             *BUILDING_FIGURES]].sum()
    for level in s.GRID_LEVELS:
        out[f"grids_{level}"] = (long[s.LEVEL] == level).groupby(long["group"]).sum()
    leaves = long[long["is_leaf"].astype(bool)]
    out["households"] = leaves.groupby("group")[s.HOUSEHOLDS_N].sum(min_count=1).reindex(out.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staffing"] = np.where(out["target"] > 0, out["filled"] / out["target"].where(out["target"] > 0, 1),
                                   np.nan)
    out["coverage"] = _coverage(project, leaves).reindex(out.index)
    rows = project.assignments(scenario)
    if len(rows):
        pairs = rows[[s.GRID_CODE, s.VOLUNTEER_ID]].astype(str).merge(members.astype(str), on=s.GRID_CODE)
        out["volunteers"] = pairs.groupby("group")[s.VOLUNTEER_ID].nunique().reindex(out.index).fillna(0).astype(int)
    else:
        out["volunteers"] = 0
    points = (service_point_grids(project) if points is None else points).merge(members.astype(str), on=s.GRID_CODE)
    out["service_points"] = points.groupby("group")[s.POINT_ID].nunique().reindex(out.index).fillna(0).astype(int)
    sums = served_sums(served_items(project) if served is None else served, members).reindex(out.index)
    for col in SERVED_COLUMNS:
        out[col] = sums[col].fillna(0).astype(int)
    return out[list(FIGURE_COLUMNS) + [f"grids_{lv}" for lv in s.GRID_LEVELS]]


def _coverage(project: Project, leaves: pd.DataFrame) -> pd.Series:
    """Household-weighted coverage per group of leaf rows; area-weighted where a group has no households."""
    have = leaves[leaves["coverage"].notna()]
    if len(have) == 0:
        return pd.Series(dtype=float)
    hh = have[s.HOUSEHOLDS_N].fillna(0.0)
    by_hh = (have["coverage"] * hh).groupby(have["group"]).sum() / hh.groupby(have["group"]).sum()
    no_hh = hh.groupby(have["group"]).sum() <= 0
    if no_hh.any():
        part = have[have["group"].isin(no_hh.index[no_hh])]
        area = _leaf_area_m2(project, pd.Index(part[s.GRID_CODE])).to_numpy()
        weighted = pd.Series(part["area_share"].fillna(part["coverage"]).to_numpy() * area, index=part.index)
        by_area = weighted.groupby(part["group"]).sum() / pd.Series(area, index=part.index).groupby(
            part["group"]).sum()
        by_hh = by_hh.where(~no_hh.reindex(by_hh.index, fill_value=False), by_area.reindex(by_hh.index))
    return by_hh.astype(float)


def unit_figures(project: Project, *, scenario: str | None = None, category: str | None = DEFAULT_CATEGORY,
                 radius_m: float | None = None) -> Figures:
    """Figures of every grid, community, town and the whole place, for one scenario and coverage choice.

    Towns and communities of the layers are all listed (a unit with no grid gets zeros), in the
    layers' order; the ``city`` frame has one row indexed by ``place_code`` (or ``city``).
    """
    scenario = scenario or project.active_scenario
    radius = coverage_radius(project, radius_m)
    served = served_items(project)
    points = service_point_grids(project)
    grids = grid_figures(project, scenario=scenario, category=category, radius_m=radius, served=served, points=points)
    by_level: dict[str, pd.DataFrame] = {GRID: grids}
    for level, layer, column in ((COMMUNITY, s.COMMUNITIES, s.COMMUNITY_CODE), (TOWN, s.TOWNS, s.TOWN_CODE)):
        units = project.layer(layer)
        codes = units[s.CODE].astype(str).tolist() if s.CODE in units.columns else []
        members = pd.DataFrame({"group": grids[column].to_numpy(), s.GRID_CODE: grids.index.to_numpy()}).dropna()
        frame = group_figures(project, grids, members, scenario=scenario, served=served, points=points).reindex(codes)
        counts = [c for c in frame.columns if c not in ("households", "staffing", "coverage")]
        frame[counts] = frame[counts].fillna(0).astype(int)
        frame["households"] = frame["households"].where(frame["grids"] > 0, 0.0)  # a unit with no grid has none
        frame.index.name = s.CODE
        by_level[level] = frame
    city_code = place_code(project) or CITY
    members = pd.DataFrame({"group": city_code, s.GRID_CODE: grids.index.to_numpy()})
    city = group_figures(project, grids, members, scenario=scenario, served=served, points=points).reindex(
        [city_code])
    city.index.name = s.CODE
    by_level[CITY] = city
    return Figures(by_level, scenario=scenario, category=category, radius_m=radius)


def descendant_figures(project: Project, grids: pd.DataFrame, codes: list[str], *,
                       scenario: str | None = None) -> pd.DataFrame:
    """Figures of grids ``codes`` each rolled up with every grid below it (a general grid and its micro-grids)."""
    below = grid_descendants(grids)
    members = pd.DataFrame([(c, d) for c in codes for d in below.get(c, [])], columns=["group", s.GRID_CODE])
    return group_figures(project, grids, members, scenario=scenario).reindex(codes)


def reach_by_category(project: Project, grid_codes: list[str], *, radius_m: float | None) -> pd.DataFrame:
    """Coverage of one group of grids for every service category: ``category, share`` (the same rule)."""
    tree = households_tree(project)
    leaves = tree.loc[[c for c in grid_codes if c in tree.index]]
    leaves = leaves[leaves["is_leaf"].astype(bool)]
    radius = coverage_radius(project, radius_m)
    rows = []
    for category in s.CATEGORIES:
        shares = grid_shares(project, category=category, radius_m=radius).reindex(leaves.index)
        frame = pd.DataFrame({"group": "unit", s.GRID_CODE: leaves.index, s.HOUSEHOLDS_N: leaves[s.HOUSEHOLDS_N],
                              "coverage": shares["coverage"], "area_share": shares["area_share"]})
        share = _coverage(project, frame)
        rows.append({s.CATEGORY: category, "share": float(share.get("unit", np.nan))})
    return pd.DataFrame(rows, columns=[s.CATEGORY, "share"])


def coverage_rollup(project: Project) -> pd.DataFrame:
    """Coverage of every community, town and the whole place, for every category and radius measured.

    Columns: ``level`` (community/town/city), ``unit_code``, ``category``, ``radius_m``,
    ``households`` (leaf grids) and ``coverage`` (the rule in the module docstring).
    """
    cols = ["level", "unit_code", s.CATEGORY, "radius_m", "households", "coverage"]
    cov = project.table(s.COVERAGE)
    if len(cov) == 0 or s.CATEGORY not in cov.columns:
        return pd.DataFrame(columns=cols)
    tree = households_tree(project)
    leaves = tree[tree["is_leaf"].astype(bool)]
    city = place_code(project) or CITY
    groups = [(COMMUNITY, leaves[s.COMMUNITY_CODE]), (TOWN, leaves[s.TOWN_CODE]),
              (CITY, pd.Series(city, index=leaves.index))]
    radii = sorted({float(r) for r in pd.to_numeric(cov["radius_m"], errors="coerce").dropna()})
    frames = []
    for category in sorted({str(c) for c in cov[s.CATEGORY].dropna()}):
        for radius in radii:
            shares = grid_shares(project, category=category, radius_m=radius).reindex(leaves.index)
            for level, key in groups:
                frame = pd.DataFrame({"group": key.to_numpy(), s.GRID_CODE: leaves.index,
                                      s.HOUSEHOLDS_N: leaves[s.HOUSEHOLDS_N].to_numpy(),
                                      "coverage": shares["coverage"].to_numpy(),
                                      "area_share": shares["area_share"].to_numpy()}).dropna(subset=["group"])
                share = _coverage(project, frame)
                hh = frame.groupby("group")[s.HOUSEHOLDS_N].sum()
                frames.append(pd.DataFrame({"level": level, "unit_code": hh.index.astype(str), s.CATEGORY: category,
                                            "radius_m": radius, "households": hh.to_numpy(),
                                            "coverage": share.reindex(hh.index).to_numpy(dtype=float)}))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def kind_figures(project: Project, figures: Figures, grid_codes: list[str] | None = None) -> pd.DataFrame:
    """Figures per unit kind (index ``geo.unitkinds.KIND_ROWS``) of the micro-grids (of ``grid_codes`` if given).

    ``group_figures`` over the micro-grids of each kind (``geo.unitkinds.kind_members``):
    households, grids, staffing, coverage, people, points and the served counts.
    """
    members = kind_members(project)
    if grid_codes is not None:
        members = members[members[s.GRID_CODE].isin(set(map(str, grid_codes)))]
    out = group_figures(project, figures.get(GRID), members, scenario=figures.scenario).reindex(list(KIND_ROWS))
    counts = [c for c in out.columns if c not in ("households", "staffing", "coverage")]
    out[counts] = out[counts].fillna(0).astype(int)
    out.index.name = s.KIND
    return out
