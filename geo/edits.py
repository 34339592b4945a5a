"""Manual edits of grid staffing: pure operations returning a new table and an edit record.

The assignments table holds every scenario; a row belongs to the scenario named in its
``scenario`` column (blank means the default 基线, as in ``geo.staffing``). Edits act on
the rows of one scenario only.

Each operation returns the new table and an edit record (``geo.records``): undoable and audited.

After each edit ``run_edit`` runs the rule checks of ``geo.rules`` (they report, never forbid).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import pandas as pd

from geo import schema as s
from geo.errors import GeoInputError
from geo.hierarchy import grid_tree, unit_grid_codes
from geo.privacy import mask_name
from geo.project import Project, scenario_rows
from geo.records import (
    ASSIGNMENT_COMPARE,
    ASSIGNMENT_KEY,
    POINT_GRID_KEY,
    Record,
    Row,
    _norm,
    apply_change,
    apply_record,
    jsonable,
    make_change,
    make_record,
    table_rows,
)
from geo.rules import capacities, find_violations
from geo.values import is_true, now_iso


class Edit(NamedTuple):
    """The result of one edit operation: the new table and the record describing it."""

    table: pd.DataFrame
    record: Record


class EditOutcome(NamedTuple):
    """An edit applied to a project, with the rule checks after it."""

    project: Project
    record: Record
    violations: pd.DataFrame  # all violations after the edit
    introduced: pd.DataFrame  # violations that were not there before the edit


# --- assignment-table operations -------------------------------------------------------------
def _require_columns(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty and not len(df.columns):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in s.ASSIGNMENT_COLUMNS})
    return df


def _rows_where(df: pd.DataFrame, **equals: Any) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for col, value in equals.items():
        mask &= df[col].map(lambda v, col=col: _norm(col, v)) == _norm(col, value)
    return df[mask]


def _assignment_row(volunteer_id: str, grid_code: str, role: str, *, distance_m: float | None,
                    locked: bool, version: int, now: str, scenario: str, method: str = "manual") -> Row:
    return {s.VOLUNTEER_ID: str(volunteer_id), s.GRID_CODE: str(grid_code), s.ROLE: role, s.METHOD: method,
            s.DISTANCE_M: jsonable(distance_m), s.LOCKED: bool(locked), s.VERSION: int(version),
            s.UPDATED_AT: now, s.SCENARIO: scenario}


def _finish(df: pd.DataFrame, action: str, obj: str, before: list[Row], after: list[Row], *,
            user: str, scenario: str, now: str) -> Edit:
    change = make_change(s.ASSIGNMENTS, ASSIGNMENT_KEY, before, after, compare=ASSIGNMENT_COMPARE)
    record = make_record(action, obj, [change], user=user, scenario=scenario, now=now)
    return Edit(apply_change(df, change), record)


def _no_change(action: str, obj: str) -> GeoInputError:
    msg = f"{action} on {obj} changes nothing"
    return GeoInputError(msg, code="edit.no_change", action=action, object=obj)


def add_volunteer(assignments: pd.DataFrame, *, volunteer_id: str, grid_code: str, role: str = "member",
                  distance_m: float | None = None, user: str = "", scenario: str = s.DEFAULT_SCENARIO,
                  now: str | None = None) -> Edit:
    """Assign a volunteer to a grid by hand (method ``manual``).

    Parameters
    ----------
    role
        One of ``geo.schema.ROLES``.
    distance_m
        Distance from the volunteer to the grid in metres (EPSG:32648), when known.

    Raises
    ------
    GeoInputError
        ``edit.already_assigned`` when the volunteer already serves this grid;
        ``edit.bad_role`` for an unknown role.
    """
    df = _require_columns(assignments)
    now = now or now_iso()
    if role not in s.ROLES:
        msg = f"unknown role {role!r}"
        raise GeoInputError(msg, code="edit.bad_role", role=role, roles=list(s.ROLES))
    if not _rows_where(df, volunteer_id=volunteer_id, grid_code=grid_code, scenario=scenario).empty:
        msg = f"{volunteer_id} already serves {grid_code}"
        raise GeoInputError(msg, code="edit.already_assigned", volunteer_id=volunteer_id, grid_code=grid_code)
    row = _assignment_row(volunteer_id, grid_code, role, distance_m=distance_m, locked=False, version=1,
                          now=now, scenario=scenario)
    return _finish(df, "add", str(grid_code), [], [row], user=user, scenario=scenario, now=now)


def _existing(df: pd.DataFrame, volunteer_id: str, grid_code: str, *, scenario: str, allow_locked: bool) -> Row:
    rows = _rows_where(df, volunteer_id=volunteer_id, grid_code=grid_code, scenario=scenario)
    if rows.empty:
        msg = f"{volunteer_id} does not serve {grid_code}"
        raise GeoInputError(msg, code="edit.not_assigned", volunteer_id=volunteer_id, grid_code=grid_code)
    row = table_rows(rows.head(1))[0]
    if not allow_locked and is_true(row.get(s.LOCKED)):
        msg = f"{volunteer_id} in {grid_code} is locked"
        raise GeoInputError(msg, code="edit.locked", volunteer_id=volunteer_id, grid_code=grid_code)
    return row


def remove_volunteer(assignments: pd.DataFrame, *, volunteer_id: str, grid_code: str, user: str = "",
                     scenario: str = s.DEFAULT_SCENARIO, now: str | None = None) -> Edit:
    """Remove a volunteer from a grid.

    Raises
    ------
    GeoInputError
        ``edit.not_assigned`` when the volunteer does not serve the grid; ``edit.locked``
        when the assignment is locked (unlock it first).
    """
    df = _require_columns(assignments)
    row = _existing(df, volunteer_id, grid_code, scenario=scenario, allow_locked=False)
    return _finish(df, "remove", str(grid_code), [row], [], user=user, scenario=scenario, now=now or now_iso())


def replace_volunteer(assignments: pd.DataFrame, *, grid_code: str, old_id: str, new_id: str,
                      distance_m: float | None = None, user: str = "", scenario: str = s.DEFAULT_SCENARIO,
                      now: str | None = None) -> Edit:
    """Replace ``old_id`` by ``new_id`` in a grid, keeping the role.

    Raises
    ------
    GeoInputError
        ``edit.not_assigned``, ``edit.locked`` (for ``old_id``) or ``edit.already_assigned``
        (``new_id`` already serves the grid).
    """
    df = _require_columns(assignments)
    now = now or now_iso()
    old = _existing(df, old_id, grid_code, scenario=scenario, allow_locked=False)
    if not _rows_where(df, volunteer_id=new_id, grid_code=grid_code, scenario=scenario).empty:
        msg = f"{new_id} already serves {grid_code}"
        raise GeoInputError(msg, code="edit.already_assigned", volunteer_id=new_id, grid_code=grid_code)
    new = _assignment_row(new_id, grid_code, str(old.get(s.ROLE) or "member"), distance_m=distance_m,
                          locked=False, version=1, now=now, scenario=scenario)
    return _finish(df, "replace", str(grid_code), [old], [new], user=user, scenario=scenario, now=now)


def set_role(assignments: pd.DataFrame, *, volunteer_id: str, grid_code: str, role: str, user: str = "",
             scenario: str = s.DEFAULT_SCENARIO, now: str | None = None) -> Edit:
    """Change the role of one assignment (e.g. make a member the micro-grid leader)."""
    df = _require_columns(assignments)
    now = now or now_iso()
    if role not in s.ROLES:
        msg = f"unknown role {role!r}"
        raise GeoInputError(msg, code="edit.bad_role", role=role, roles=list(s.ROLES))
    old = _existing(df, volunteer_id, grid_code, scenario=scenario, allow_locked=False)
    if old.get(s.ROLE) == role:
        raise _no_change("role", f"{volunteer_id}@{grid_code}")
    new = {**old, s.ROLE: role, s.METHOD: "manual", s.VERSION: int(old.get(s.VERSION) or 0) + 1,
           s.UPDATED_AT: now}
    return _finish(df, "role", str(grid_code), [old], [new], user=user, scenario=scenario, now=now)


def _set_locked(df: pd.DataFrame, rows: pd.DataFrame, *, locked: bool, action: str, obj: str, user: str,
                scenario: str, now: str | None) -> Edit:
    now = now or now_iso()
    targets = [r for r in table_rows(rows) if is_true(r.get(s.LOCKED)) != locked]
    if not targets:
        raise _no_change(action, obj)
    after = [{**r, s.LOCKED: locked, s.VERSION: int(r.get(s.VERSION) or 0) + 1, s.UPDATED_AT: now}
             for r in targets]
    return _finish(df, action, obj, targets, after, user=user, scenario=scenario, now=now)


def lock_assignment(assignments: pd.DataFrame, *, volunteer_id: str, grid_code: str, locked: bool = True,
                    user: str = "", scenario: str = s.DEFAULT_SCENARIO, now: str | None = None) -> Edit:
    """Lock (or with ``locked=False`` unlock) one assignment so re-optimising keeps it.

    Raises
    ------
    GeoInputError
        ``edit.not_assigned``; ``edit.no_change`` when it is already in that state.
    """
    df = _require_columns(assignments)
    _existing(df, volunteer_id, grid_code, scenario=scenario, allow_locked=True)
    rows = _rows_where(df, volunteer_id=volunteer_id, grid_code=grid_code, scenario=scenario)
    return _set_locked(df, rows, locked=locked, action="lock" if locked else "unlock",
                       obj=f"{volunteer_id}@{grid_code}", user=user, scenario=scenario, now=now)


def lock_grids(assignments: pd.DataFrame, grid_codes: Iterable[str], *, locked: bool = True, user: str = "",
               scenario: str = s.DEFAULT_SCENARIO, now: str | None = None, label: str | None = None) -> Edit:
    """Lock (or unlock) every assignment of the given grids: one bulk edit.

    Parameters
    ----------
    label
        The object named in the record (e.g. the community code); default the grid codes.

    Raises
    ------
    GeoInputError
        ``edit.no_change`` when no assignment of these grids changes state.
    """
    df = _require_columns(assignments)
    codes = {str(c) for c in grid_codes}
    rows = scenario_rows(df, scenario)
    rows = rows[rows[s.GRID_CODE].astype(str).isin(codes)] if len(rows) else rows
    obj = label or ",".join(sorted(codes))
    return _set_locked(df, rows, locked=locked, action="lock_grids" if locked else "unlock_grids", obj=obj,
                       user=user, scenario=scenario, now=now)


def clear_grids(assignments: pd.DataFrame, grid_codes: Iterable[str], *, user: str = "",
                scenario: str = s.DEFAULT_SCENARIO, now: str | None = None, label: str | None = None) -> Edit:
    """Remove every unlocked assignment of the given grids (bulk); locked ones stay.

    Raises
    ------
    GeoInputError
        ``edit.no_change`` when there is nothing unlocked to remove.
    """
    df = _require_columns(assignments)
    codes = {str(c) for c in grid_codes}
    rows = scenario_rows(df, scenario)
    rows = rows[rows[s.GRID_CODE].astype(str).isin(codes)] if len(rows) else rows
    targets = [r for r in table_rows(rows) if not is_true(r.get(s.LOCKED))]
    obj = label or ",".join(sorted(codes))
    if not targets:
        raise _no_change("clear", obj)
    return _finish(df, "clear", obj, targets, [], user=user, scenario=scenario, now=now or now_iso())


def move_service_point(point_grids: pd.DataFrame, *, point_id: str, grid_code: str, level: str,
                       user: str = "", scenario: str = s.DEFAULT_SCENARIO, now: str | None = None) -> Edit:
    """Put a service point in another grid of the given level (table ``point_grids``).

    Raises
    ------
    GeoInputError
        ``edit.no_change`` when the point already belongs to that grid.
    """
    df = point_grids
    if df.empty and not len(df.columns):
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in (s.POINT_ID, s.LEVEL, s.GRID_CODE)})
    now = now or now_iso()
    rows = _rows_where(df, **{s.POINT_ID: point_id, s.LEVEL: level}) if s.LEVEL in df.columns else df.iloc[0:0]
    before = table_rows(rows.head(1))
    if before and _norm(s.GRID_CODE, before[0].get(s.GRID_CODE)) == str(grid_code):
        raise _no_change("move_point", str(point_id))
    base = before[0] if before else {s.POINT_ID: str(point_id), s.LEVEL: level}
    after = [{**base, s.GRID_CODE: str(grid_code), s.METHOD: "manual", s.UPDATED_AT: now}]
    change = make_change(s.POINT_GRIDS, POINT_GRID_KEY, before, after, compare=(s.GRID_CODE,))
    record = make_record("move_point", str(point_id), [change], user=user, scenario=scenario, now=now)
    return Edit(apply_change(df, change), record)


# --- project-level helpers ------------------------------------------------------------------
def require_known(project: Project, *, volunteer_ids: Iterable[str] = (), grid_codes: Iterable[str] = (),
                  point_ids: Iterable[str] = ()) -> None:
    """Raise ``GeoInputError`` (``edit.unknown_ids``) naming ids absent from the project's layers."""
    checks = ((s.VOLUNTEERS, s.VOLUNTEER_ID, volunteer_ids), (s.GRIDS, s.CODE, grid_codes),
              (s.SERVICE_POINTS, s.POINT_ID, point_ids))
    for layer, col, ids in checks:
        wanted = [str(i) for i in ids]
        if not wanted:
            continue
        gdf = project.layer(layer)
        known = set(gdf[col].astype(str)) if col in gdf.columns else set()
        unknown = [i for i in wanted if i not in known]
        if unknown:
            msg = f"unknown {col} in layer {layer}: {unknown}"
            raise GeoInputError(msg, code="edit.unknown_ids", layer=layer, ids=unknown)


