"""Data for printed pages: units and their children with measures, rosters (masked), notice boards.

Pure data preparation (no plotting): ``layers/print.py`` and ``layers/atlas.py`` draw what
this module returns. Every frame returned here is in the metric CRS (EPSG:32648), so
the page can draw a scale bar in metres.

Measures per unit (households, staffing, coverage) are ``geo.rollup``'s, the same figures as
the app and the exports; which units a page shows is ``geo.hierarchy``'s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.privacy import has_consent, mask_name, mask_phone, notice_phone
from geo.noticeboard import boundary_description, notice_chain, qr_modules, qr_payload
from geo.hierarchy import grid_tree, place_label, unit_children_codes, unit_grid_codes
from geo.project import Project
from geo.rollup import (
    BUILDING_FIGURES,
    DEFAULT_CATEGORY, SERVED_COLUMNS, Figures, coverage_radius, descendant_figures, households_tree,
    reach_by_category, unit_figures,
)
from geo.values import is_true

CITY = "city"
TOWN = "town"
COMMUNITY = "community"
ATLAS_LEVELS = (TOWN, COMMUNITY, "grid")
STAT_COLUMNS = ("households", "target", "actual", "filled", "staffing", "coverage", "grids")
GOVERNANCE_COLUMNS = (*SERVED_COLUMNS, "org_gaps", *BUILDING_FIGURES)  # the unit's governance counts (geo.rollup), one printed line
GRID_LEVEL = "grid"


@dataclass(frozen=True)
class Unit:
    """One mappable unit: the city, a town, a community or a grid.

    ``level`` is ``city``, ``town``, ``community`` or a grid level (``general``, ``micro``...);
    ``geometry`` is in the metric CRS (EPSG:32648).
    """

    level: str
    code: str
    name: str
    geometry: Any
    parent_level: str | None = None
    parent_code: str | None = None
    illustrative: bool = False

    @property
    def is_grid(self) -> bool:
        """True for grids of any level."""
        return self.level not in (CITY, TOWN, COMMUNITY)


@dataclass
class MapPageData:
    """Everything one map page shows, in the metric CRS (EPSG:32648).

    ``children`` has ``code``, ``name``, ``level``, ``geometry``, the ``STAT_COLUMNS`` and
    ``value`` (the chosen measure). ``context`` holds the parent's children for the inset
    (column ``highlight`` marks the unit). ``table`` is an optional page table whose columns
    are catalogue keys ``print.col.<name>``.
    """

    unit: Unit
    children: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    measure: str
    category: str | None = None
    radius_m: int | None = None
    context: gpd.GeoDataFrame | None = None
    households: gpd.GeoDataFrame | None = None
    table: pd.DataFrame | None = None
    illustrative: bool = False
    parent_name: str | None = None
    notes: list[str] = field(default_factory=list)  # catalogue keys of remarks (e.g. no coverage table)
    projects: gpd.GeoDataFrame | None = None  # governance projects serving the unit (points, EPSG:32648)
    governance: pd.Series | None = None  # the unit's GOVERNANCE_COLUMNS from geo.rollup


# --- units ---------------------------------------------------------------------------

def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None and len(gdf) == 0:
        return gdf.set_crs(s.METRIC_CRS)
    return to_metric_crs(gdf)


def _any_true(series: pd.Series | None) -> bool:
    return series is not None and bool(series.map(is_true).any())


def city_name(project: Project, lang: str = "zh") -> str:
    """The project's own place name (``geo.hierarchy.place_label``), never a constant."""
    return place_label(project, lang)


def city_unit(project: Project) -> Unit:
    """The whole city: the union of the towns (or of the communities, or the grids)."""
    for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        gdf = project.layer(layer)
        if len(gdf):
            metric = _metric(gdf)
            geom = shapely.union_all(shapely.make_valid(metric.geometry.values))
            return Unit(CITY, CITY, city_name(project), geom,
                        illustrative=_any_true(gdf.get(s.ILLUSTRATIVE)))
    msg = "project has no towns, communities or grids to print"
    raise GeoInputError(msg, code="print.empty_project")


def _row_unit(row: pd.Series, level: str, parent_level: str | None, parent_code: str | None) -> Unit:
    return Unit(level, str(row[s.CODE]), str(row[s.NAME]), row.geometry, parent_level,
                parent_code, is_true(row.get(s.ILLUSTRATIVE)))


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text or None


