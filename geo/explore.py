"""Exploring the plan level by level: the selection, its parent chain, what its map view holds, clicks and search.

Per-unit figures come from ``geo.rollup`` and the tree from ``geo.hierarchy``; this module only
decides what one drill-down position shows.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

import shapely

from geo import schema as s
from geo.buildings import building_roster
from geo.escalation import escalation_chain
from geo.govprojects import project_rows
from geo.hierarchy import grid_tree, place_label
from geo.hierarchy import unit_grid_codes as tree_unit_grids
from geo.organisations import find_grids_without_management, organisation_rows
from geo.privacy import mask_phone
from geo.project import Project
from geo.rollup import CITY, COMMUNITY, GRID, TOWN, Figures, descendant_figures, reach_by_category
from geo.selfgov import selfgov_rows

METRICS = ("none", "coverage", "staffing", "households")


@dataclass(frozen=True)
class Selection:
    """The drill-down position: codes of the selected town, community and grid (None above)."""

    town: str | None = None
    community: str | None = None
    grid: str | None = None

    @property
    def level(self) -> str:
        """The deepest selected level (``city`` when nothing is selected)."""
        if self.grid:
            return GRID
        if self.community:
            return COMMUNITY
        if self.town:
            return TOWN
        return CITY

    @property
    def view(self) -> str:
        """Which map view shows this selection (a grid is shown in its community's view)."""
        return COMMUNITY if self.level == GRID else self.level


def parent_chain(project: Project, selection: Selection, *, lang: str = "zh") -> list[tuple[str, str | None, str]]:
    """``[(level, code, name), ...]`` from the whole place (code None, ``place_label``) down to the selection."""
    chain: list[tuple[str, str | None, str]] = [(CITY, None, place_label(project, lang))]
    for level, code, layer in ((TOWN, selection.town, s.TOWNS), (COMMUNITY, selection.community, s.COMMUNITIES),
                               (GRID, selection.grid, s.GRIDS)):
        if code:
            chain.append((level, code, unit_name(project, layer, code)))
    return chain


def unit_name(project: Project, layer: str, code: str) -> str:
    """The name of feature ``code`` in ``layer`` (the code itself when missing)."""
    gdf = project.layer(layer)
    if s.CODE not in gdf or s.NAME not in gdf:
        return str(code)
    hit = gdf.loc[gdf[s.CODE].astype(str) == str(code), s.NAME]
    return str(hit.iloc[0]) if len(hit) else str(code)


def unit_names(project: Project, layer: str) -> dict[str, str]:
    """``{code: name}`` of every feature of ``layer`` (empty when the layer has no codes or names)."""
    gdf = project.layer(layer)
    if s.CODE not in gdf or s.NAME not in gdf:
        return {}
    return dict(zip(gdf[s.CODE].astype(str), gdf[s.NAME].astype(str)))


def selection_for(project: Project, level: str, code: str) -> Selection:
    """The full selection (with parents) that points at unit ``code`` of ``level``."""
    if level == TOWN:
        return Selection(town=code)
    if level == COMMUNITY:
        row = _row(project.layer(s.COMMUNITIES), code)
        return Selection(town=_text(row, s.TOWN_CODE), community=code)
    if level == GRID:
        tree = grid_tree(project)
        if code not in tree.index:
            return Selection()
        return Selection(town=tree.at[code, s.TOWN_CODE], community=tree.at[code, s.COMMUNITY_CODE], grid=code)
    return Selection()


def _row(gdf: gpd.GeoDataFrame, code: str) -> pd.Series | None:
    if s.CODE not in gdf:
        return None
    hit = gdf[gdf[s.CODE].astype(str) == str(code)]
    return hit.iloc[0] if len(hit) else None


def _text(row: pd.Series | None, column: str) -> str | None:
    if row is None or column not in row or row[column] is None or pd.isna(row[column]):
        return None
    return str(row[column])


def view_units(project: Project, selection: Selection) -> dict[str, gpd.GeoDataFrame]:
    """The features a view sends to the browser, keyed by role.

    One level per view (level of detail, issue 14): city view: the ``towns``; town view:
    the town's ``outline`` + ``communities``; community view: its ``outline`` + ``grids`` +
    ``volunteers`` + ``service_points`` + ``gov_projects`` (those serving its grids). Each
    frame keeps the layer's index and columns.
    """
    view = selection.view
    towns, communities = project.layer(s.TOWNS), project.layer(s.COMMUNITIES)
    if view == CITY:
        return {"towns": towns}
    if view == TOWN:
        return {"outline": _by_code(towns, selection.town),
                "communities": _by_parent(communities, s.TOWN_CODE, selection.town)}
    comm_grids = _grids_in(project, COMMUNITY, selection.community)
    return {"outline": _by_code(communities, selection.community), "grids": comm_grids,
            "volunteers": _points_in(project.layer(s.VOLUNTEERS), selection.community, comm_grids),
            "service_points": _points_in(project.layer(s.SERVICE_POINTS), selection.community, comm_grids),
            "gov_projects": _projects_of(project, comm_grids)}


def _projects_of(project: Project, grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Governance projects serving any of ``grids`` (``grid_codes``), with their geometry."""
    layer = project.layer(s.GOV_PROJECTS)
    if len(layer) == 0 or s.GRID_CODES not in layer or s.CODE not in grids:
        return layer.iloc[0:0]
    wanted = set(grids[s.CODE].astype(str))
    hit = layer[s.GRID_CODES].fillna("").astype(str).str.split(";").map(lambda codes: bool(wanted & set(codes)))
    return layer[hit.to_numpy(dtype=bool)]


def _by_code(gdf: gpd.GeoDataFrame, code: str | None) -> gpd.GeoDataFrame:
    if s.CODE not in gdf:
        return gdf.iloc[0:0]
    return gdf[gdf[s.CODE].astype(str) == str(code)]


def _by_parent(gdf: gpd.GeoDataFrame, column: str, code: str | None) -> gpd.GeoDataFrame:
    if column not in gdf:
        return gdf.iloc[0:0]
    return gdf[gdf[column].astype(str) == str(code)]


def _grids_in(project: Project, level: str, code: str | None) -> gpd.GeoDataFrame:
    """The grids of a town or community (by the resolved tree, not the grid layer's own columns)."""
    grids = project.layer(s.GRIDS)
    if s.CODE not in grids:
        return grids.iloc[0:0]
    codes = set(tree_unit_grids(grid_tree(project), level=level, code=code))
    return grids[grids[s.CODE].astype(str).isin(codes).to_numpy()]


def _points_in(points: gpd.GeoDataFrame, community: str | None, grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points tagged with the community, or (untagged) lying inside its grids."""
    if len(points) == 0:
        return points
    tagged = points[s.COMMUNITY_CODE].astype(str) == str(community) if s.COMMUNITY_CODE in points else \
        pd.Series(False, index=points.index)
    if len(grids):
        area = grids.geometry.union_all()
        inside = points.geometry.intersects(area)
        tagged = tagged | inside
    return points[tagged.to_numpy()]


def unit_at(units: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    """The code of the smallest unit of ``units`` (WGS 84) containing lon/lat, or None."""
    if len(units) == 0 or s.CODE not in units:
        return None
    pt = shapely.Point(lon, lat)
    hits = units[units.geometry.covers(pt)]
    if len(hits) == 0:
        return None
    areas = pd.Series(shapely.area(hits.geometry.values), index=hits.index)  # degrees²: only to rank nested grids
    return str(hits.loc[areas.idxmin(), s.CODE])


def search_units(project: Project, query: str, *, limit: int = 20) -> list[tuple[str, str, str]]:
    """``[(level, code, name), ...]`` whose name or code contains ``query`` (case-insensitive)."""
    text = query.strip().lower()
    if not text:
        return []
    found: list[tuple[str, str, str]] = []
    for level, layer in ((TOWN, s.TOWNS), (COMMUNITY, s.COMMUNITIES), (GRID, s.GRIDS)):
        gdf = project.layer(layer)
        if s.CODE not in gdf:
            continue
        codes = gdf[s.CODE].astype(str)
        names = gdf[s.NAME].astype(str) if s.NAME in gdf else codes
        hit = codes.str.lower().str.contains(text, regex=False) | names.str.lower().str.contains(text, regex=False)
        for code, name in zip(codes[hit], names[hit]):
            found.append((level, code, name))
            if len(found) >= limit:
                return found
    return found


def drill(project: Project, selection: Selection, lon: float, lat: float, *,
          grid_levels: tuple[str, ...] | None = None) -> Selection:
    """The selection after a map click at lon/lat (WGS 84) in ``selection``'s view.

    City view → the town clicked; town view → the community; community view → the
    smallest grid (of ``grid_levels``) of that community. A click on nothing keeps
    the selection.
    """
    view = selection.view
    if view == CITY:
        code = unit_at(project.layer(s.TOWNS), lon, lat)
        return Selection(town=code) if code else selection
    if view == TOWN:
        code = unit_at(_by_parent(project.layer(s.COMMUNITIES), s.TOWN_CODE, selection.town), lon, lat)
        return Selection(town=selection.town, community=code) if code else selection
    grids = _grids_in(project, COMMUNITY, selection.community)
    if grid_levels is not None and s.LEVEL in grids:
        grids = grids[grids[s.LEVEL].astype(str).isin(grid_levels)]
    code = unit_at(grids, lon, lat)
    return Selection(town=selection.town, community=selection.community, grid=code) if code else selection


def unit_grid_codes(project: Project, selection: Selection) -> list[str]:
    """Codes of the grids inside the selected unit (the grid and those below it; all at city level)."""
    level, code = ((GRID, selection.grid) if selection.grid else (COMMUNITY, selection.community)
                   if selection.community else (TOWN, selection.town) if selection.town else (CITY, None))
    return tree_unit_grids(grid_tree(project), level=level, code=code)


def unit_panel_figures(project: Project, figures: Figures, selection: Selection) -> pd.Series:
    """The figures the side panel shows for the selection: the unit's row of ``geo.rollup``.

    A grid with grids below it (a general grid) is rolled up with them, by the same rule.
    """
    if selection.grid:
        grids = figures.get(GRID)
        return descendant_figures(project, grids, [selection.grid], scenario=figures.scenario).iloc[0]
    return figures.unit(selection.level, {TOWN: selection.town, COMMUNITY: selection.community}.get(selection.level))


def staff_rows(project: Project, grid_codes: list[str], *, masked: bool = True) -> pd.DataFrame:
    """Assigned staff of ``grid_codes``: grid, role, volunteer id, name, tier and MASKED phone.

    Only the active scenario's rows are shown. ``masked=False`` (full phones) only through
    ``geo.access.revealed_staff``, which checks the role and logs the access.
    """
    table = project.assignments()
    cols = [s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID, s.NAME, s.TIER, s.PHONE]
    if len(table) == 0 or s.GRID_CODE not in table:
        return pd.DataFrame(columns=cols)
    rows = table[table[s.GRID_CODE].astype(str).isin(set(grid_codes))]
    vols = pd.DataFrame(project.layer(s.VOLUNTEERS).drop(columns="geometry", errors="ignore"))
    keep = [c for c in (s.VOLUNTEER_ID, s.NAME, s.TIER, s.PHONE) if c in vols]
    if s.VOLUNTEER_ID in vols:
        vols = vols[keep].assign(**{s.VOLUNTEER_ID: vols[s.VOLUNTEER_ID].astype(str)})
        rows = rows.assign(**{s.VOLUNTEER_ID: rows[s.VOLUNTEER_ID].astype(str)}).merge(
            vols, on=s.VOLUNTEER_ID, how="left")
    out = pd.DataFrame({c: rows[c] if c in rows else "" for c in cols}).reset_index(drop=True)
    if masked:
        out[s.PHONE] = out[s.PHONE].map(mask_phone)  # full numbers never reach the browser
    return out.sort_values([s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID]).reset_index(drop=True)


def reach_rows(project: Project, selection: Selection, *, radius_m: float) -> pd.DataFrame:
    """Service reach by category for the selected unit at ``radius_m``: ``category, share`` (0..1).

    The same roll-up rule as every other figure (``geo.rollup``); empty without a coverage table.
    """
    if len(project.table(s.COVERAGE)) == 0:
        return pd.DataFrame(columns=[s.CATEGORY, "share"])
    return reach_by_category(project, unit_grid_codes(project, selection), radius_m=radius_m)


def problem_rows(project: Project, figures: Figures, grid_codes: list[str], *,
                 category: str, radius_m: float) -> list[tuple[str, dict]]:
    """``[(catalogue key, context), ...]`` for the grids' problems: short of staff, no leader, no reach.

    In ``grid_codes`` order, each grid's problems in that order. Only the grids with a problem are
    visited (a city view asks about 140,000 grids).
    """
    fig = figures.get(GRID).reindex(grid_codes)
    short = pd.to_numeric(fig["short"], errors="coerce").fillna(0) if "short" in fig else pd.Series(0, index=fig.index)
    no_leader = fig["no_leader"].fillna(False).astype(bool) if "no_leader" in fig else pd.Series(False, index=fig.index)
    no_reach = (fig["coverage"] == 0) if "coverage" in fig else pd.Series(False, index=fig.index)
    flagged = ((short > 0) | no_leader | no_reach).to_numpy(dtype=bool)
    if not flagged.any():
        return []
    names = unit_names(project, s.GRIDS)
    out: list[tuple[str, dict]] = []
    for code, n_short, leaderless, unreached in zip(fig.index[flagged], short[flagged], no_leader[flagged],
                                                    no_reach[flagged]):
        name = names.get(str(code), str(code))
        if n_short > 0:
            out.append(("ui.panel.problem.short", {"name": name, "short": int(n_short)}))
        if leaderless:
            out.append(("ui.panel.problem.no_leader", {"name": name}))
        if unreached:
            out.append(("ui.panel.problem.no_reach", {"name": name, "radius": f"{radius_m:.0f}",
                                                      "category": category}))
    return out


def building_rows(project: Project, grid_codes: list[str]) -> pd.DataFrame:
    """Buildings of ``grid_codes`` with their heads (``geo.buildings.building_roster``); phones MASKED."""
    roster = building_roster(project, grid_codes=grid_codes)
    return roster.assign(**{s.PHONE: roster[s.PHONE].map(lambda p: mask_phone(p) if isinstance(p, str) else "")})


def chain_rows(project: Project, grid_codes: list[str]) -> pd.DataFrame:
    """The escalation chain of the leaf grids among ``grid_codes`` (``geo.escalation``), each unit and person
    once (a general grid's people are not repeated per micro-grid); phones MASKED."""
    tree = grid_tree(project)
    leaves = [c for c in grid_codes if c in tree.index and bool(tree.at[c, "is_leaf"])]
    chain = escalation_chain(project, grid_codes=leaves)
    chain = chain.drop_duplicates(["step", "unit_code", s.VOLUNTEER_ID, s.NAME, "gap"])
    work = chain[s.WORK_PHONE].where(chain[s.WORK_PHONE].notna(), chain[s.PHONE])
    return chain.drop(columns=[s.WORK_PHONE]).assign(**{
        s.PHONE: [mask_phone(p) if p is not None and not pd.isna(p) else "" for p in work]}).reset_index(drop=True)
@dataclass(frozen=True)
class GovernancePanel:
    """The governance rows of one unit for the side panel (contacts masked)."""

    organisations: pd.DataFrame  # geo.organisations.organisation_rows
    projects: pd.DataFrame  # geo.govprojects.project_rows
    selfgov: pd.DataFrame  # geo.selfgov.selfgov_rows
    org_gaps: list[str]  # codes of the unit's micro-grids with no 物业 and no 业委会/院委会
    has_organisations: bool  # an organisations table is imported (else gaps are unknown)


def governance_panel(project: Project, grid_codes: list[str]) -> GovernancePanel:
    """Organisations serving, projects in, self-governance rows covering ``grid_codes``, and their gaps."""
    wanted = set(grid_codes)
    return GovernancePanel(
        organisations=organisation_rows(project, grid_codes), projects=project_rows(project, grid_codes),
        selfgov=selfgov_rows(project, grid_codes),
        org_gaps=[c for c in find_grids_without_management(project) if c in wanted],
        has_organisations=len(project.table(s.ORGANISATIONS)) > 0)
