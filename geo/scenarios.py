"""Assignment scenarios: save the active scenario's assignments under a name, branch, switch, compare.

A scenario is the set of assignment rows whose ``scenario`` column holds its name (all
scenarios share the one ``assignments`` table, as ``geo.staffing`` and ``geo.export``
expect). Table ``scenarios`` keeps their metadata (name, parent, created_at,
created_by, saved_at); ``project.active_scenario`` names the active one (default 基线).
Every operation returns an edit record (``geo.edits``): undoable and audited.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from geo import schema as s
from geo.edits import _no_change
from geo.errors import GeoInputError
from geo.project import Project, scenario_rows
from geo.records import (
    ASSIGNMENT_COMPARE,
    ASSIGNMENT_KEY,
    Record,
    _norm,
    jsonable,
    make_change,
    make_record,
    table_rows,
)
from geo.rules import find_violations, rule_counts
from geo.staffing import staffing_by_grid
from geo.values import is_true, now_iso

SCENARIO_COLUMNS = ("name", "parent", "created_at", "created_by", "saved_at")
SCENARIO_KEY = ("name",)
CHANGE_COLUMNS = (s.VOLUNTEER_ID, s.GRID_CODE, "change", "role_a", "role_b", "locked_a", "locked_b")
STAFFING_DIFF_COLUMNS = (s.GRID_CODE, s.LEVEL, "target", "actual_a", "actual_b", "short_a", "short_b",
                         "leader_a", "leader_b")
SUMMARY_METRICS = ("rows", "grids_with_target", "grids_staffed", "staffed_pct", "grids_short",
                   "over_capacity", "two_micro_leader")


class ScenarioDiff(NamedTuple):
    """Two scenarios compared: changed rows, staffing per grid that differs, summary figures."""

    changes: pd.DataFrame  # CHANGE_COLUMNS; change is added | removed | changed
    staffing: pd.DataFrame  # STAFFING_DIFF_COLUMNS, only grids whose staffing differs
    summary: pd.DataFrame  # metric, a, b, delta (SUMMARY_METRICS)
    service_coverage: str  # "unchanged": scenarios differ only in staffing, not in service points


def _row_counts(project: Project) -> pd.Series:
    table = project.table(s.ASSIGNMENTS)
    if table.empty:
        return pd.Series(dtype=int)
    names = table[s.SCENARIO].map(lambda v: _norm(s.SCENARIO, v)) if s.SCENARIO in table.columns else (
        pd.Series(s.DEFAULT_SCENARIO, index=table.index))
    return names.value_counts()


def list_scenarios(project: Project) -> pd.DataFrame:
    """Every scenario: saved metadata, scenarios found in the assignments, and the active one.

    Columns: name, parent, created_at, created_by, saved_at, n_rows, active.
    """
    meta = project.table(s.SCENARIOS)
    rows = {str(r["name"]): {c: r.get(c) for c in SCENARIO_COLUMNS} for r in table_rows(meta)} if len(meta) else {}
    counts = _row_counts(project)
    for name in [*counts.index.astype(str), project.active_scenario]:
        rows.setdefault(name, {"name": name, "parent": None, "created_at": None, "created_by": None,
                               "saved_at": None})
    out = pd.DataFrame(list(rows.values()), columns=list(SCENARIO_COLUMNS), dtype=object)
    out["n_rows"] = out["name"].map(lambda n: int(counts.get(n, 0)))
    out["active"] = out["name"] == project.active_scenario
    return out


def scenario_names(project: Project) -> list[str]:
    """Names of every scenario (saved, present in the assignments, and the active one)."""
    return list_scenarios(project)["name"].astype(str).tolist()


def scenario_assignments(project: Project, name: str) -> pd.DataFrame:
    """The assignment rows of scenario ``name``.

    Raises
    ------
    GeoInputError
        ``edit.unknown_scenario`` naming the scenarios that exist.
    """
    names = scenario_names(project)
    if name not in names:
        msg = f"no scenario named {name!r}"
        raise GeoInputError(msg, code="edit.unknown_scenario", name=name, names=names)
    return scenario_rows(project.table(s.ASSIGNMENTS), name)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        msg = "a scenario needs a name"
        raise GeoInputError(msg, code="edit.scenario_name", name=name)
    return name


def _meta_change(project: Project, name: str, *, parent: str | None, user: str, now: str) -> dict[str, Any]:
    meta = project.table(s.SCENARIOS)
    old = table_rows(meta[meta["name"].astype(str) == name].head(1)) if len(meta) else []
    new = {"name": name, "parent": old[0].get("parent") if old else parent,
           "created_at": old[0].get("created_at") if old else now,
           "created_by": old[0].get("created_by") if old else user, "saved_at": now}
    return make_change(s.SCENARIOS, SCENARIO_KEY, old, [new], compare=("saved_at",))


def _copy_change(project: Project, source: str, target: str, *, now: str) -> dict[str, Any]:
    table = project.table(s.ASSIGNMENTS)
    before = table_rows(scenario_rows(table, target))
    after = [{**r, s.SCENARIO: target, s.UPDATED_AT: now} for r in table_rows(scenario_rows(table, source))]
    return make_change(s.ASSIGNMENTS, ASSIGNMENT_KEY, before, after, compare=ASSIGNMENT_COMPARE)


def save_scenario(project: Project, name: str, *, user: str = "", now: str | None = None) -> Record:
    """Record saving the active scenario's assignments as scenario ``name`` (a snapshot).

    The active scenario stays active; saving under an existing name replaces its rows.
    Saving under the active name only records its metadata (saved_at).

    Raises
    ------
    GeoInputError
        ``edit.scenario_name`` for an empty name.
    """
    now = now or now_iso()
    name = _check_name(name)
    active = project.active_scenario
    changes = [_meta_change(project, name, parent=active if name != active else None, user=user, now=now)]
    if name != active:
        changes.append(_copy_change(project, active, name, now=now))
    return make_record("scenario_save", name, changes, user=user, scenario=name, now=now)


def branch_scenario(project: Project, new_name: str, *, source: str | None = None, user: str = "",
                    now: str | None = None) -> Record:
    """Record creating scenario ``new_name`` as a copy of ``source`` (default: active) and switching to it.

    Raises
    ------
    GeoInputError
        ``edit.scenario_exists`` when ``new_name`` is taken; ``edit.unknown_scenario``.
    """
    now = now or now_iso()
    new_name = _check_name(new_name)
    if new_name in scenario_names(project):
        msg = f"scenario {new_name!r} exists"
        raise GeoInputError(msg, code="edit.scenario_exists", name=new_name)
    active = project.active_scenario
    source = source or active
    scenario_assignments(project, source)  # raises for an unknown source
    changes = [_meta_change(project, new_name, parent=source, user=user, now=now),
               _copy_change(project, source, new_name, now=now)]
    return make_record("scenario_branch", f"{source}->{new_name}", changes, user=user, scenario=new_name,
                       now=now, meta={"scenario": [active, new_name]})


def switch_scenario(project: Project, name: str, *, user: str = "", now: str | None = None) -> Record:
    """Record making ``name`` the active scenario (edits then act on its rows).

    Raises
    ------
    GeoInputError
        ``edit.unknown_scenario``; ``edit.no_change`` when ``name`` is already active.
    """
    active = project.active_scenario
    if name == active:
        raise _no_change("scenario_switch", name)
    scenario_assignments(project, name)  # raises for an unknown name
    return make_record("scenario_switch", f"{active}->{name}", [], user=user, scenario=name,
                       now=now or now_iso(), meta={"scenario": [active, name]})


# --- compare ----------------------------------------------------------------------------------
def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    cols = {s.VOLUNTEER_ID: str, s.GRID_CODE: str}
    if df.empty:
        return pd.DataFrame(columns=[*cols, s.ROLE, s.LOCKED])
    out = pd.DataFrame({c: df[c].astype(str).to_numpy() for c in cols})
    out[s.ROLE] = df[s.ROLE].astype(object).to_numpy() if s.ROLE in df.columns else None
    locked = df[s.LOCKED] if s.LOCKED in df.columns else pd.Series(False, index=df.index)
    out[s.LOCKED] = locked.map(is_true).to_numpy()
    return out


def changed_rows(rows_a: pd.DataFrame, rows_b: pd.DataFrame) -> pd.DataFrame:
    """Assignment rows added, removed or changed (role or lock) from ``rows_a`` to ``rows_b``."""
    merged = _keyed(rows_a).merge(_keyed(rows_b), on=[s.VOLUNTEER_ID, s.GRID_CODE], how="outer",
                                  suffixes=("_a", "_b"), indicator=True)
    merged["change"] = merged["_merge"].astype(str).map({"left_only": "removed", "right_only": "added", "both": ""})
    both = merged["_merge"] == "both"
    differs = (merged["role_a"].astype(str) != merged["role_b"].astype(str)) | (
        merged["locked_a"].astype(str) != merged["locked_b"].astype(str))
    merged.loc[both & differs, "change"] = "changed"
    out = merged[merged["change"] != ""][list(CHANGE_COLUMNS)].astype(object)
    return out.sort_values([s.GRID_CODE, s.VOLUNTEER_ID], kind="stable").reset_index(drop=True)


def _summary(project: Project, scenario: str, n_rows: int) -> dict[str, Any]:
    staffing = staffing_by_grid(project, scenario=scenario)
    with_target = staffing[staffing["target"] > 0]
    staffed = int((with_target["short"] == 0).sum())
    counts = rule_counts(find_violations(project, scenario=scenario))
    return {
        "rows": n_rows, "grids_with_target": len(with_target),
        "grids_staffed": staffed,
        "staffed_pct": round(100.0 * staffed / len(with_target), 1) if len(with_target) else 100.0,
        "grids_short": int((staffing["short"] > 0).sum()),
        "over_capacity": counts["over_capacity"],
        "two_micro_leader": counts["two_micro_leader"],
    }


def compare_scenarios(project: Project, a: str, b: str) -> ScenarioDiff:
    """Compare scenarios ``a`` and ``b``: changed rows, staffing per grid, summary figures.

    Service coverage (reach of service points) does not depend on the assignments, so it
    is the same in both scenarios and reported as ``"unchanged"``.

    Raises
    ------
    GeoInputError
        ``edit.unknown_scenario`` for a name that does not exist.
    """
    rows_a, rows_b = scenario_assignments(project, a), scenario_assignments(project, b)
    st_a, st_b = staffing_by_grid(project, scenario=a), staffing_by_grid(project, scenario=b)
    staffing = st_a.merge(st_b[[s.GRID_CODE, "actual", "short", "leader_id"]], on=s.GRID_CODE,
                          suffixes=("_a", "_b"))
    staffing = staffing.rename(columns={"leader_id_a": "leader_a", "leader_id_b": "leader_b"})
    leader_a = staffing["leader_a"].map(lambda v: "" if jsonable(v) is None else str(v))
    leader_b = staffing["leader_b"].map(lambda v: "" if jsonable(v) is None else str(v))
    differs = (staffing["actual_a"] != staffing["actual_b"]) | (leader_a != leader_b)
    staffing = staffing[differs][list(STAFFING_DIFF_COLUMNS)].reset_index(drop=True)
    sum_a, sum_b = _summary(project, a, len(rows_a)), _summary(project, b, len(rows_b))
    summary = pd.DataFrame([{"metric": m, "a": sum_a[m], "b": sum_b[m], "delta": round(sum_b[m] - sum_a[m], 1)}
                            for m in SUMMARY_METRICS], dtype=object)
    return ScenarioDiff(changed_rows(rows_a, rows_b), staffing, summary, "unchanged")