def find_unit(project: Project, code: str) -> Unit:
    """The unit with ``code`` (``city`` for the whole city), geometry in EPSG:32648.

    Raises
    ------
    GeoInputError
        Code ``print.unknown_unit`` when no town, community or grid has that code.
    """
    code = str(code).strip()
    if code.lower() == CITY:
        return city_unit(project)
    for layer, level in ((s.TOWNS, TOWN), (s.COMMUNITIES, COMMUNITY), (s.GRIDS, None)):
        gdf = project.layer(layer)
        if s.CODE not in gdf.columns:
            continue
        hit = gdf[gdf[s.CODE].astype(str) == code]
        if len(hit) == 0:
            continue
        row = _metric(hit).iloc[0]
        if level == TOWN:
            return _row_unit(row, TOWN, CITY, CITY)
        if level == COMMUNITY:
            return _row_unit(row, COMMUNITY, TOWN, _text(row.get(s.TOWN_CODE)))
        tree = grid_tree(project)
        parent = _text(tree.at[code, s.PARENT_CODE]) or _text(tree.at[code, s.COMMUNITY_CODE])
        parent_level = str(tree.at[parent, s.LEVEL]) if parent in tree.index else COMMUNITY
        return _row_unit(row, str(row.get(s.LEVEL) or s.LEVEL_GENERAL), parent_level, parent)
    msg = f"no town, community or grid has code {code!r}"
    raise GeoInputError(msg, code="print.unknown_unit", unit=code)


def atlas_units(project: Project, level: str, *, town: str | None = None,
                community: str | None = None) -> list[Unit]:
    """The units of an atlas, ordered by code: every ``town``, ``community`` or ``grid`` (general).

    ``town``/``community`` restrict the pages to one parent's units.

    Raises
    ------
    GeoInputError
        Code ``print.unknown_level`` for another level, ``print.unknown_unit`` when the
        filter matches nothing.
    """
    if level not in ATLAS_LEVELS:
        msg = f"unknown atlas level {level!r}"
        raise GeoInputError(msg, code="print.unknown_level", level=level, choices=", ".join(ATLAS_LEVELS))
    layer = {TOWN: s.TOWNS, COMMUNITY: s.COMMUNITIES, "grid": s.GRIDS}[level]
    gdf = project.layer(layer)
    if level == "grid" and len(gdf):
        tree = grid_tree(project).reindex(gdf[s.CODE].astype(str).to_numpy())
        top = tree[s.LEVEL].isin([s.LEVEL_GENERAL, s.LEVEL_DEDICATED]).to_numpy()
        for col, value in ((s.TOWN_CODE, town), (s.COMMUNITY_CODE, community)):
            if value is not None:
                top &= (tree[col] == str(value)).to_numpy()
        gdf = gdf[top]
    elif level == COMMUNITY and town is not None:
        gdf = gdf[gdf[s.TOWN_CODE].astype(str) == str(town)] if s.TOWN_CODE in gdf.columns else gdf.iloc[0:0]
    elif level == TOWN and town is not None:
        gdf = gdf[gdf[s.CODE].astype(str) == str(town)]
    if len(gdf) == 0:
        msg = f"no {level} units for town={town!r} community={community!r}"
        raise GeoInputError(msg, code="print.unknown_unit", unit=str(town or community or level))
    gdf = gdf.sort_values(s.CODE, key=lambda c: c.astype(str))
    return [find_unit(project, str(c)) for c in gdf[s.CODE]]


_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–~]\s*(\d+))?\s*$")


def parse_page_selection(spec: str | None, n_pages: int) -> list[int]:
    """Page numbers (1-based, sorted, unique) from ``"3,5,7-10"``; ``None``/``""`` means all.

    Raises
    ------
    GeoInputError
        Code ``print.bad_pages`` for unreadable parts or pages outside ``1..n_pages``.
    """
    if spec is None or not str(spec).strip():
        return list(range(1, n_pages + 1))
    pages: set[int] = set()
    for part in re.split(r"[,，、\s]+", str(spec).strip()):
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            msg = f"cannot read page selection part {part!r}"
            raise GeoInputError(msg, code="print.bad_pages", part=part, pages=str(spec), n=n_pages)
        lo = int(match.group(1))
        hi = int(match.group(2) or lo)
        if lo < 1 or hi > n_pages or hi < lo:
            msg = f"page range {part!r} is outside 1..{n_pages}"
            raise GeoInputError(msg, code="print.bad_pages", part=part, pages=str(spec), n=n_pages)
        pages.update(range(lo, hi + 1))
    return sorted(pages)


