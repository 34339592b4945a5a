"""What the explore map and dashboard show: the selection's view, parent chain and per-unit figures (pure, no Streamlit)."""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.project import Project

CITY, TOWN, COMMUNITY, GRID = "city", "town", "community", "grid"
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


@dataclass
class UnitFigures:
    """Per-unit figures keyed by level (``grid``, ``community``, ``town``): frames indexed by code.

    Columns: ``households``, ``target``, ``actual``, ``short``, ``staffing_rate`` (0..,
    NaN without target), ``coverage`` (0..1 share for the chosen category and radius,
    NaN when coverage was not computed), ``no_leader`` (grids: bool; units: count).
    """

    by_level: dict[str, pd.DataFrame] = field(default_factory=dict)

    def get(self, level: str) -> pd.DataFrame:
        """The frame for ``level`` (empty when unknown)."""
        return self.by_level.get(level, pd.DataFrame())


def _codes(gdf: gpd.GeoDataFrame) -> pd.Series:
    return gdf[s.CODE].astype(str) if s.CODE in gdf else pd.Series([], dtype=str)


def _staffing(project: Project) -> pd.DataFrame:
    try:
        from geo.coverage import staffing_table
    except ImportError:  # coverage module not installed yet
        return pd.DataFrame(columns=list(s.STAFFING_COLUMNS))
    return staffing_table(project)


def _leaf_households(project: Project) -> pd.DataFrame:
    grids = project.layer(s.GRIDS)
    if len(grids) == 0:
        return pd.DataFrame(columns=["community", "town", "households"])
    codes = _codes(grids)
    parents = set(grids[s.PARENT_CODE].dropna().astype(str)) if s.PARENT_CODE in grids else set()
    level = grids[s.LEVEL].astype(str) if s.LEVEL in grids else pd.Series("", index=grids.index)
    leaf = ~codes.isin(parents) & (level != s.LEVEL_MASTER)
    hh = pd.to_numeric(grids.get(s.HOUSEHOLDS_N, pd.Series(0, index=grids.index)), errors="coerce").fillna(0)
    return pd.DataFrame({
        "community": grids.get(s.COMMUNITY_CODE, pd.Series(None, index=grids.index)).astype(object)[leaf],
        "town": grids.get(s.TOWN_CODE, pd.Series(None, index=grids.index)).astype(object)[leaf],
        "households": hh[leaf],
    })


def grid_figures(project: Project, *, category: str, radius_m: float) -> pd.DataFrame:
    """Figures per grid (index: grid code); see :class:`UnitFigures` for the columns."""
    grids = project.layer(s.GRIDS)
    codes = _codes(grids)
    out = pd.DataFrame(index=pd.Index(codes.to_numpy(), name=s.CODE))
    hh = pd.to_numeric(grids.get(s.HOUSEHOLDS_N, pd.Series(np.nan, index=grids.index)), errors="coerce")
    out["households"] = hh.to_numpy(dtype=float)
    staff = _staffing(project)
    if len(staff):
        staff = staff.assign(**{s.GRID_CODE: staff[s.GRID_CODE].astype(str)}).drop_duplicates(s.GRID_CODE)
        staff = staff.set_index(s.GRID_CODE).reindex(out.index)
        out["target"] = staff["target"].fillna(0).to_numpy(dtype=float)
        out["actual"] = staff["actual"].fillna(0).to_numpy(dtype=float)
        out["no_leader"] = (staff["leader_id"].isna() & (out["target"] > 0)).to_numpy()
    else:
        out["target"], out["actual"], out["no_leader"] = 0.0, 0.0, False
    out["short"] = np.maximum(out["target"] - out["actual"], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staffing_rate"] = np.where(out["target"] > 0, out["actual"] / out["target"].where(out["target"] > 0, 1),
                                        np.nan)
    out["coverage"] = _grid_coverage(project, category=category, radius_m=radius_m).reindex(out.index).to_numpy()
    return out


def _grid_coverage(project: Project, *, category: str, radius_m: float) -> pd.Series:
    cov = project.table(s.COVERAGE)
    if len(cov) == 0 or s.CATEGORY not in cov:
        return pd.Series(dtype=float)
    part = cov[(cov[s.CATEGORY].astype(str) == category)
               & np.isclose(pd.to_numeric(cov["radius_m"], errors="coerce"), radius_m)]
    share = part["households_share"].astype(float).fillna(part["area_share"].astype(float))
    return pd.Series(share.to_numpy(), index=part[s.GRID_CODE].astype(str).to_numpy()).groupby(level=0).first()


def _rollup_coverage(project: Project, *, category: str, radius_m: float) -> pd.DataFrame:
    cov = project.table(s.COVERAGE)
    if len(cov) == 0:
        return pd.DataFrame(columns=["level", "unit_code", "share"])
    rollup = project.table("coverage_rollup")
    if len(rollup) == 0:
        try:
            from geo.coverage import rollup_coverage
        except ImportError:
            return pd.DataFrame(columns=["level", "unit_code", "share"])
        rollup = rollup_coverage(project, cov)
    part = rollup[(rollup[s.CATEGORY].astype(str) == category)
                  & np.isclose(pd.to_numeric(rollup["radius_m"], errors="coerce"), radius_m)]
    share = part["households_share"].astype(float).fillna(part["area_share"].astype(float))
    return pd.DataFrame({"level": part["level"].astype(str), "unit_code": part["unit_code"].astype(str),
                         "share": share})


