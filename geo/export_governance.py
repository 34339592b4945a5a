"""Export tables of the governance model: organisations, management gaps, projects, self-governance, unit kinds.

Columns are internal names with ``col.<name>`` catalogue headers (``geo.export_tables.header``);
code-list values are localised labels; contacts are masked unless the export includes personal
data. Every count per unit comes from ``geo.rollup``.
"""
from __future__ import annotations

import pandas as pd

from geo import schema as s
from geo.export_tables import COMMUNITY_NAME, GRID_COUNT, GRID_NAME, Privacy, grid_chain
from geo.messages import label
from geo.organisations import LEADER, ORG_ID, find_grids_without_management, organisations_of
from geo.project import Project
from geo.rollup import BUILDING_FIGURES, GRID, Figures, grid_figures, kind_figures
from geo.selfgov import KINDS as SELFGOV_KINDS
from geo.selfgov import ROW_ID as SELFGOV_ID
from geo.selfgov import UNIT_NAME, selfgov_rows

ORG_NAME, PROJECT_NAME, PROJECT_KIND, GRIDS_SERVED, UNIT_KIND = (
    "org_name", "project_name", "project_kind", "grids_served", "unit_kind")
KIND_COLUMNS = (UNIT_KIND, GRID_COUNT, s.HOUSEHOLDS_N, "target", "actual", "staffing_share", "coverage_share",
                "organisations", "gov_projects", "org_gaps", *BUILDING_FIGURES)


def _community_names(project: Project) -> dict[str, str]:
    comms = project.layer(s.COMMUNITIES)
    return dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str))) if s.CODE in comms else {}


def organisations_sheet(project: Project, *, privacy: Privacy = Privacy(), lang: str = "zh") -> pd.DataFrame:
    """One row per organisation: id, name, type, community, grids served (count and codes), contact.

    The contact person's name and phone are masked unless ``privacy.include_personal``.
    """
    orgs = organisations_of(project)
    contact = Privacy(include_personal=privacy.include_personal, mask_names=True)
    names = _community_names(project)
    return pd.DataFrame({
        ORG_ID: orgs[ORG_ID].astype(str), ORG_NAME: orgs[s.NAME].astype(str),
        "org_type": orgs[s.ORG_TYPE].map(lambda v: label("org_type", v, lang)),
        s.COMMUNITY_CODE: orgs[s.COMMUNITY_CODE].astype(object),
        COMMUNITY_NAME: orgs[s.COMMUNITY_CODE].map(names).fillna(""),
        GRIDS_SERVED: orgs[s.GRID_CODES].map(lambda v: len([c for c in str(v).split(";") if c])).astype(int),
        s.GRID_CODES: orgs[s.GRID_CODES].astype(str),
        LEADER: orgs.get(LEADER, pd.Series("", index=orgs.index)).map(contact.name),
        s.PHONE: orgs.get(s.PHONE, pd.Series(None, index=orgs.index)).map(contact.phone),
    }).reset_index(drop=True)


def org_gaps_sheet(project: Project) -> pd.DataFrame:
    """Leaf grids with no 物业 and no 业委会/院委会, with their town and community (empty without organisations)."""
    gaps = find_grids_without_management(project)
    if not gaps:
        return pd.DataFrame(columns=[s.TOWN_CODE, s.COMMUNITY_CODE, COMMUNITY_NAME, s.GRID_CODE, GRID_NAME, s.KIND])
    chain = grid_chain(project).set_index(s.GRID_CODE).loc[gaps].reset_index()
    return chain[[s.TOWN_CODE, s.COMMUNITY_CODE, COMMUNITY_NAME, s.GRID_CODE, GRID_NAME, s.KIND]]