# --- figures of the units on a page ------------------------------------------------------------

def page_figures(project: Project, *, category: str | None = None, radius_m: int | None = None) -> Figures:
    """The figures every page of a print reads (``geo.rollup.unit_figures``; atlases compute them once)."""
    return unit_figures(project, category=category or DEFAULT_CATEGORY, radius_m=radius_m)


def _children(project: Project, unit: Unit) -> tuple[str, list[str]]:
    level = GRID_LEVEL if unit.is_grid else unit.level
    return unit_children_codes(project, grid_tree(project), level=level, code=None if unit.level == CITY else unit.code)


def unit_children(project: Project, unit: Unit, *, measure: str, category: str | None = None,
                  radius_m: int | None = None, figures: Figures | None = None) -> gpd.GeoDataFrame:
    """The unit's children (EPSG:32648) with ``STAT_COLUMNS`` and ``value`` = the chosen measure.

    City → towns, town → communities, community → its top grids (general, dedicated, or
    micro-grids directly under it), grid → its child grids; a grid with no child grid is its own
    only child (so a map still shows it). Grid children are rolled up with the grids below them.
    """
    figures = page_figures(project, category=category, radius_m=radius_m) if figures is None else figures
    child_level, codes = _children(project, unit)
    if unit.is_grid and not codes:
        codes = [unit.code]
    layer = {TOWN: s.TOWNS, COMMUNITY: s.COMMUNITIES}.get(child_level, s.GRIDS)
    gdf = project.layer(layer)
    kids = gdf[gdf[s.CODE].astype(str).isin(set(codes))] if s.CODE in gdf.columns else gdf.iloc[0:0]
    if child_level in (TOWN, COMMUNITY):
        stats = figures.get(child_level).reindex(kids[s.CODE].astype(str).to_numpy())
    else:
        stats = descendant_figures(project, figures.get(GRID_LEVEL), kids[s.CODE].astype(str).tolist(),
                                   scenario=figures.scenario)
    out = _metric(kids[[c for c in (s.CODE, s.NAME, s.LEVEL, s.KIND, s.ILLUSTRATIVE) if c in kids.columns]
                       + [kids.geometry.name]].copy())
    out[s.CODE] = out[s.CODE].astype(str)
    for col in (*STAT_COLUMNS, *GOVERNANCE_COLUMNS):
        out[col] = stats[col].to_numpy(dtype=float) if len(stats) else pd.Series(dtype=float)
    out["value"] = out[measure] if measure in STAT_COLUMNS else np.nan
    return out.reset_index(drop=True)


def context_frame(project: Project, unit: Unit) -> gpd.GeoDataFrame | None:
    """The unit's siblings inside its parent, for the inset overview (``highlight`` marks the unit)."""
    if unit.level == CITY or unit.parent_code is None:
        return None
    try:
        parent = find_unit(project, unit.parent_code)
    except GeoInputError:
        return None
    child_level, codes = _children(project, parent)
    gdf = project.layer({TOWN: s.TOWNS, COMMUNITY: s.COMMUNITIES}.get(child_level, s.GRIDS))
    kids = gdf[gdf[s.CODE].astype(str).isin(set(codes))] if s.CODE in gdf.columns else gdf.iloc[0:0]
    if len(kids) == 0:
        return None
    out = _metric(kids[[s.CODE, kids.geometry.name]].copy())
    out[s.CODE] = out[s.CODE].astype(str)
    out["highlight"] = out[s.CODE] == unit.code
    return out.reset_index(drop=True)


def points_near(project: Project, geom: Any, *, buffer_m: float = 0.0) -> gpd.GeoDataFrame:
    """Service points (EPSG:32648) within ``buffer_m`` metres of ``geom`` (metric), with ``distance_m``."""
    pts = project.layer(s.SERVICE_POINTS)
    if len(pts) == 0:
        return _metric(pts).assign(distance_m=pd.Series(dtype=float))
    metric = _metric(pts)
    dist = shapely.distance(metric.geometry.values, geom)
    out = metric[dist <= buffer_m].copy()
    out["distance_m"] = dist[dist <= buffer_m]
    return out.sort_values("distance_m", kind="stable")


