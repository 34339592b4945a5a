"""Edit records: which rows of which table changed, by whom, when, in which scenario; apply, invert, replay.

An *edit record* is a JSON-serialisable dict that says exactly which rows of which table
changed (``before`` and ``after`` copies of the touched rows, matched on a key) and who made
the change, when, in which scenario. Records are applied to a project (``apply_record``),
inverted for undo (``invert_record``), re-applied onto another copy of the project for a merge
(``geo.history``), and turned into audit rows (``geo.audit``). The operations that make them are
``geo.edits`` and ``geo.scenarios``.
"""
from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from geo import schema as s
from geo.errors import GeoInputError
from geo.project import Project
from geo.values import is_true, now_iso

Row = dict[str, Any]
Record = dict[str, Any]

ASSIGNMENT_KEY = (s.VOLUNTEER_ID, s.GRID_CODE, s.SCENARIO)
ASSIGNMENT_COMPARE = (s.ROLE, s.LOCKED)  # fields that must still match for an edit to apply
POINT_GRID_KEY = (s.POINT_ID, s.LEVEL)
SUMMARY_LIMIT = 12  # rows listed in an audit "from"/"to" text before "... (+N)"


class StaleEditError(GeoInputError):
    """An edit record no longer fits the table (the rows it changes were changed elsewhere)."""

    code = "edit.stale"


# --- small value helpers -----------------------------------------------------------------
def jsonable(value: Any) -> Any:
    """``value`` as a plain JSON value (numpy scalars unwrapped, NaN/NA/NaT -> None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def _norm(column: str, value: Any) -> Any:
    if column == s.LOCKED:
        return is_true(value)
    value = jsonable(value)
    if column == s.SCENARIO and value in (None, ""):
        return s.DEFAULT_SCENARIO
    return None if value is None else str(value)


def _row_key(row: Row, key: Sequence[str]) -> tuple:
    return tuple(_norm(k, row.get(k)) for k in key)


def _table_keys(df: pd.DataFrame, key: Sequence[str]) -> list[tuple]:
    if df.empty:
        return []
    cols = [df[k].map(lambda v, k=k: _norm(k, v)) if k in df.columns else pd.Series([None] * len(df))
            for k in key]
    return list(zip(*(c.tolist() for c in cols)))


def table_rows(df: pd.DataFrame) -> list[Row]:
    """The rows of ``df`` as JSON-serialisable dicts (the index is dropped)."""
    return [{str(k): jsonable(v) for k, v in row.items()} for row in df.to_dict("records")]


# --- records -----------------------------------------------------------------------------
def make_change(table: str, key: Sequence[str], before: list[Row], after: list[Row], *,
                compare: Sequence[str] = ()) -> dict[str, Any]:
    """One table's part of an edit record: touched rows before and after, matched on ``key``."""
    return {"table": table, "key": list(key), "compare": list(compare), "before": before, "after": after}


def rows_text(table: str, rows: list[Row], *, limit: int | None = SUMMARY_LIMIT) -> str:
    """Rows of ``table`` as audit text (``V1@G1(leader); ...``): the form of a record's from/to.

    ``limit`` rows are listed, then ``... (+N)``; ``None`` lists every row.
    """
    return _summary([make_change(table, (), rows, [])], "before", limit=limit)


def _summary(changes: list[dict[str, Any]], side: str, *, limit: int | None = SUMMARY_LIMIT) -> str:
    parts: list[str] = []
    for change in changes:
        for row in change[side]:
            if change["table"] == s.ASSIGNMENTS:
                lock = ",locked" if is_true(row.get(s.LOCKED)) else ""
                parts.append(f"{row.get(s.VOLUNTEER_ID)}@{row.get(s.GRID_CODE)}({row.get(s.ROLE)}{lock})")
            elif change["table"] == s.POINT_GRIDS:
                parts.append(f"{row.get(s.POINT_ID)}@{row.get(s.GRID_CODE)}")
            else:
                parts.append(f"{change['table']}:{'/'.join(str(row.get(k)) for k in change['key'])}")
    limit = len(parts) if limit is None else limit
    shown = "; ".join(parts[:limit])
    if len(parts) > limit:
        shown += f"; ... (+{len(parts) - limit})"
    return shown


def make_record(action: str, obj: str, changes: list[dict[str, Any]], *, user: str = "",
                scenario: str = s.DEFAULT_SCENARIO, now: str | None = None,
                meta: dict[str, list[Any]] | None = None) -> Record:
    """An edit record.

    Parameters
    ----------
    action
        What was done (``add``, ``remove``, ``replace``, ``lock``...).
    obj
        The object edited, as text (a grid code, volunteer id, community code...).
    changes
        ``make_change`` dicts, one per table touched.
    meta
        Project metadata changed by the edit, as ``{key: [old, new]}``.
    """
    record = {
        "id": uuid.uuid4().hex, "action": action, "object": obj, "time": now or now_iso(),
        "user": user, "scenario": scenario, "changes": changes, "meta": dict(meta or {}),
    }
    record["from"] = _summary(changes, "before")
    record["to"] = _summary(changes, "after")
    if record["meta"]:
        extra = "; ".join(f"{k}={v[0]}" for k, v in record["meta"].items())
        record["from"] = "; ".join(p for p in (record["from"], extra) if p)
        record["to"] = "; ".join(p for p in (record["to"], "; ".join(
            f"{k}={v[1]}" for k, v in record["meta"].items())) if p)
    return record


