"""Assignment tables for export: one row per grid x volunteer, grid summaries, community/town rollups.

Tables use the internal column names below (``geo.schema`` names where they exist);
``localise_columns`` turns them into the Chinese or English headers of the catalogue
(``col.<name>`` keys), which are the user contract of every export.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.errors import ExportError
from geo.messages import label, t
from geo.privacy import mask_name, mask_phone
from geo.hierarchy import grid_tree
from geo.project import Project
from geo.rollup import BUILDING_FIGURES, SERVED_COLUMNS, Figures, service_point_grids, unit_figures
from geo.staffing import staffing_by_grid

# internal column names that exist only in exports (the rest come from geo.schema)
GRID_NAME = "grid_name"
COMMUNITY_NAME = "community_name"
TOWN_NAME = "town_name"
VOLUNTEER_NAME = "volunteer_name"
TARGET = "target"
ACTUAL = "actual"
SHORT = "short"
LEADER_ID = "leader_id"
VOLUNTEERS_TEXT = "volunteers"
SERVICE_POINTS_TEXT = "service_points"
GRID_COUNT = "grid_count"
SHORT_GRIDS = "short_grids"
VOLUNTEER_COUNT = "volunteer_count"
POINT_COUNT = "point_count"
STAFFING_SHARE = "staffing_share"
COVERAGE_SHARE = "coverage_share"
COVERAGE_PREFIX = "coverage"

ROLLUP_LEVELS = ("community", "town")
EXPORT_LEVELS = (*s.GRID_LEVELS, *ROLLUP_LEVELS)

CHAIN_COLUMNS = (s.TOWN_CODE, TOWN_NAME, s.COMMUNITY_CODE, COMMUNITY_NAME)
GRID_COLUMNS = (*CHAIN_COLUMNS, s.GRID_CODE, GRID_NAME, s.LEVEL, s.KIND, s.HOUSEHOLDS_N, TARGET, ACTUAL)
PERSON_COLUMNS = (s.VOLUNTEER_ID, VOLUNTEER_NAME, s.TIER, s.PHONE, s.ROLE, s.DISTANCE_M, s.METHOD)
ASSIGNMENT_TABLE_COLUMNS = (*GRID_COLUMNS, *PERSON_COLUMNS, SERVICE_POINTS_TEXT)
SUMMARY_COLUMNS = (*GRID_COLUMNS, SHORT, LEADER_ID, VOLUNTEERS_TEXT, SERVICE_POINTS_TEXT)
ROLLUP_COLUMNS = (s.LEVEL, s.TOWN_CODE, TOWN_NAME, s.COMMUNITY_CODE, COMMUNITY_NAME, s.KIND, s.HOUSEHOLDS_N,
                  GRID_COUNT, TARGET, ACTUAL, STAFFING_SHARE, SHORT_GRIDS, VOLUNTEER_COUNT, POINT_COUNT,
                  COVERAGE_SHARE, *SERVED_COLUMNS, "org_gaps", *BUILDING_FIGURES)


@dataclass(frozen=True)
class Privacy:
    """What personal data an export shows: phones masked unless ``include_personal``; names optionally."""

    include_personal: bool = False
    mask_names: bool = False

    def phone(self, value: object) -> str:
        """The phone as exported."""
        if self.include_personal:
            return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        return mask_phone(value)

    def name(self, value: object) -> str:
        """The name as exported."""
        if self.mask_names and not self.include_personal:
            return mask_name(value)
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


# --- scenario ---------------------------------------------------------------------------------

def current_scenario(project: Project, scenario: str | None = None) -> str:
    """The scenario an export is taken from: ``scenario`` when given (it must exist), else the active one.

    Raises
    ------
    ExportError
        Code ``export.unknown_scenario`` when ``scenario`` names no scenario in the assignments.
    """
    if scenario is None:
        return project.active_scenario
    table = project.table(s.ASSIGNMENTS)
    present = sorted({str(v) for v in table.get(s.SCENARIO, pd.Series(dtype=object)).dropna()})
    if present and scenario not in present:
        msg = f"scenario {scenario!r} not in assignments ({present})"
        raise ExportError(msg, code="export.unknown_scenario", scenario=scenario, known=present)
    return scenario


# --- building blocks ------------------------------------------------------------------------

def _names(layer: gpd.GeoDataFrame) -> dict[str, str]:
    if layer.empty:
        return {}
    return dict(zip(layer[s.CODE].astype(str), layer[s.NAME].astype(str)))


def grid_chain(project: Project) -> pd.DataFrame:
    """Every grid with its parent chain (town/community codes and names from ``geo.hierarchy``), no geometry."""
    grids = project.layer(s.GRIDS)
    if grids.empty:
        msg = "project has no grids"
        raise ExportError(msg, code="export.no_grids")
    tree = grid_tree(project)
    town_names = _names(project.layer(s.TOWNS))
    comm_names = _names(project.layer(s.COMMUNITIES))
    out = pd.DataFrame({
        s.TOWN_CODE: tree[s.TOWN_CODE].to_numpy(),
        s.COMMUNITY_CODE: tree[s.COMMUNITY_CODE].to_numpy(),
        s.GRID_CODE: tree.index.to_numpy(),
        GRID_NAME: tree[s.NAME].to_numpy(),
        s.LEVEL: tree[s.LEVEL].to_numpy(),
        s.KIND: tree[s.KIND].fillna("").to_numpy(),
        s.HOUSEHOLDS_N: tree[s.HOUSEHOLDS_N].fillna(0).astype(int).to_numpy(),
    }, index=grids.index)
    out.insert(1, TOWN_NAME, out[s.TOWN_CODE].map(town_names).fillna(""))
    out.insert(3, COMMUNITY_NAME, out[s.COMMUNITY_CODE].map(comm_names).fillna(""))
    return out


def points_by_grid(project: Project) -> pd.DataFrame:
    """Service points per grid (every level): DataFrame[grid_code, point_id, name] (``geo.rollup``)."""
    points = project.layer(s.SERVICE_POINTS)
    if points.empty:
        return pd.DataFrame({s.GRID_CODE: [], s.POINT_ID: [], s.NAME: []}, dtype=object)
    names = dict(zip(points[s.POINT_ID].astype(str), points[s.NAME].astype(str)))
    out = service_point_grids(project)
    out = out.assign(**{s.NAME: out[s.POINT_ID].map(names).fillna("")})
    return out.sort_values([s.GRID_CODE, s.POINT_ID]).reset_index(drop=True)


def coverage_columns(project: Project, *, lang: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Area share covered per grid, one column per category x radius (0-1), and their headers.

    Empty when the project has no ``coverage`` table (run ``python -m cli coverage`` first).
    """
    table = project.table(s.COVERAGE)
    needed = {s.GRID_CODE, s.CATEGORY, "radius_m", "area_share"}
    if table.empty or not needed <= set(table.columns):
        return pd.DataFrame(), {}
    tab = table.assign(radius_m=pd.to_numeric(table["radius_m"], errors="coerce").round().astype("Int64"))
    wide = tab.pivot_table(index=s.GRID_CODE, columns=[s.CATEGORY, "radius_m"], values="area_share",
                           aggfunc="first")
    headers = {}
    columns = []
    for category, radius in wide.columns:
        col = f"{COVERAGE_PREFIX}_{category}_{radius}"
        columns.append(col)
        headers[col] = t("col.coverage", lang, category=label("category", category, lang), radius=radius)
    wide.columns = columns
    wide.index = wide.index.astype(str)
    return wide.round(3), headers