def households_in(project: Project, geom: Any) -> gpd.GeoDataFrame | None:
    """Household/building points (EPSG:32648) covered by ``geom`` (metric); ``None`` without the layer."""
    hh = project.layer(s.HOUSEHOLDS)
    if len(hh) == 0:
        return None
    metric = _metric(hh)
    return metric[shapely.covered_by(metric.geometry.values, geom)]


def projects_in(project: Project, unit: Unit) -> gpd.GeoDataFrame:
    """Governance projects serving any grid of ``unit`` as points (EPSG:32648): name, kind, status."""
    layer = project.layer(s.GOV_PROJECTS)
    if len(layer) == 0 or s.GRID_CODES not in layer:
        return _metric(layer.iloc[0:0])
    level = GRID_LEVEL if unit.is_grid else unit.level
    wanted = set(unit_grid_codes(grid_tree(project), level=level, code=None if unit.level == CITY else unit.code))
    hit = layer[s.GRID_CODES].fillna("").astype(str).str.split(";").map(lambda codes: bool(wanted & set(codes)))
    part = layer[hit.to_numpy(dtype=bool)]
    cols = [c for c in (s.PROJECT_ID, s.NAME, s.KIND, s.STATUS) if c in part]
    metric = _metric(part[[*cols, part.geometry.name]])
    return metric.set_geometry(metric.geometry.representative_point())


def unit_governance(project: Project, unit: Unit, figures: Figures) -> pd.Series:
    """The unit's governance counts (``GOVERNANCE_COLUMNS``) from ``geo.rollup``: the one roll-up rule."""
    if unit.is_grid:
        row = descendant_figures(project, figures.get(GRID_LEVEL), [unit.code], scenario=figures.scenario).iloc[0]
    else:
        row = figures.unit(unit.level, unit.code)
    return row.reindex(list(GOVERNANCE_COLUMNS))


def map_page_data(project: Project, unit: Unit | str, *, measure: str = "staffing",
                  category: str | None = None, radius_m: int | None = None,
                  with_table: bool = False, figures: Figures | None = None,
                  mask_names: bool = False) -> MapPageData:
    """Collect one map page: children with the measure, service points, inset context, table.

    Parameters
    ----------
    unit
        A :class:`Unit` or a code (``city`` for the whole city).
    measure
        ``staffing``, ``households`` or ``coverage`` (then ``category`` is a service category).
    radius_m
        Coverage radius in metres (default: 500 m or the nearest radius stored).
    with_table
        Add the page table: the children's measures, or for a grid its roster (phones masked).
    figures
        Precomputed ``page_figures`` (atlases compute them once).
    """
    if isinstance(unit, str):
        unit = find_unit(project, unit)
    if measure == "coverage" and category is None:
        category = "生活"
    figures = page_figures(project, category=category, radius_m=radius_m) if figures is None else figures
    children = unit_children(project, unit, measure=measure, category=category, radius_m=radius_m, figures=figures)
    points = points_near(project, unit.geometry, buffer_m=0.0)
    notes = []
    if measure == "coverage" and len(project.table(s.COVERAGE)) == 0:
        notes.append("print.note.no_coverage")
    if measure == "staffing" and len(project.table(s.ASSIGNMENTS)) == 0:
        notes.append("print.note.no_assignments")
    table = None
    if with_table:
        table = roster_table(project, unit, mask_names=mask_names) if unit.is_grid else children_table(children)
    illustrative = unit.illustrative or _any_true(children.get(s.ILLUSTRATIVE)) or _any_true(points.get(s.ILLUSTRATIVE))
    parent_name = None
    if unit.parent_code is not None:
        try:
            parent_name = find_unit(project, unit.parent_code).name
        except GeoInputError:
            parent_name = None
    households = households_in(project, unit.geometry) if unit.is_grid else None
    return MapPageData(unit=unit, children=children, points=points, measure=measure, category=category,
                       radius_m=_radius(project, radius_m) if measure == "coverage" else None,
                       context=context_frame(project, unit), households=households, table=table,
                       illustrative=illustrative, parent_name=parent_name, notes=notes,
                       projects=projects_in(project, unit), governance=unit_governance(project, unit, figures))


def _radius(project: Project, radius_m: int | None) -> int | None:
    radius = coverage_radius(project, radius_m)
    return None if radius is None else int(radius)


# --- tables ------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x * 100:.0f}%"


def _int(x: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:,.0f}"


