"""Named staffing rule sets (平时 / 战时): what they hold, running one as a scenario, its call-out roster.

A rule set (``project.settings["rulesets"][name]``, defaults in ``geo.schema.DEFAULT_SETTINGS``) is::

    {"scenario": "战时",                                    # the scenario a run writes (平时: 基线)
     "targets": {"micro": 2, "per_100_households": {"micro": 3}},   # over settings["targets"]
     "counts": {"tiers": ["市", "镇街", "社区", ""], "party_only": False},  # who counts ("" = no tier)
     "max_distance_m": 1500,
     "staffing": {"party_member_per_micro": True, ...},    # geo.staffing.StaffingOptions switches
     "priority": {"column": "elderly_share", "min": 0.25,  # priority grids: a grid column at least min,
                  "no_property": True}}                    # or micro-grids no 物业 organisation serves

``project.settings["ruleset"]`` names the one in use (``with_ruleset``). ``run_ruleset`` staffs
the project under a rule set into its own scenario, beside the others; ``ruleset_diff`` compares
two rule sets' scenarios (``geo.scenarios.compare_scenarios``); ``callout_roster`` lists per grid
who to call first, second, third (by role, then distance), phones masked unless asked.
"""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.errors import GeoInputError
from geo.export_formats import to_csv_bytes, to_xlsx_bytes
from geo.export_tables import VOLUNTEER_NAME, Privacy, header, localise_columns, people_table, role_label
from geo.messages import label
from geo.progress import Progress
from geo.project import Project
from geo.rollup import DEFAULT_CATEGORY, coverage_radius, grid_shares
from geo.scenarios import ScenarioDiff, compare_scenarios
from geo.values import is_true
from geo.staffing import COVERAGE_SHARE, PRIORITY, StaffingOptions, StaffingResult, assign_project

NORMAL, EMERGENCY = "平时", "战时"
CALL_ORDER = "call_order"
CALLOUT_COLUMNS = (s.GRID_CODE, CALL_ORDER, s.VOLUNTEER_ID, VOLUNTEER_NAME, s.ROLE, s.TIER, s.PHONE, s.DISTANCE_M)
ROLE_ORDER = {role: rank for rank, role in enumerate(s.ROLES)}  # leader, worker, member
PROPERTY_KIND = "物业"
NO_TIER = ""


def rulesets(project: Project) -> dict[str, dict[str, Any]]:
    """Every rule set of the project by name: the defaults (平时, 战时) and the planner's own over them."""
    return {**s.DEFAULT_SETTINGS["rulesets"], **(project.settings.get("rulesets") or {})}


def ruleset(project: Project, name: str | None = None) -> dict[str, Any]:
    """The rule set ``name`` (default: the one in use, ``settings["ruleset"]``).

    Raises
    ------
    GeoInputError
        ``ruleset.unknown`` when no rule set has that name.
    """
    name = name or project.settings.get("ruleset") or NORMAL
    known = rulesets(project)
    if name not in known:
        msg = f"no rule set named {name!r}"
        raise GeoInputError(msg, code="ruleset.unknown", name=name, known="、".join(known))
    return known[name]


def ruleset_scenario(project: Project, name: str) -> str:
    """The scenario rule set ``name`` writes."""
    return str(ruleset(project, name).get("scenario") or s.DEFAULT_SCENARIO)


def with_ruleset(project: Project, name: str) -> Project:
    """A copy using rule set ``name`` (checked) from now on."""
    ruleset(project, name)
    return project.with_settings(ruleset=name)


def with_rulesets(project: Project, **sets: dict[str, Any]) -> Project:
    """A copy with rule sets ``sets`` stored (by name) over the project's own."""
    return project.with_settings(rulesets={**(project.settings.get("rulesets") or {}), **sets})


def ruleset_options(project: Project, name: str, **overrides: Any) -> StaffingOptions:
    """Staffing options of rule set ``name``: project switches, then the rule set's, then ``overrides``."""
    rs = ruleset(project, name)
    staffing = {**(project.settings.get("staffing") or {}), **(rs.get("staffing") or {})}
    given = {k: v for k, v in overrides.items() if v is not None}
    max_d = rs.get("max_distance_m", project.settings.get("max_distance_m"))
    return StaffingOptions.from_settings({"staffing": staffing}, **{"max_distance_m": max_d,
                                                                    "scenario": ruleset_scenario(project, name),
                                                                    **given})


def volunteers_who_count(volunteers_gdf: gpd.GeoDataFrame, counts: dict[str, Any]) -> gpd.GeoDataFrame:
    """The volunteers a rule set counts: tiers listed in ``counts["tiers"]`` ("" = no tier), party members
    only when ``counts["party_only"]``; everybody when ``counts`` is empty."""
    keep = np.ones(len(volunteers_gdf), dtype=bool)
    tiers = counts.get("tiers")
    if tiers is not None:
        tier = volunteers_gdf.get(s.TIER, pd.Series(None, index=volunteers_gdf.index)).astype(object)
        tier = tier.where(tier.notna(), NO_TIER).astype(str).str.strip()
        keep &= tier.isin([str(t) for t in tiers]).to_numpy()
    if counts.get("party_only"):
        party = volunteers_gdf.get(s.PARTY_MEMBER, pd.Series(False, index=volunteers_gdf.index))
        keep &= party.map(is_true).to_numpy(bool)
    return volunteers_gdf[keep]