def grids_of_community(project: Project, community_code: str) -> list[str]:
    """Codes of every grid of the community (``geo.hierarchy``: by code, parent chain or inference)."""
    return unit_grid_codes(grid_tree(project), level="community", code=str(community_code))


def _grid_levels(project: Project) -> pd.Series:
    grids = project.layer(s.GRIDS)
    if grids.empty:
        return pd.Series(dtype=object)
    return pd.Series(grids[s.LEVEL].astype(str).to_numpy(), index=grids[s.CODE].astype(str).to_numpy())


def default_role(project: Project, grid_code: str) -> str:
    """The role a new volunteer gets in ``grid_code`` (active scenario): leader/worker when none yet."""
    level = _grid_levels(project).get(str(grid_code), s.LEVEL_GENERAL)
    lead_role = {s.LEVEL_MICRO: "leader", s.LEVEL_GENERAL: "worker", s.LEVEL_DEDICATED: "worker"}.get(level)
    if lead_role is None:
        return "member"
    df = _require_columns(project.assignments())
    here = df[df[s.GRID_CODE].astype(str) == str(grid_code)] if len(df) else df
    return "member" if (here[s.ROLE] == lead_role).any() else lead_role


def volunteer_distances_m(project: Project, grid_code: str) -> pd.Series:
    """Distance in metres (EPSG:32648) from every volunteer to the grid, indexed by volunteer id."""
    grids = project.layer(s.GRIDS)
    vols = project.layer(s.VOLUNTEERS)
    match = grids[grids[s.CODE].astype(str) == str(grid_code)]
    if match.empty or vols.empty:
        return pd.Series(dtype=float)
    shape = match.to_crs(s.METRIC_CRS).geometry.iloc[0]
    dist = vols.to_crs(s.METRIC_CRS).geometry.distance(shape)
    return pd.Series(dist.to_numpy(), index=vols[s.VOLUNTEER_ID].astype(str).to_numpy())


