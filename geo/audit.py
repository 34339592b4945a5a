"""The audit log: one row per edit in table ``audit`` (time, user, scenario, action, object, from, to)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo import schema as s
from geo.project import Project
from geo.values import now_iso

AUDIT_COLUMNS = ("time", "user", "scenario", "action", "object", "from", "to", "edit_id")


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