def priority_grids(project: Project, priority: dict[str, Any]) -> pd.Series:
    """Per grid of the grids layer (same index): a priority grid under ``priority``.

    ``column`` / ``min``: the grid column (e.g. ``elderly_share``) is at least ``min`` (grids
    without the column or a value are not); ``no_property``: a micro-grid no organisation of
    kind 物业 serves (only when the project has an ``organisations`` table).
    """
    grids = project.layer(s.GRIDS)
    flag = pd.Series(False, index=grids.index)
    column = priority.get("column")
    if column and column in grids.columns and priority.get("min") is not None:
        flag |= pd.to_numeric(grids[column], errors="coerce").ge(float(priority["min"])).fillna(False)
    orgs = project.table("organisations")
    if priority.get("no_property") and len(orgs) and {s.KIND, "grid_codes"} <= set(orgs.columns):
        served = orgs[orgs[s.KIND].astype(str).str.contains(PROPERTY_KIND, regex=False)]["grid_codes"]
        codes = {c for text in served.dropna().astype(str) for c in text.split(";") if c}
        micro = grids[s.LEVEL].astype(str).eq(s.LEVEL_MICRO) if s.LEVEL in grids.columns else flag
        flag |= micro & ~grids[s.CODE].astype(str).isin(codes)
    return flag


def grids_for_ruleset(project: Project, rs: dict[str, Any]) -> gpd.GeoDataFrame:
    """The grids layer with the columns the staffing rules read: ``priority`` and ``coverage`` (the
    roll-up's per-grid share, ``geo.rollup.grid_shares``; NaN without a coverage table)."""
    grids = project.layer(s.GRIDS)
    shares = grid_shares(project, category=DEFAULT_CATEGORY, radius_m=coverage_radius(project))
    coverage = shares["coverage"].reindex(grids[s.CODE].astype(str)).to_numpy(dtype=float)
    return grids.assign(**{PRIORITY: priority_grids(project, rs.get("priority") or {}).to_numpy(),
                           COVERAGE_SHARE: coverage})


def run_ruleset(project: Project, name: str, *, user: str = "", progress: Progress | None = None,
                **overrides: Any) -> tuple[Project, pd.DataFrame, StaffingResult]:
    """Points to grids and staffing under rule set ``name``, written to its scenario beside the others.

    Returns the project (using rule set ``name``; the active scenario unchanged), the point-grid
    table and the staffing result. ``overrides`` replace staffing options for this run;
    ``progress`` hears the stages of ``geo.staffing.assign_project``.
    """
    rs = ruleset(project, name)
    options = ruleset_options(project, name, **overrides)
    vols = volunteers_who_count(project.layer(s.VOLUNTEERS), rs.get("counts") or {})
    project, point_grids, result = assign_project(
        with_ruleset(project, name), options=options, max_distance_m=options.max_distance_m, user=user,
        volunteers_gdf=vols, grids_gdf=grids_for_ruleset(project, rs), progress=progress)
    return project, point_grids, result


def ruleset_diff(project: Project, *, a: str = NORMAL, b: str = EMERGENCY) -> ScenarioDiff:
    """Rule sets ``a`` and ``b`` compared through their scenarios (``geo.scenarios.compare_scenarios``)."""
    return compare_scenarios(project, ruleset_scenario(project, a), ruleset_scenario(project, b))


def callout_roster(project: Project, *, scenario: str | None = None, per_grid: int = 3,
                   privacy: Privacy = Privacy(), lang: str = "zh") -> pd.DataFrame:
    """Who to call first, second, third in each grid: ``CALLOUT_COLUMNS``, one row per call.

    Order within a grid: role (leader, worker, member), then distance (metres), then id. Phones
    are masked unless ``privacy.include_personal``; roles and tiers are labels in ``lang``.
    Grids with nobody assigned are left out (``geo.rules`` lists them).
    """
    rows = project.assignments(scenario)
    if rows.empty:
        return pd.DataFrame(columns=list(CALLOUT_COLUMNS))
    rows = rows.assign(_role=rows[s.ROLE].map(ROLE_ORDER).fillna(len(ROLE_ORDER)),
                       _d=pd.to_numeric(rows[s.DISTANCE_M], errors="coerce").fillna(np.inf),
                       **{s.VOLUNTEER_ID: rows[s.VOLUNTEER_ID].astype(str), s.GRID_CODE: rows[s.GRID_CODE].astype(str)})
    rows = rows.sort_values([s.GRID_CODE, "_role", "_d", s.VOLUNTEER_ID], kind="stable")
    rows[CALL_ORDER] = rows.groupby(s.GRID_CODE).cumcount() + 1
    rows = rows[rows[CALL_ORDER] <= per_grid]
    out = rows.join(people_table(project, privacy), on=s.VOLUNTEER_ID)
    out[s.ROLE] = out[s.ROLE].map(lambda r: role_label(r, lang))
    out[s.TIER] = out[s.TIER].map(lambda v: label("tier", v, lang))
    out[s.DISTANCE_M] = out[s.DISTANCE_M].round(0)
    return out.reindex(columns=list(CALLOUT_COLUMNS)).reset_index(drop=True)


def callout_roster_bytes(project: Project, *, scenario: str | None = None, fmt: str = "xlsx", per_grid: int = 3,
                         privacy: Privacy = Privacy(), lang: str = "zh") -> bytes:
    """The call-out roster as an XLSX or CSV file (headers in ``lang``, phones masked by default)."""
    table = callout_roster(project, scenario=scenario, per_grid=per_grid, privacy=privacy, lang=lang)
    if fmt == "csv":
        return to_csv_bytes(localise_columns(table, lang))
    return to_xlsx_bytes({label("scenario", scenario or project.active_scenario, lang): table},
                         headers={c: header(c, lang) for c in table.columns},
                         text_columns=(s.GRID_CODE, s.VOLUNTEER_ID, s.PHONE))
