"""An editing session: undo/redo over edit records, the journal of unsaved edits, and saving it safely.

``History`` holds plain JSON-serialisable lists, so it can live in ``st.session_state``
(``to_dict``/``from_dict``). ``save_edits`` writes the journal and its audit rows in one
atomic project save; when another session saved first it raises ``ConflictError``, or
with ``merge=True`` re-applies this session's edits onto the fresh file and reports the
edits that clash (both sessions changed the same volunteer or grid).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from geo import schema as s
from geo.audit import append_audit
from geo.errors import ConflictError, GeoInputError
from geo.project import Project, load_project, save_project
from geo.store import is_database_url
from geo.records import (
    Record,
    StaleEditError,
    apply_record,
    apply_records,
    invert_record,
    make_change,
    restamp_record,
    table_rows,
    touched_ids,
)

STALE_TEMP_AGE_S = 60.0  # leftover temp files of killed saves older than this are removed


@dataclass
class History:
    """Undo/redo stacks and the journal of edits not yet saved.

    ``done`` are applied records (last = next to undo); ``undone`` are records that can
    be redone; ``journal`` lists every record applied to the project since the last
    save, including undo/redo records, in order: exactly what ``save_edits`` writes.
    """

    done: list[Record] = field(default_factory=list)
    undone: list[Record] = field(default_factory=list)
    journal: list[Record] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-serialisable) for session state."""
        return {"done": list(self.done), "undone": list(self.undone), "journal": list(self.journal)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> History:
        """Rebuild from ``to_dict`` output (``None`` gives an empty history)."""
        data = data or {}
        return cls(list(data.get("done", [])), list(data.get("undone", [])), list(data.get("journal", [])))

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self.done)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self.undone)


def pending_count(history: History) -> int:
    """How many unsaved edits still change the project: an undo cancels the edit it undoes.

    One edit then its undo is 0; undoing an edit saved earlier is 1 (the file changes).
    The journal itself keeps every record (what ``save_edits`` writes to the audit log).
    """
    net: list[str] = []
    for record in history.journal:
        action = str(record["action"])
        top_is_undo = bool(net) and net[-1].startswith("undo:")
        if net and ((action.startswith("undo:") and not top_is_undo) or (action.startswith("redo:") and top_is_undo)):
            net.pop()  # an undo of the last unsaved edit, or a redo of the last unsaved undo
        else:
            net.append(action)
    return len(net)


def record_edit(history: History, record: Record) -> History:
    """A new history with ``record`` done (it clears the redo stack)."""
    return History([*history.done, record], [], [*history.journal, record])


def undo(history: History, project: Project, *, user: str = "", now: str | None = None
         ) -> tuple[History, Project, Record]:
    """Undo the last edit: returns the new history, the project and the undo record.

    Raises
    ------
    GeoInputError
        ``edit.nothing_to_undo``; ``edit.stale`` when the rows changed since.
    """
    if not history.done:
        msg = "nothing to undo"
        raise GeoInputError(msg, code="edit.nothing_to_undo")
    last = history.done[-1]
    inverse = invert_record(last, user=user, now=now)
    project = apply_record(project, inverse)
    return History(history.done[:-1], [*history.undone, last], [*history.journal, inverse]), project, inverse


def redo(history: History, project: Project, *, user: str = "", now: str | None = None
         ) -> tuple[History, Project, Record]:
    """Redo the last undone edit: returns the new history, the project and the redo record.

    Raises
    ------
    GeoInputError
        ``edit.nothing_to_redo``; ``edit.stale`` when the rows changed since.
    """
    if not history.undone:
        msg = "nothing to redo"
        raise GeoInputError(msg, code="edit.nothing_to_redo")
    original = history.undone[-1]
    again = restamp_record(original, user=user, now=now)
    project = apply_record(project, again)
    return History([*history.done, original], history.undone[:-1], [*history.journal, again]), project, again


def mark_saved(history: History) -> History:
    """The history after a successful save: the journal is empty, undo/redo are kept."""
    return History(list(history.done), list(history.undone), [])


# --- merge ----------------------------------------------------------------------------------
class MergeResult(NamedTuple):
    """Edits re-applied onto a fresh project: what went in and what clashed."""

    project: Project
    applied: list[Record]
    conflicts: list[dict[str, Any]]  # {"record": id, "action", "object", "volunteers", "grids", "reason"}