# --- the tables ------------------------------------------------------------------------------

def _levels_filter(chain: pd.DataFrame, level: str | None) -> pd.DataFrame:
    if level is None:
        return chain
    if level not in s.GRID_LEVELS:
        msg = f"level {level!r} is not a grid level {s.GRID_LEVELS}"
        raise ExportError(msg, code="export.unknown_level", level=level, known=list(EXPORT_LEVELS))
    return chain.loc[chain[s.LEVEL] == level]


def _with_staffing(project: Project, chain: pd.DataFrame, scenario: str) -> pd.DataFrame:
    staffing = staffing_by_grid(project, scenario=scenario).drop_duplicates(s.GRID_CODE).set_index(s.GRID_CODE)
    out = chain.copy()
    for col in (TARGET, ACTUAL, SHORT):
        out[col] = out[s.GRID_CODE].map(staffing[col]).fillna(0).astype(int)
    out[LEADER_ID] = out[s.GRID_CODE].map(staffing[LEADER_ID]).fillna("").astype(str)
    return out


def _point_text(project: Project) -> pd.Series:
    points = points_by_grid(project)
    if points.empty:
        return pd.Series(dtype=object)
    return points.groupby(s.GRID_CODE)[s.NAME].agg(lambda v: "；".join(v))


def people_table(project: Project, privacy: Privacy) -> pd.DataFrame:
    """Volunteers by ID: name, tier and phone as exported (masked per ``privacy``)."""
    vols = project.layer(s.VOLUNTEERS)
    if vols.empty:
        return pd.DataFrame(columns=[VOLUNTEER_NAME, s.TIER, s.PHONE])
    return pd.DataFrame({
        VOLUNTEER_NAME: vols[s.NAME].map(privacy.name).to_numpy(),
        s.TIER: vols.get(s.TIER, pd.Series("", index=vols.index)).fillna("").astype(str).to_numpy(),
        s.PHONE: vols.get(s.PHONE, pd.Series(None, index=vols.index)).map(privacy.phone).to_numpy(),
    }, index=vols[s.VOLUNTEER_ID].astype(str).to_numpy())