def projects_sheet(project: Project, *, lang: str = "zh") -> pd.DataFrame:
    """One row per governance project (those serving no grid too): id, name, kind, status, year, grids served."""
    layer = project.layer(s.GOV_PROJECTS)
    cols = [s.PROJECT_ID, PROJECT_NAME, PROJECT_KIND, s.STATUS, s.YEAR, s.COMMUNITY_CODE, COMMUNITY_NAME,
            GRIDS_SERVED, s.GRID_CODES]
    if len(layer) == 0:
        return pd.DataFrame(columns=cols)
    served = layer.get(s.GRID_CODES, pd.Series("", index=layer.index)).fillna("").astype(str)
    comm = layer.get(s.COMMUNITY_CODE, pd.Series(None, index=layer.index)).astype(object)
    out = pd.DataFrame({
        s.PROJECT_ID: layer[s.PROJECT_ID].astype(str), PROJECT_NAME: layer[s.NAME].astype(str),
        PROJECT_KIND: layer[s.KIND].map(lambda v: label("project_kind", v, lang)),
        s.STATUS: layer.get(s.STATUS, pd.Series(None, index=layer.index)).map(
            lambda v: label("project_status", v, lang)),
        s.YEAR: pd.to_numeric(layer.get(s.YEAR, pd.Series(None, index=layer.index)), errors="coerce").astype("Int64"),
        s.COMMUNITY_CODE: comm, COMMUNITY_NAME: comm.map(_community_names(project)).fillna(""),
        GRIDS_SERVED: served.map(lambda v: len([c for c in v.split(";") if c])).astype(int), s.GRID_CODES: served,
    }, columns=cols)
    return out.reset_index(drop=True)


def selfgov_sheet(project: Project) -> pd.DataFrame:
    """One row per self-governance row: community, grid/compound, the three counts and their names."""
    table = project.table(s.SELFGOV)
    codes = sorted({c for v in table.get(s.GRID_CODES, pd.Series(dtype=str)).fillna("") for c in str(v).split(";")
                    if c})
    rows = selfgov_rows(project, codes)
    rows.insert(2, COMMUNITY_NAME, rows[s.COMMUNITY_CODE].map(_community_names(project)).fillna(""))
    return rows[[SELFGOV_ID, s.COMMUNITY_CODE, COMMUNITY_NAME, UNIT_NAME, *[c for kv in SELFGOV_KINDS.items()
                                                                          for c in kv]]]


def unit_kinds_sheet(project: Project, *, scenario: str | None = None, lang: str = "zh",
                     figures: Figures | None = None) -> pd.DataFrame:
    """Figures per unit kind (小区/林盘/院落/none) of the micro-grids: ``geo.rollup.kind_figures``.

    ``figures``: the ``unit_figures`` of this scenario when the caller already has them (one
    roll-up per export); else the grid figures are computed here.
    """
    if figures is None:
        scenario = scenario or project.active_scenario
        figures = Figures({GRID: grid_figures(project, scenario=scenario)}, scenario=scenario)  # kinds need grids
    figures = kind_figures(project, figures)
    return pd.DataFrame({
        UNIT_KIND: [label("unit_kind", k, lang) for k in figures.index],
        GRID_COUNT: figures["grids"].astype(int).to_numpy(),
        s.HOUSEHOLDS_N: figures["households"].fillna(0).astype(int).to_numpy(),
        "target": figures["target"].astype(int).to_numpy(), "actual": figures["actual"].astype(int).to_numpy(),
        "staffing_share": figures["staffing"].astype(float).round(4).to_numpy(),
        "coverage_share": figures["coverage"].astype(float).round(4).to_numpy(),
        "organisations": figures["organisations"].astype(int).to_numpy(),
        "gov_projects": figures["gov_projects"].astype(int).to_numpy(),
        "org_gaps": figures["org_gaps"].astype(int).to_numpy(),
        **{c: figures[c].astype(int).to_numpy() for c in BUILDING_FIGURES},
    }, columns=list(KIND_COLUMNS))


def governance_sheets(project: Project, *, privacy: Privacy = Privacy(), scenario: str | None = None,
                      lang: str = "zh", figures: Figures | None = None) -> dict[str, pd.DataFrame]:
    """The governance sheets an XLSX export adds, keyed by ``export.sheet.<name>``.

    ``figures``: the export's ``unit_figures`` (of ``scenario``), passed on so nothing is rolled up twice.

    Empty ones are left out, and the unit-kind statistics when no micro-grid has a kind.
    """
    sheets = {
        "organisations": organisations_sheet(project, privacy=privacy, lang=lang),
        "org_gaps": org_gaps_sheet(project),
        "gov_projects": projects_sheet(project, lang=lang),
        "selfgov": selfgov_sheet(project),
        "unit_kinds": unit_kinds_sheet(project, scenario=scenario, lang=lang, figures=figures),
    }
    if sheets["unit_kinds"][GRID_COUNT].iloc[: len(s.MICRO_KINDS)].sum() == 0:  # no micro-grid has a kind
        sheets["unit_kinds"] = sheets["unit_kinds"].iloc[0:0]
    return {f"export.sheet.{k}": v for k, v in sheets.items() if len(v)}
