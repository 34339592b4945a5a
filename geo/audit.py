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

Append-only, tied to the login (issue #15)
-------------------------------------------
``user`` is the signed-in account (the app) or the person at the machine (the command line);
``scope`` the unit it acted in (``scope_key``: ``project``, ``town:<code>``, ``community:<code>``).
Rows are a hash chain: each row stores the previous row's hash (``prev_hash``) and its own
(``row_hash``, SHA-256 over ``prev_hash`` and its content), so ``verify_audit`` names the first
row that was changed, removed or put in between. Every writer appends through
``append_audit``, which links the new rows to the last one; a store links the rows it saves
to the last row it holds (``seal_audit``, inside the save's transaction), so two sessions
saving at once still make one chain, and the stores refuse UPDATE and DELETE on the table
(SQLite triggers, PostgreSQL trigger). Rows written before chaining existed (no ``row_hash``)
are accepted only before the first chained row. A chain without a secret key proves that
rows were not changed *by GridAtlas or by someone who did not recompute every later hash*;
someone who can rewrite the whole file can rewrite the whole chain: keep backups elsewhere.

Personal-data accesses (``personal_data``: who, in which scope, for what purpose, what was
shown or exported) are ordinary events (``log_personal_access``), so they are chained too.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import schema as s
from geo.messages import action_label, t
from geo.values import now_iso, strip_controls

if TYPE_CHECKING:
    from geo.access import Scope
    from geo.project import Project

CONTENT_COLUMNS = ("time", "user", "scenario", "action", "object", "from", "to", "edit_id", "scope")
CHAIN_COLUMNS = ("prev_hash", "row_hash")
AUDIT_COLUMNS = (*CONTENT_COLUMNS, *CHAIN_COLUMNS)
PERSONAL_DATA = "personal_data"
EVENT_ACTIONS = ("import", "point_grids", "staffing_run", "coverage_run", "autogrid", "save", PERSONAL_DATA,
                 "account", "account_locked")
COUNT_SEP = "; "
GENESIS = ""  # the prev_hash of the first chained row


def scope_key(scope: Scope | None) -> str:
    """A scope as audit text: ``project`` (whole project), ``town:<code>`` or ``community:<code>``."""
    if scope is None:
        return ""
    return "project" if scope.level is None else f"{scope.level}:{scope.code}"


# --- the hash chain ------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return str(value)


def row_digest(row: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of ``prev_hash`` and the row's content columns (missing = empty text)."""
    payload = json.dumps([prev_hash, *[_text(row.get(c)) for c in CONTENT_COLUMNS]], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _chain(rows: pd.DataFrame, head: str) -> pd.DataFrame:
    """``rows`` linked one after the other, the first to ``head``."""
    rows = rows.copy()
    prevs, hashes = [], []
    for record in rows.to_dict("records"):
        prevs.append(head)
        head = row_digest(record, head)
        hashes.append(head)
    rows["prev_hash"], rows["row_hash"] = prevs, hashes
    return rows


def last_hash(table: pd.DataFrame) -> str:
    """The ``row_hash`` of the last chained row of an audit table (``GENESIS`` when none)."""
    if "row_hash" not in table.columns or table.empty:
        return GENESIS
    hashes = [_text(h) for h in table["row_hash"].tolist()]
    return next((h for h in reversed(hashes) if h), GENESIS)


def seal_audit(table: pd.DataFrame, *, head: str, stored: Collection[str]) -> pd.DataFrame:
    """The audit table with its rows that are not ``stored`` yet re-linked after ``head``.

    A store calls it inside a save, with the hash of the last row it holds (``head``) and the
    hashes of the rows it holds (``stored``): rows another session saved since this project was
    loaded come before this session's new rows, and the chain stays one line. Rows without a
    hash (written before chaining) are left as they are.
    """
    if "row_hash" not in table.columns or table.empty:
        return table
    hashes = table["row_hash"].map(_text)
    new = (hashes != "") & ~hashes.isin(set(stored))
    if not new.any():
        return table
    first = int(new.to_numpy().argmax())
    if bool(new.iloc[first:].all()) and _text(table["prev_hash"].iloc[first]) == head:
        return table  # already linked to what the store holds
    out = table.copy()
    positions = new.to_numpy().nonzero()[0]
    linked = _chain(out.iloc[positions][list(CONTENT_COLUMNS)] if set(CONTENT_COLUMNS) <= set(out.columns)
                    else out.iloc[positions].reindex(columns=list(CONTENT_COLUMNS)), head)
    out.loc[out.index[positions], "prev_hash"] = linked["prev_hash"].to_numpy()
    out.loc[out.index[positions], "row_hash"] = linked["row_hash"].to_numpy()
    return out


def keep_stored(stored: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """The audit log a store keeps when a project it did not load is saved over it.

    Every stored row stays (the log is append-only); ``mine``'s chained rows that are not stored
    follow them (``seal_audit`` then links them after the last stored row).
    """
    if stored.empty:
        return mine
    known = set(stored["row_hash"].map(_text)) if "row_hash" in stored.columns else set()
    if "row_hash" in mine.columns:
        hashes = mine["row_hash"].map(_text)
        mine = mine[(hashes != "") & ~hashes.isin(known)]
    else:
        mine = mine.iloc[0:0]
    return pd.concat([stored, mine], ignore_index=True) if len(mine) else stored.reset_index(drop=True)


@dataclass(frozen=True)
class AuditCheck:
    """What ``verify_audit`` found: ``ok``, rows checked, rows from before chaining, the first broken row."""

    ok: bool
    rows: int
    unchained: int = 0
    broken_row: int | None = None  # 0-based position in the table as stored (its order)
    reason: str = ""  # "changed" (content or hash edited), "link" (a row removed or put in between), "unchained"
    time: str = ""
    action: str = ""


def verify_audit(project: Project) -> AuditCheck:
    """Check the audit log's hash chain in stored order; name the first broken row.

    A row is broken when its ``row_hash`` does not match its content (``changed``), when its
    ``prev_hash`` is not the previous chained row's hash (``link``: a row was removed or put in
    between), or when an unchained row follows a chained one (``unchained``).
    """
    table = project.table(s.AUDIT)
    if table.empty:
        return AuditCheck(ok=True, rows=0)
    records = table.to_dict("records")
    head, chained, unchained = GENESIS, False, 0
    for i, row in enumerate(records):
        own, prev = _text(row.get("row_hash")), _text(row.get("prev_hash"))
        reason = ""
        if not own:
            if chained:
                reason = "unchained"
            else:
                unchained += 1
                continue
        elif prev != head:
            reason = "link"
        elif row_digest(row, prev) != own:
            reason = "changed"
        if reason:
            return AuditCheck(ok=False, rows=len(records), unchained=unchained, broken_row=i, reason=reason,
                              time=_text(row.get("time")), action=_text(row.get("action")))
        chained, head = True, own
    return AuditCheck(ok=True, rows=len(records), unchained=unchained)


def audit_rows(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Audit rows for edit records (``geo.edits.make_record``), in the given order (not yet chained).

    Control characters are removed from every field (a GeoPackage cuts text at NUL, and the
    log is read by people): what is stored is what was hashed.
    """
    rows = [{"time": r.get("time", ""), "user": r.get("user", ""), "scenario": r.get("scenario", ""),
             "action": r.get("action", ""), "object": r.get("object", ""), "from": r.get("from", ""),
             "to": r.get("to", ""), "edit_id": r.get("id", ""), "scope": r.get("scope", ""),
             "prev_hash": "", "row_hash": ""} for r in records]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)).astype(str).map(strip_controls)


def conflict_rows(conflicts: Iterable[dict[str, Any]], *, user: str, time: str) -> pd.DataFrame:
    """Audit rows noting edits left out by a merge (action ``merge_conflict``)."""
    rows = [{"time": time, "user": user, "scenario": "", "action": "merge_conflict",
             "object": str(c.get("object", "")), "from": c.get("reason", ""),
             "to": ";".join(map(str, [*c.get("volunteers", []), *c.get("grids", [])])),
             "edit_id": str(c.get("record", "")), "scope": "", "prev_hash": "", "row_hash": ""} for c in conflicts]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)).astype(str).map(strip_controls)


def append_audit(project: Project, records: Iterable[dict[str, Any]], *,
                 conflicts: Iterable[dict[str, Any]] = (), user: str = "") -> Project:
    """``project`` with audit rows for ``records`` (and merge ``conflicts``) appended to table ``audit``.

    The one writer of audit rows: they are linked to the last row of the chain (``row_digest``).
    """
    new = [audit_rows(records), conflict_rows(conflicts, user=user, time=now_iso())]
    new = [df for df in new if len(df)]
    if not new:
        return project
    old = project.table(s.AUDIT)
    added = _chain(pd.concat(new, ignore_index=True) if len(new) > 1 else new[0], last_hash(old))
    frames = ([old] if len(old) else []) + [added]
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    return project.with_table(s.AUDIT, table)


def read_audit(project: Project, *, scenario: str | None = None, user: str | None = None,
               action: str | None = None, unit: str | None = None) -> pd.DataFrame:
    """The audit log, newest first, optionally filtered by scenario, user, action and unit.

    ``unit`` (a town or community code) keeps rows whose scope is that unit or whose object
    names it (edits of its grids, runs over its communities).
    """
    log = project.table(s.AUDIT)
    if log.empty:
        return pd.DataFrame(columns=list(AUDIT_COLUMNS))
    if scenario is not None:
        log = log[log["scenario"] == scenario]
    if user is not None:
        log = log[log["user"] == user]
    if action is not None:
        log = log[log["action"] == action]
    if unit:
        scope = log["scope"].map(_text) if "scope" in log.columns else pd.Series("", index=log.index)
        log = log[scope.str.endswith(f":{unit}") | log["object"].map(_text).str.contains(unit, regex=False)]
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
              detail: str = "", scenario: str | None = None, now: str | None = None, scope: str = "") -> Project:
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
    scope
        The unit the user acted in (``scope_key``).
    """
    record = {"id": uuid.uuid4().hex, "time": now or now_iso(), "user": user,
              "scenario": scenario or project.active_scenario, "action": action, "object": obj,
              "from": detail, "to": counts_text(counts), "scope": scope}
    return append_audit(project, [record])


def log_personal_access(project: Project, *, scope: Scope, purpose: str, what: str,
                        counts: Mapping[str, float], now: str | None = None) -> Project:
    """``project`` with one ``personal_data`` row: who (``scope.user``), in which scope, why, what.

    ``what`` names what was shown or exported unmasked (e.g. ``volunteers.phone``); ``purpose``
    is the reason the user gave (stored in ``from``); ``counts`` how many rows or people.
    """
    return log_event(project, action=PERSONAL_DATA, counts=counts, user=scope.user, obj=what, detail=purpose,
                     scope=scope_key(scope), now=now)


def localise_audit(log: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The audit log for display: actions as labels and counts keys in ``lang`` (codes kept in the file).

    The hash chain columns are left out (they are for ``verify_audit`` and the CSV export).
    """
    log = log.drop(columns=[c for c in CHAIN_COLUMNS if c in log.columns])
    if log.empty:
        return log
    out = log.copy()
    events = out["action"].isin(EVENT_ACTIONS)
    out.loc[events, "to"] = out.loc[events, "to"].map(lambda text: COUNT_SEP.join(
        f"{t(f'edit.count.{k}', lang)}={v}" for k, v in read_counts(text).items()))
    out["action"] = out["action"].map(lambda a: action_label(a, lang))
    return out