def children_table(children: pd.DataFrame) -> pd.DataFrame:
    """Display table of a page's children; columns are catalogue keys ``print.col.<name>``."""
    return pd.DataFrame({
        "print.col.code": children[s.CODE].astype(str).to_numpy(),
        "print.col.name": children[s.NAME].astype(str).to_numpy(),
        "print.col.households": [_int(v) for v in children["households"]],
        "print.col.staff": [f"{_int(a)}/{_int(t)}" for a, t in zip(children["filled"], children["target"])],
        "print.col.staffing": [_pct(v) for v in children["staffing"]],
        "print.col.coverage": [_pct(v) for v in children["coverage"]],
    })


def people_of(project: Project, grid_codes: list[str], *, mask_names: bool = False,
              for_notice: bool = False) -> pd.DataFrame:
    """Assigned people of ``grid_codes``: grid code, role, name, masked phone.

    Phones are always masked, except ``for_notice``: a notice board shows each person's work
    phone in full when they consented (``geo.privacy.notice_phone``).
    """
    rows = project.assignments()
    vols = project.layer(s.VOLUNTEERS)
    if len(rows) == 0 or len(vols) == 0:
        return pd.DataFrame(columns=[s.GRID_CODE, s.ROLE, s.NAME, s.PHONE])
    rows = rows[rows[s.GRID_CODE].astype(str).isin(grid_codes)]
    info = pd.DataFrame(vols.drop(columns=vols.geometry.name))
    info[s.VOLUNTEER_ID] = info[s.VOLUNTEER_ID].astype(str)
    merged = rows.assign(**{s.VOLUNTEER_ID: rows[s.VOLUNTEER_ID].astype(str)}).merge(
        info[[s.VOLUNTEER_ID, s.NAME] + [c for c in (s.PHONE, s.WORK_PHONE, s.PHONE_CONSENT) if c in info.columns]],
        on=s.VOLUNTEER_ID, how="left")
    role_order = {r: i for i, r in enumerate(("worker", "leader", "member"))}
    merged["_order"] = merged[s.ROLE].map(lambda r: role_order.get(str(r), 9))
    merged = merged.sort_values([s.GRID_CODE, "_order", s.VOLUNTEER_ID], kind="stable")
    return pd.DataFrame({
        s.GRID_CODE: merged[s.GRID_CODE].astype(str).to_numpy(),
        s.ROLE: merged[s.ROLE].astype(str).to_numpy(),
        s.NAME: [mask_name(n) if mask_names else ("" if n is None else str(n)) for n in merged[s.NAME]],
        s.PHONE: _notice_phones(merged) if for_notice else [
            mask_phone(p) for p in merged.get(s.PHONE, pd.Series([None] * len(merged)))],
    })


def _notice_phones(people: pd.DataFrame) -> list[str]:
    """Work phone (else phone) in full where the person consented, masked otherwise."""
    blank = pd.Series([None] * len(people), index=people.index)
    phone = people.get(s.PHONE, blank)
    work = people.get(s.WORK_PHONE, blank)
    work = work.where(work.notna() & (work.astype(str) != ""), phone)
    return [notice_phone(p, consented=has_consent(c)) if p is not None and not pd.isna(p) else ""
            for p, c in zip(work, people.get(s.PHONE_CONSENT, blank))]


def roster_table(project: Project, unit: Unit, *, mask_names: bool = False) -> pd.DataFrame:
    """The roster of a grid and its child grids (phones masked); columns are ``print.col.*`` keys."""
    grids = project.layer(s.GRIDS)
    codes = unit_grid_codes(grid_tree(project), level=GRID_LEVEL, code=unit.code)
    names = dict(zip(grids[s.CODE].astype(str), grids[s.NAME].astype(str))) if len(grids) else {}
    people = people_of(project, codes, mask_names=mask_names)
    return pd.DataFrame({
        "print.col.grid": [names.get(c, c) for c in people[s.GRID_CODE]],
        "print.col.role": [f"role.{r}" for r in people[s.ROLE]],  # translated when drawn
        "print.col.person": people[s.NAME].to_numpy(),
        "print.col.phone": people[s.PHONE].to_numpy(),
    })


# --- notice board ---------------------------------------------------------------------------