def unit_figures(project: Project, *, category: str = "生活", radius_m: float = 500.0) -> UnitFigures:
    """Figures for every grid, community and town of ``project`` for one coverage choice."""
    grids = grid_figures(project, category=category, radius_m=radius_m)
    leaf = _leaf_households(project)
    cov = _rollup_coverage(project, category=category, radius_m=radius_m)
    grid_info = project.layer(s.GRIDS)
    info = pd.DataFrame({
        "community": grid_info.get(s.COMMUNITY_CODE, pd.Series(None, index=grid_info.index)).astype(object).to_numpy(),
        "town": grid_info.get(s.TOWN_CODE, pd.Series(None, index=grid_info.index)).astype(object).to_numpy(),
    }, index=grids.index)
    both = grids.join(info)
    by_level = {GRID: grids}
    for level, layer in ((COMMUNITY, s.COMMUNITIES), (TOWN, s.TOWNS)):
        codes = _codes(project.layer(layer))
        frame = pd.DataFrame(index=pd.Index(codes.to_numpy(), name=s.CODE))
        sums = both.groupby(both[level].astype(str))[["target", "actual", "short"]].sum()
        frame = frame.join(sums).fillna({"target": 0, "actual": 0, "short": 0})
        frame["no_leader"] = both[both["no_leader"]].groupby(both[level].astype(str)).size().reindex(
            frame.index).fillna(0).astype(int)
        frame["households"] = leaf.groupby(leaf[level].astype(str))["households"].sum().reindex(frame.index)
        filled = np.minimum(both["actual"], both["target"]).groupby(both[level].astype(str)).sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = filled.reindex(frame.index) / frame["target"].where(frame["target"] > 0)
        frame["staffing_rate"] = rate.to_numpy(dtype=float)
        share = cov[cov["level"] == level].set_index("unit_code")["share"]
        frame["coverage"] = share.reindex(frame.index).to_numpy(dtype=float)
        by_level[level] = frame
    return UnitFigures(by_level)


def parent_chain(project: Project, selection: Selection) -> list[tuple[str, str | None, str]]:
    """``[(level, code, name), ...]`` from the city down to the selection (city code is None)."""
    chain: list[tuple[str, str | None, str]] = [(CITY, None, "")]
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