def volunteer_candidates(project: Project, grid_code: str, *, query: str = "", limit: int = 200) -> pd.DataFrame:
    """Volunteers for a grid, nearest first, with tier, capacity left and current grids (active scenario).

    Names are masked (``李*明``); ``query`` matches the volunteer id or the full name.

    Returns
    -------
    DataFrame with columns volunteer_id, name (masked), tier, capacity, capacity_left,
    current_grids (";"-joined), assigned_here, distance_m (metres, EPSG:32648).
    """
    vols = project.layer(s.VOLUNTEERS)
    if vols.empty:
        return pd.DataFrame(columns=[s.VOLUNTEER_ID, s.NAME, s.TIER, s.CAPACITY, "capacity_left",
                                     "current_grids", "assigned_here", s.DISTANCE_M])
    ids = vols[s.VOLUNTEER_ID].astype(str)
    df = _require_columns(project.assignments())
    grids_by_vol = df.groupby(df[s.VOLUNTEER_ID].astype(str))[s.GRID_CODE].agg(
        lambda g: ";".join(sorted(map(str, g)))) if len(df) else pd.Series(dtype=object)
    capacity = capacities(vols)
    used = df[s.VOLUNTEER_ID].astype(str).value_counts() if len(df) else pd.Series(dtype=int)
    out = pd.DataFrame({
        s.VOLUNTEER_ID: ids.to_numpy(),
        s.NAME: vols[s.NAME].map(mask_name).to_numpy() if s.NAME in vols.columns else "",
        s.TIER: vols[s.TIER].astype(object).to_numpy() if s.TIER in vols.columns else None,
        s.CAPACITY: capacity.to_numpy(),
    })
    out["capacity_left"] = out[s.CAPACITY] - out[s.VOLUNTEER_ID].map(used).fillna(0).astype(int)
    out["current_grids"] = out[s.VOLUNTEER_ID].map(lambda v: grids_by_vol.get(v, "")).astype(object)
    out["assigned_here"] = out["current_grids"].map(lambda g: str(grid_code) in g.split(";"))
    out[s.DISTANCE_M] = out[s.VOLUNTEER_ID].map(volunteer_distances_m(project, grid_code)).round(0)
    if query.strip():
        q = query.strip().lower()
        names = vols[s.NAME].astype(str).str.lower().to_numpy() if s.NAME in vols.columns else ""
        hit = out[s.VOLUNTEER_ID].str.lower().str.contains(q, regex=False).to_numpy() | (
            pd.Series(names).str.contains(q, regex=False).to_numpy())
        out = out[hit]
    return out.sort_values([s.DISTANCE_M, s.VOLUNTEER_ID], kind="stable").head(limit).reset_index(drop=True)


# --- rule checks after an edit -----------------------------------------------------------------
def _violation_keys(v: pd.DataFrame) -> set[tuple]:
    return {_violation_key(r) for r in v.itertuples(index=False)}


def _violation_key(r: Any) -> tuple:
    return (r.rule, jsonable(r.grid_code), jsonable(r.volunteer_id))


def run_edit(project: Project, edit: Edit | Record) -> EditOutcome:
    """Apply an ``Edit`` or a record (made from this project) and run the rule checks.

    ``introduced`` lists violations that the edit created (absent before it).
    """
    record = edit.record if isinstance(edit, Edit) else edit
    before = _violation_keys(find_violations(project))
    new_project = apply_record(project, record)
    violations = find_violations(new_project)
    mask = [_violation_key(r) not in before for r in violations.itertuples(index=False)]
    return EditOutcome(new_project, record, violations, violations[mask].reset_index(drop=True))