def invert_record(record: Record, *, user: str = "", now: str | None = None, prefix: str = "undo") -> Record:
    """The record that undoes ``record`` (before and after swapped, meta reversed)."""
    changes = [make_change(c["table"], c["key"], c["after"], c["before"], compare=c.get("compare", ()))
               for c in record["changes"]]
    meta = {k: [v[1], v[0]] for k, v in record.get("meta", {}).items()}
    inverse = make_record(f"{prefix}:{record['action']}", record["object"], changes, user=user,
                          scenario=record.get("scenario", s.DEFAULT_SCENARIO), now=now, meta=meta)
    inverse["of"] = record["id"]
    return inverse


def restamp_record(record: Record, *, user: str = "", now: str | None = None, prefix: str = "redo") -> Record:
    """A copy of ``record`` with a new id, time and user (for redo)."""
    again = make_record(f"{prefix}:{record['action']}", record["object"], record["changes"], user=user,
                        scenario=record.get("scenario", s.DEFAULT_SCENARIO), now=now,
                        meta=record.get("meta"))
    again["of"] = record["id"]
    return again


def touched_ids(record: Record) -> tuple[set[str], set[str]]:
    """The volunteer ids and grid codes (incl. point ids) that ``record`` changes."""
    vols: set[str] = set()
    grids: set[str] = set()
    for change in record["changes"]:
        for row in change["before"] + change["after"]:
            if row.get(s.VOLUNTEER_ID) is not None:
                vols.add(str(row[s.VOLUNTEER_ID]))
            if row.get(s.POINT_ID) is not None:
                vols.add(f"point:{row[s.POINT_ID]}")
            if row.get(s.GRID_CODE) is not None and change["table"] in (s.ASSIGNMENTS, s.POINT_GRIDS):
                grids.add(str(row[s.GRID_CODE]))
        if change["table"] not in (s.ASSIGNMENTS, s.POINT_GRIDS):
            for row in change["before"] + change["after"]:
                vols.add(f"{change['table']}:{_row_key(row, change['key'])}")
    return vols, grids


# --- applying records ----------------------------------------------------------------------
def apply_change(df: pd.DataFrame, change: dict[str, Any]) -> pd.DataFrame:
    """Apply one table change to ``df``; return a new frame (index reset).

    Raises
    ------
    StaleEditError
        When a row the change expects is missing or differs in a compared field, or a
        row it adds already exists.
    """
    key = change["key"]
    keys = _table_keys(df, key)
    positions = {k: i for i, k in enumerate(keys)}
    before = {_row_key(r, key): r for r in change["before"]}
    after = {_row_key(r, key): r for r in change["after"]}
    _check_applicable(change, positions, before, after, df)
    drop = [positions[k] for k in before]
    kept = df.drop(index=df.index[drop]) if drop else df
    if not after:
        return typed_table(change["table"], kept.reset_index(drop=True))
    columns = list(df.columns) + [c for r in change["after"] for c in r if c not in df.columns]
    columns = list(dict.fromkeys(columns))
    new = pd.DataFrame([{c: r.get(c) for c in columns} for r in change["after"]], columns=columns)
    new = _match_dtypes(new, df)
    out = new.reset_index(drop=True) if kept.empty else pd.concat([kept, new], ignore_index=True)
    return typed_table(change["table"], out)


def typed_table(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with real dtypes: assignments get bool ``locked``, int ``version``, float ``distance_m``."""
    out = df.infer_objects()
    if table != s.ASSIGNMENTS:
        return out
    if s.LOCKED in out.columns:
        out[s.LOCKED] = out[s.LOCKED].map(is_true).astype(bool)
    if s.VERSION in out.columns:
        out[s.VERSION] = pd.to_numeric(out[s.VERSION], errors="coerce").fillna(0).astype("int64")
    if s.DISTANCE_M in out.columns:
        out[s.DISTANCE_M] = pd.to_numeric(out[s.DISTANCE_M], errors="coerce").astype(float)
    return out


def _check_applicable(change: dict[str, Any], positions: dict[tuple, int], before: dict, after: dict,
                      df: pd.DataFrame) -> None:
    missing = [k for k in before if k not in positions]
    existing = [k for k in after if k not in before and k in positions]
    differing = []
    for k, row in before.items():
        if k in positions:
            disk = df.iloc[positions[k]]
            if any(_norm(c, disk.get(c)) != _norm(c, row.get(c)) for c in change.get("compare", ())
                   if c in df.columns):
                differing.append(k)
    bad = missing + existing + differing
    if bad:
        ids = ["/".join(str(p) for p in k) for k in bad]
        msg = f"edit on table {change['table']} no longer fits rows {ids}"
        raise StaleEditError(msg, table=change["table"], ids=ids)


def _match_dtypes(new: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    out = new.copy()
    for col in out.columns:
        if col not in like.columns or out[col].isna().any():
            continue
        try:
            out[col] = out[col].astype(like[col].dtype)
        except (TypeError, ValueError):
            pass
    return out


def apply_record(project: Project, record: Record) -> Project:
    """``project`` with the edit ``record`` applied (every table change and meta change).

    Raises
    ------
    StaleEditError
        When the record does not fit the project's current rows.
    """
    out = project
    for change in record["changes"]:
        out = out.with_table(change["table"], apply_change(out.table(change["table"]), change))
    for key, (_, new) in (record.get("meta") or {}).items():
        out = out.with_active_scenario(new) if key == s.SCENARIO else out.with_meta(**{key: new})
    return out


def apply_records(project: Project, records: Iterable[Record]) -> Project:
    """``project`` with each record applied in order."""
    for record in records:
        project = apply_record(project, record)
    return project