def selection_for(project: Project, level: str, code: str) -> Selection:
    """The full selection (with parents) that points at unit ``code`` of ``level``."""
    if level == TOWN:
        return Selection(town=code)
    if level == COMMUNITY:
        row = _row(project.layer(s.COMMUNITIES), code)
        return Selection(town=_text(row, s.TOWN_CODE), community=code)
    if level == GRID:
        row = _row(project.layer(s.GRIDS), code)
        return Selection(town=_text(row, s.TOWN_CODE), community=_text(row, s.COMMUNITY_CODE), grid=code)
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

    City view: ``towns`` + ``communities``; town view: the town's ``communities`` +
    ``grids``; community view: the community's ``grids`` + ``volunteers`` +
    ``service_points``. Each frame keeps the layer's index and columns.
    """
    view = selection.view
    towns, communities, grids = (project.layer(x) for x in (s.TOWNS, s.COMMUNITIES, s.GRIDS))
    if view == CITY:
        return {"towns": towns, "communities": communities}
    if view == TOWN:
        out = {"outline": _by_code(towns, selection.town),
               "communities": _by_parent(communities, s.TOWN_CODE, selection.town),
               "grids": _by_parent(grids, s.TOWN_CODE, selection.town)}
        return out
    comm_grids = _by_parent(grids, s.COMMUNITY_CODE, selection.community)
    return {"outline": _by_code(communities, selection.community), "grids": comm_grids,
            "volunteers": _points_in(project.layer(s.VOLUNTEERS), selection.community, comm_grids),
            "service_points": _points_in(project.layer(s.SERVICE_POINTS), selection.community, comm_grids)}


def _by_code(gdf: gpd.GeoDataFrame, code: str | None) -> gpd.GeoDataFrame:
    if s.CODE not in gdf:
        return gdf.iloc[0:0]
    return gdf[gdf[s.CODE].astype(str) == str(code)]


def _by_parent(gdf: gpd.GeoDataFrame, column: str, code: str | None) -> gpd.GeoDataFrame:
    if column not in gdf:
        return gdf.iloc[0:0]
    return gdf[gdf[column].astype(str) == str(code)]


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
    import shapely

    pt = shapely.Point(lon, lat)
    hits = units[units.geometry.covers(pt)]
    if len(hits) == 0:
        return None
    areas = hits.geometry.area  # degrees², only to rank nested grids (smallest wins)
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
    grids = _by_parent(project.layer(s.GRIDS), s.COMMUNITY_CODE, selection.community)
    if grid_levels is not None and s.LEVEL in grids:
        grids = grids[grids[s.LEVEL].astype(str).isin(grid_levels)]
    code = unit_at(grids, lon, lat)
    return Selection(town=selection.town, community=selection.community, grid=code) if code else selection


def unit_grid_codes(project: Project, selection: Selection) -> list[str]:
    """Codes of the grids inside the selected unit (the grid itself at grid level; all at city level)."""
    grids = project.layer(s.GRIDS)
    if s.CODE not in grids:
        return []
    if selection.grid:
        return [selection.grid]
    if selection.community:
        grids = _by_parent(grids, s.COMMUNITY_CODE, selection.community)
    elif selection.town:
        grids = _by_parent(grids, s.TOWN_CODE, selection.town)
    return grids[s.CODE].astype(str).tolist()


def staff_rows(project: Project, grid_codes: list[str]) -> pd.DataFrame:
    """Assigned staff of ``grid_codes``: grid, role, volunteer id, name, tier and MASKED phone.

    Only the active scenario's rows (``settings["scenario"]``, default 基线) are shown.
    """
    from geo.privacy import mask_phone

    table = project.table(s.ASSIGNMENTS)
    cols = [s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID, s.NAME, s.TIER, s.PHONE]
    if len(table) == 0 or s.GRID_CODE not in table:
        return pd.DataFrame(columns=cols)
    if s.SCENARIO in table:
        scenario = project.settings.get("scenario", s.DEFAULT_SCENARIO)
        table = table[table[s.SCENARIO].isna() | (table[s.SCENARIO].astype(str) == scenario)]
    rows = table[table[s.GRID_CODE].astype(str).isin(set(grid_codes))]
    vols = pd.DataFrame(project.layer(s.VOLUNTEERS).drop(columns="geometry", errors="ignore"))
    keep = [c for c in (s.VOLUNTEER_ID, s.NAME, s.TIER, s.PHONE) if c in vols]
    if s.VOLUNTEER_ID in vols:
        vols = vols[keep].assign(**{s.VOLUNTEER_ID: vols[s.VOLUNTEER_ID].astype(str)})
        rows = rows.assign(**{s.VOLUNTEER_ID: rows[s.VOLUNTEER_ID].astype(str)}).merge(
            vols, on=s.VOLUNTEER_ID, how="left")
    out = pd.DataFrame({c: rows[c] if c in rows else "" for c in cols}).reset_index(drop=True)
    out[s.PHONE] = out[s.PHONE].map(mask_phone)  # full numbers never reach the browser
    return out.sort_values([s.GRID_CODE, s.ROLE, s.VOLUNTEER_ID]).reset_index(drop=True)


def reach_rows(project: Project, selection: Selection, *, radius_m: float) -> pd.DataFrame:
    """Service reach by category for the selected unit at ``radius_m``: ``category, share`` (0..1)."""
    cov = project.table(s.COVERAGE)
    if len(cov) == 0 or s.CATEGORY not in cov:
        return pd.DataFrame(columns=[s.CATEGORY, "share"])
    if selection.grid:
        part = cov[(cov[s.GRID_CODE].astype(str) == selection.grid)
                   & np.isclose(pd.to_numeric(cov["radius_m"], errors="coerce"), radius_m)]
        share = part["households_share"].astype(float).fillna(part["area_share"].astype(float))
        return pd.DataFrame({s.CATEGORY: part[s.CATEGORY].astype(str).to_numpy(), "share": share.to_numpy()})
    level, code = ((COMMUNITY, selection.community) if selection.community else
                   (TOWN, selection.town) if selection.town else ("city", None))
    frames = [_rollup_coverage(project, category=c, radius_m=radius_m) for c in s.CATEGORIES]
    roll = pd.concat(frames, keys=s.CATEGORIES, names=[s.CATEGORY, None]).reset_index(level=0)
    roll = roll[roll["level"] == level]
    if code is not None:
        roll = roll[roll["unit_code"] == str(code)]
    return roll[[s.CATEGORY, "share"]].reset_index(drop=True)


def problem_rows(project: Project, figures: UnitFigures, grid_codes: list[str], *,
                 category: str, radius_m: float) -> list[tuple[str, dict]]:
    """``[(catalogue key, context), ...]`` for the grids' problems: short of staff, no leader, no reach."""
    fig = figures.get(GRID).reindex(grid_codes)
    names = dict(zip(project.layer(s.GRIDS)[s.CODE].astype(str), project.layer(s.GRIDS)[s.NAME].astype(str))) \
        if s.NAME in project.layer(s.GRIDS) else {}
    out: list[tuple[str, dict]] = []
    for code, row in fig.iterrows():
        name = names.get(str(code), str(code))
        if row.get("short", 0) > 0:
            out.append(("ui.panel.problem.short", {"name": name, "short": int(row["short"])}))
        if bool(row.get("no_leader", False)):
            out.append(("ui.panel.problem.no_leader", {"name": name}))
        if row.get("coverage") == 0:
            out.append(("ui.panel.problem.no_reach", {"name": name, "radius": f"{radius_m:.0f}",
                                                      "category": category}))
    return out