def assignment_table(project: Project, *, level: str | None = None, scenario: str | None = None,
                     privacy: Privacy = Privacy(), lang: str = "zh") -> pd.DataFrame:
    """One row per grid x assigned volunteer; grids with nobody get one row with empty volunteer cells.

    This is the editable table of the round trip (``geo.roundtrip``). Distances are metres;
    roles and levels are localised labels in ``lang``; phones are masked unless
    ``privacy.include_personal``.

    Raises
    ------
    ExportError
        ``export.no_grids`` (no grids layer), ``export.unknown_level``, ``export.unknown_scenario``.
    """
    scenario = current_scenario(project, scenario)
    assignments = project.assignments(scenario)
    chain = _with_staffing(project, _levels_filter(grid_chain(project), level), scenario)
    cols = [s.VOLUNTEER_ID, s.GRID_CODE, s.ROLE, s.DISTANCE_M, s.METHOD]
    rows = assignments.reindex(columns=cols).astype({s.VOLUNTEER_ID: str, s.GRID_CODE: str})
    merged = chain.merge(rows, on=s.GRID_CODE, how="left", sort=False)
    people = people_table(project, privacy)
    merged = merged.join(people, on=s.VOLUNTEER_ID)
    for column, family in ((s.ROLE, "role"), (s.LEVEL, "level"), (s.METHOD, "method"), (s.TIER, "tier")):
        merged[column] = labelled(merged[column], family, lang)
    merged[s.DISTANCE_M] = pd.to_numeric(merged[s.DISTANCE_M], errors="coerce").round(0)
    merged[SERVICE_POINTS_TEXT] = merged[s.GRID_CODE].map(_point_text(project)).fillna("")
    out = merged.reindex(columns=list(ASSIGNMENT_TABLE_COLUMNS))
    text_cols = [c for c in out.columns if c not in (s.HOUSEHOLDS_N, TARGET, ACTUAL, s.DISTANCE_M)]
    out[text_cols] = out[text_cols].astype(object).where(out[text_cols].notna(), "")
    return out.reset_index(drop=True)


def grid_summary(project: Project, *, level: str | None = None, scenario: str | None = None,
                 privacy: Privacy = Privacy(), lang: str = "zh") -> gpd.GeoDataFrame:
    """One row per grid with staffing, volunteers, service points and coverage; geometry in WGS 84.

    Coverage columns ``coverage_<category>_<radius>`` hold the covered area share (0-1);
    their headers are in ``attrs["headers"]``.
    """
    scenario = current_scenario(project, scenario)
    assignments = project.assignments(scenario)
    chain = _with_staffing(project, _levels_filter(grid_chain(project), level), scenario)
    people = people_table(project, privacy)
    text = pd.Series(dtype=object)
    if len(assignments):
        rows = assignments.astype({s.VOLUNTEER_ID: str, s.GRID_CODE: str}).sort_values(s.VOLUNTEER_ID)
        label = rows[s.VOLUNTEER_ID].map(people[VOLUNTEER_NAME]).fillna("") + "(" + rows[s.VOLUNTEER_ID] \
            + "," + rows[s.ROLE].map(lambda r: role_label(r, lang)) + ")"
        text = label.groupby(rows[s.GRID_CODE]).agg("；".join)
    out = chain.assign(**{VOLUNTEERS_TEXT: chain[s.GRID_CODE].map(text).fillna(""),
                          SERVICE_POINTS_TEXT: chain[s.GRID_CODE].map(_point_text(project)).fillna(""),
                          s.LEVEL: chain[s.LEVEL].map(lambda lv: level_label(lv, lang))})
    out = out.reindex(columns=list(SUMMARY_COLUMNS))
    cov, headers = coverage_columns(project, lang=lang)
    if not cov.empty:
        out = out.join(cov, on=s.GRID_CODE)
    geoms = project.layer(s.GRIDS).geometry.to_crs(s.STORAGE_CRS)
    gdf = gpd.GeoDataFrame(out, geometry=geoms.loc[out.index], crs=s.STORAGE_CRS).reset_index(drop=True)
    gdf.attrs["headers"] = headers
    return gdf