@dataclass
class NoticeData:
    """A micro-grid notice board (公示牌); geometries in EPSG:32648; work phones in full only with consent."""

    unit: Unit
    grid: gpd.GeoDataFrame
    households: gpd.GeoDataFrame | None
    points: gpd.GeoDataFrame
    leaders: pd.DataFrame
    members: pd.DataFrame
    workers: pd.DataFrame
    reach_m: float
    households_n: float
    parent_name: str | None = None
    community_name: str | None = None
    town_name: str | None = None
    illustrative: bool = False
    neighbours: gpd.GeoDataFrame | None = None  # grids of the same level around it, for context
    boundary: dict[str, list[str]] = field(default_factory=dict)  # 四至: side -> names (geo.noticeboard)
    chain: pd.DataFrame | None = None  # escalation chain, phones as the board shows them
    supervision_phone: str = ""  # setting ``supervision_phone``
    qr_payload: str = ""  # what the QR code encodes
    qr: np.ndarray | None = None  # the QR module matrix (True = dark)
    reach: pd.DataFrame | None = None  # share of the grid within reach per category (geo.rollup.reach_by_category)
    reach_radius_m: float | None = None  # the radius of ``reach`` (geo.rollup.coverage_radius)


NOTICE_CONTEXT_M = 300.0  # neighbouring grids within this distance are drawn on a notice board


def notice_data(project: Project, grid_code: str, *, reach_m: float | None = None,
                mask_names: bool = False) -> NoticeData:
    """Collect a notice board for one (micro-)grid.

    ``reach_m`` (metres, default the largest of ``settings["radii_m"]``) selects the service
    points within that distance of the grid. The general grid worker is the ``worker`` of
    the grid's parent grid (or of the grid itself).

    Raises
    ------
    GeoInputError
        ``print.unknown_unit`` when ``grid_code`` is not a grid.
    """
    unit = find_unit(project, grid_code)
    if not unit.is_grid:
        msg = f"{grid_code!r} is a {unit.level}, not a grid"
        raise GeoInputError(msg, code="print.not_a_grid", unit=str(grid_code))
    reach = float(reach_m if reach_m is not None else max(project.settings.get("radii_m") or [1000]))
    grids = project.layer(s.GRIDS)
    row = grids[grids[s.CODE].astype(str) == unit.code]
    people = people_of(project, [unit.code] + ([unit.parent_code] if unit.parent_code else []),
                       mask_names=mask_names, for_notice=True)
    chain = notice_chain(project, unit.code, mask_names=mask_names)
    payload = qr_payload(project, unit.code, unit.name, chain)
    own = people[people[s.GRID_CODE] == unit.code]
    workers = people[(people[s.ROLE] == "worker")]
    hh = households_in(project, unit.geometry)
    hh_n = households_tree(project)[s.HOUSEHOLDS_N].get(unit.code, np.nan)  # its own count, else its buildings'
    names = _names(project)
    tree = grid_tree(project)
    return NoticeData(
        unit=unit, grid=_metric(row), households=hh, points=points_near(project, unit.geometry, buffer_m=reach),
        leaders=own[own[s.ROLE] == "leader"], members=own[own[s.ROLE] == "member"], workers=workers,
        reach_m=reach, households_n=float(hh_n),
        parent_name=names.get(unit.parent_code or ""),
        community_name=names.get(_text(tree.at[unit.code, s.COMMUNITY_CODE]) or ""),
        town_name=names.get(_text(tree.at[unit.code, s.TOWN_CODE]) or ""),
        illustrative=unit.illustrative,
        neighbours=_neighbours(grids, row, unit.geometry),
        boundary=boundary_description(project, unit.code), chain=chain,
        supervision_phone=str(project.settings.get("supervision_phone") or ""),
        qr_payload=payload, qr=qr_modules(payload),
        reach=reach_by_category(project, [unit.code], radius_m=None) if len(project.table(s.COVERAGE)) else None,
        reach_radius_m=coverage_radius(project, None),
    )


def _neighbours(grids: gpd.GeoDataFrame, row: gpd.GeoDataFrame, geom: Any) -> gpd.GeoDataFrame:
    """Grids of the same level as ``row`` within ``NOTICE_CONTEXT_M`` of ``geom`` (metric), itself excluded."""
    same = grids[(grids[s.LEVEL] == row[s.LEVEL].iloc[0]) & (grids[s.CODE].astype(str) != str(row[s.CODE].iloc[0]))]
    metric = _metric(same)
    return metric[shapely.dwithin(metric.geometry.values, geom, NOTICE_CONTEXT_M)]


def _names(project: Project) -> dict[str, str]:
    out: dict[str, str] = {}
    for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        gdf = project.layer(layer)
        if len(gdf) and s.CODE in gdf.columns:
            out.update(zip(gdf[s.CODE].astype(str), gdf[s.NAME].astype(str)))
    return out