def changed_ids(base: Project, fresh: Project) -> tuple[set[str], set[str]]:
    """Volunteer ids and grid codes whose assignment or point-grid rows differ between two projects."""
    vols: set[str] = set()
    grids: set[str] = set()
    for table, key in ((s.ASSIGNMENTS, (s.VOLUNTEER_ID, s.GRID_CODE)), (s.POINT_GRIDS, (s.POINT_ID, s.LEVEL))):
        a, b = _row_set(base.table(table)), _row_set(fresh.table(table))
        for row in a ^ b:
            d = dict(row)
            diff_record = {"changes": [make_change(table, key, [d], [])]}
            v, g = touched_ids(diff_record)
            vols |= v
            grids |= g
    return vols, grids


_IGNORED_IN_DIFF = (s.UPDATED_AT,)


def _row_set(df: pd.DataFrame) -> set[tuple]:
    if df.empty:
        return set()
    rows = table_rows(df.drop(columns=[c for c in _IGNORED_IN_DIFF if c in df.columns]))
    return {tuple(sorted((k, None if v is None else str(v)) for k, v in r.items())) for r in rows}


def merge_edits(base: Project, fresh: Project, edits: list[Record]) -> MergeResult:
    """Re-apply ``edits`` (made on ``base``) onto ``fresh`` (what is on disk now).

    The conflict rule: an edit clashes when it touches a volunteer or grid that the
    other session also changed (``base`` -> ``fresh``), or when its rows no longer fit.
    Clashing edits are left out and reported; the others are applied in order.
    """
    their_vols, their_grids = changed_ids(base, fresh)
    project = fresh
    applied: list[Record] = []
    conflicts: list[dict[str, Any]] = []
    for record in edits:
        vols, grids = touched_ids(record)
        both_vols, both_grids = sorted(vols & their_vols), sorted(grids & their_grids)
        reason = "both_changed" if both_vols or both_grids else ""
        if not reason:
            try:
                project = apply_record(project, record)
                applied.append(record)
                continue
            except StaleEditError:
                reason = "stale"
        conflicts.append({"record": record["id"], "action": record["action"], "object": record["object"],
                          "volunteers": both_vols, "grids": both_grids, "reason": reason})
    return MergeResult(project, applied, conflicts)


# --- saving -----------------------------------------------------------------------------------
class SaveOutcome(NamedTuple):
    """A finished save: the project as saved, the edits written, and any clashes left out."""

    project: Project
    applied: list[Record]
    conflicts: list[dict[str, Any]]
    merged: bool


def clean_stale_temp_files(path: str | Path, *, older_than_s: float = STALE_TEMP_AGE_S) -> list[Path]:
    """Remove temp files of interrupted saves of ``path`` (``.<stem>.*.tmp.gpkg*``) older than given."""
    path = Path(path)
    removed = []
    cutoff = time.time() - older_than_s
    for tmp in path.parent.glob(f".{path.stem}.*.tmp.gpkg*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue
    return removed


def save_edits(path: str | Path, base_project: Project, edits: list[Record], *, merge: bool = False,
               user: str = "") -> SaveOutcome:
    """Apply ``edits`` to ``base_project`` and save it, with the audit rows, in one atomic write.

    Parameters
    ----------
    base_project
        The project as loaded from ``path`` before the edits (its ``revision`` is the one
        expected on disk).
    edits
        The session journal (``History.journal``).
    merge
        On a conflict, reload ``path`` and re-apply the edits there (``merge_edits``)
        instead of raising.

    Raises
    ------
    ConflictError
        When another session saved ``path`` since ``base_project`` was loaded and
        ``merge`` is False.
    """
    if not is_database_url(path):  # a database URL is not a file path (Path() would mangle its //)
        path = Path(path)
        clean_stale_temp_files(path)
    current = apply_records(base_project, edits)
    try:
        saved = save_project(append_audit(current, edits), path, expected_revision=base_project.revision,
                             user=user)
        return SaveOutcome(saved, list(edits), [], False)
    except ConflictError:
        if not merge:
            raise
    fresh = load_project(path)
    result = merge_edits(base_project, fresh, edits)
    audited = append_audit(result.project, result.applied, conflicts=result.conflicts, user=user)
    saved = save_project(audited, path, expected_revision=fresh.revision, user=user)
    return SaveOutcome(saved, result.applied, result.conflicts, True)
