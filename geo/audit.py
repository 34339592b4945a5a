"""The audit log: one row per change in table ``audit`` (time, user, scenario, action, object, from, to).

Two kinds of rows, one shape (``AUDIT_COLUMNS``):

- hand edits: one row per edit record (``geo.edits.make_record``), written by ``append_audit``;
- whole operations: one row per run, written by ``log_event`` inside the geo function that does
  the work, so the command line and the app log it alike:

  ==================  =====================================  ==================================
  action              written by                             from / to
  ==================  =====================================  ==================================
  ``import``          ``geo.io.build_project``               source files / features per layer
  ``point_grids``     ``geo.staffing.assign_project``        — / points placed, rows, unplaced
  ``staffing_run``    ``geo.staffing.staff_project``         — / added, removed, moved, kept...
  ``coverage_run``    ``geo.coverage.with_coverage``         — / grids, categories, radii, rows
  ``autogrid``        ``geo.autogrid.autogrid_project``      assignments removed / grid counts
  ``save``            ``geo.project.save_project``           — / revision, features per layer
  ==================  =====================================  ==================================

  ``to`` holds the counts as ``key=value; key=value`` (``counts_text``; ``read_counts`` parses it).

Scenario switches are edit records (``geo.scenarios.switch_scenario``) and reach the log with
the other edits of a session (``geo.history.save_edits``). This module imports only the schema
and the clock, so every geo module can log without an import cycle.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import schema as s
from geo.messages import action_label, t
from geo.values import now_iso

if TYPE_CHECKING:
    from geo.project import Project

AUDIT_COLUMNS = ("time", "user", "scenario", "action", "object", "from", "to", "edit_id")
EVENT_ACTIONS = ("import", "point_grids", "staffing_run", "coverage_run", "autogrid", "save")
COUNT_SEP = "; "


def audit_rows(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Audit rows for edit records (``geo.edits.make_record``), in the given order."""
    rows = [{"time": r.get("time", ""), "user": r.get("user", ""), "scenario": r.get("scenario", ""),
             "action": r.get("action", ""), "object": r.get("object", ""), "from": r.get("from", ""),
             "to": r.get("to", ""), "edit_id": r.get("id", "")} for r in records]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)).astype(str)


def conflict_rows(conflicts: Iterable[dict[str, Any]], *, user: str, time: str) -> pd.DataFrame:
    """Audit rows noting edits left out by a merge (action ``merge_conflict``)."""
    rows = [{"time": time, "user": user, "scenario": "", "action": "merge_conflict",
             "object": str(c.get("object", "")), "from": c.get("reason", ""),
             "to": ";".join(map(str, [*c.get("volunteers", []), *c.get("grids", [])])),
             "edit_id": str(c.get("record", ""))} for c in conflicts]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)).astype(str)


def append_audit(project: Project, records: Iterable[dict[str, Any]], *,
                 conflicts: Iterable[dict[str, Any]] = (), user: str = "") -> Project:
    """``project`` with audit rows for ``records`` (and merge ``conflicts``) appended to table ``audit``."""
    new = [audit_rows(records), conflict_rows(conflicts, user=user, time=now_iso())]
    new = [df for df in new if len(df)]
    if not new:
        return project
    old = project.table(s.AUDIT)
    frames = ([old] if len(old) else []) + new
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    return project.with_table(s.AUDIT, table)


def read_audit(project: Project, *, scenario: str | None = None, user: str | None = None) -> pd.DataFrame:
    """The audit log, newest first, optionally filtered by scenario and user."""
    log = project.table(s.AUDIT)
    if log.empty:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    if scenario is not None:
        log = log[log["scenario"] == scenario]
    if user is not None:
        log = log[log["user"] == user]
    return log.sort_values("time", ascending=False, kind="stable").reset_index(drop=True)


# --- whole operations ---------------------------------------------------------------------------
def counts_text(counts: Mapping[str, float]) -> str:
    """Counts as audit text, in the given order: ``grids=12; rows=36`` (fractions to 4 decimals)."""
    def value(v: float) -> str:
        number = float(v)
        return str(int(number)) if number.is_integer() else str(round(number, 4))

    return COUNT_SEP.join(f"{k}={value(v)}" for k, v in counts.items())


def read_counts(text: str) -> dict[str, int | float]:
    """The counts of a ``counts_text`` string (``"grids=12; rows=36"`` -> ``{"grids": 12, "rows": 36}``)."""
    out: dict[str, int | float] = {}
    for part in str(text or "").split(COUNT_SEP):
        key, sep, raw = part.partition("=")
        if sep:
            number = float(raw)
            out[key.strip()] = int(number) if number.is_integer() else number
    return out


def project_counts(project: Project) -> dict[str, int]:
    """Features per non-empty layer and rows of the assignments table (every scenario): import and save rows."""
    counts = {name: len(gdf) for name, gdf in project.layers.items() if len(gdf)}
    if len(project.table(s.ASSIGNMENTS)):
        counts[s.ASSIGNMENTS] = len(project.table(s.ASSIGNMENTS))
    return counts


def log_event(project: Project, *, action: str, counts: Mapping[str, float], user: str = "", obj: str = "",
              detail: str = "", scenario: str | None = None, now: str | None = None) -> Project:
    """``project`` with one audit row for a whole operation (an import, a run, a save) appended.

    Parameters
    ----------
    action
        One of ``EVENT_ACTIONS`` (labels ``edit.action.<action>`` in the catalogue).
    counts
        What the operation produced, ``{name: number}``; stored in ``to`` (``counts_text``).
    obj
        What it acted on (a table, community codes, a file name).
    detail
        What it replaced or read, stored in ``from`` (the assignments auto-gridding removed,
        the source files of an import).
    scenario
        The scenario written; default the project's active scenario.
    """
    record = {"id": uuid.uuid4().hex, "time": now or now_iso(), "user": user,
              "scenario": scenario or project.active_scenario, "action": action, "object": obj,
              "from": detail, "to": counts_text(counts)}
    return append_audit(project, [record])


def localise_audit(log: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The audit log for display: actions as labels and counts keys in ``lang`` (codes kept in the file)."""
    if log.empty:
        return log
    out = log.copy()
    events = out["action"].isin(EVENT_ACTIONS)
    out.loc[events, "to"] = out.loc[events, "to"].map(lambda text: COUNT_SEP.join(
        f"{t(f'edit.count.{k}', lang)}={v}" for k, v in read_counts(text).items()))
    out["action"] = out["action"].map(lambda a: action_label(a, lang))
    return out