def rollup_table(project: Project, *, level: str = "community", scenario: str | None = None,
                 lang: str = "zh", figures: Figures | None = None) -> gpd.GeoDataFrame:
    """Community or town rows with the figures of ``geo.rollup.unit_figures`` (the one roll-up rule).

    Households, grids, staffing target/actual/share, short grids, people, service points, the
    coverage share (daily-life services, 500 m or the nearest radius measured), the served counts
    (organisations, governance projects, self-governance) and the management gaps. Geometry is the
    community/town polygon in WGS 84 (empty when the layer is missing). ``figures``: the
    ``unit_figures`` of this scenario when the caller already has them (one roll-up per export).
    """
    if level not in ROLLUP_LEVELS:
        msg = f"rollup level {level!r} not in {ROLLUP_LEVELS}"
        raise ExportError(msg, code="export.unknown_level", level=level, known=list(EXPORT_LEVELS))
    scenario = current_scenario(project, scenario)
    figures = (figures if figures is not None else unit_figures(project, scenario=scenario)).get(level)
    layer = project.layer(s.COMMUNITIES if level == "community" else s.TOWNS).to_crs(s.STORAGE_CRS)
    codes = layer[s.CODE].astype(str)
    town_names = _names(project.layer(s.TOWNS))
    town_code = codes if level == "town" else layer.get(s.TOWN_CODE, pd.Series(None, index=layer.index))
    out = pd.DataFrame({
        s.LEVEL: label("level", level, lang),
        s.TOWN_CODE: town_code.astype(object),
        TOWN_NAME: town_code.map(town_names).fillna(""),
        s.COMMUNITY_CODE: codes if level == "community" else "",
        COMMUNITY_NAME: layer[s.NAME].astype(str) if level == "community" else "",
        s.KIND: layer.get(s.KIND, pd.Series("", index=layer.index)).fillna("").astype(str),
    }, index=layer.index)
    fig = figures.reindex(codes.to_numpy())
    for col, source in ((s.HOUSEHOLDS_N, "households"), (GRID_COUNT, "grids"), (TARGET, "target"),
                        (ACTUAL, "actual"), (SHORT_GRIDS, "short_grids"), (VOLUNTEER_COUNT, "volunteers"),
                        (POINT_COUNT, "service_points"),
                        *((c, c) for c in (*SERVED_COLUMNS, "org_gaps", *BUILDING_FIGURES))):
        out[col] = fig[source].fillna(0).astype(int).to_numpy()
    out[STAFFING_SHARE] = fig["staffing"].astype(float).round(4).to_numpy()
    out[COVERAGE_SHARE] = fig["coverage"].astype(float).round(4).to_numpy()
    out = out.reindex(columns=list(ROLLUP_COLUMNS))
    return gpd.GeoDataFrame(out, geometry=layer.geometry, crs=s.STORAGE_CRS).reset_index(drop=True)


# --- labels ----------------------------------------------------------------------------------

def labelled(values: pd.Series, family: str, lang: str) -> pd.Series:
    """``geo.messages.label`` of every value (index kept), looked up once per distinct value (blanks give "")."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.array([label(family, u, lang) for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype=object)


def role_label(role: object, lang: str) -> str:
    """Localised role (``leader`` -> 微网格长); empty for no role, unknown roles as given."""
    return label("role", role, lang)


def level_label(level: object, lang: str) -> str:
    """Localised grid level (``micro`` -> 微网格)."""
    return label("level", level, lang)


def header(column: str, lang: str, extra: dict[str, str] | None = None) -> str:
    """The exported header of an internal column (``col.<name>`` in the catalogue)."""
    if extra and column in extra:
        return extra[column]
    return t(f"col.{column}", lang)


def localise_columns(df: pd.DataFrame, lang: str, extra: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy of ``df`` with internal column names replaced by catalogue headers (geometry kept)."""
    mapping = {c: header(c, lang, extra) for c in df.columns if c != "geometry"}
    return df.rename(columns=mapping)
