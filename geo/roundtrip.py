"""Round trip: read an exported XLSX/CSV edited by hand, preview the differences, apply them as manual assignments.

Only the grid code, volunteer ID and role columns are read back; other columns are
informational. The comparison covers the grid levels and towns that appear in the
file, so a file holding one town's micro-grids never removes anything elsewhere.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from geo import export_tables as tab
from geo import schema as s
from geo.crs import to_metric_crs
from geo.errors import GeoInputError
from geo.export_formats import unneutralise
from geo.messages import CATALOGUE, LANGS, format_ids, t
from geo.project import Project
from geo.values import now_iso

SHEET = "_sheet"
ROW = "_row"
READ_COLUMNS = (s.GRID_CODE, s.VOLUNTEER_ID, s.ROLE)


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for col in (*READ_COLUMNS, s.LEVEL):
        lookup[col] = col
        for lang in LANGS:
            lookup[CATALOGUE[f"col.{col}"][lang].strip().lower()] = col
    return lookup


def _role_lookup() -> dict[str, str]:
    lookup = {r: r for r in s.ROLES}
    for role in s.ROLES:
        for lang in LANGS:
            lookup[CATALOGUE[f"role.{role}"][lang].strip().lower()] = role
    return lookup


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        if value.is_integer():
            value = int(value)
    return str(unneutralise(str(value).strip())).strip()


def _rows_from_grid(name: str, grid: list[list[Any]]) -> pd.DataFrame | None:
    """Rows of one sheet with the round-trip columns, or None when the sheet lacks them."""
    if not grid:
        return None
    lookup = _header_lookup()
    cols = {i: lookup.get(_text(h).lower()) for i, h in enumerate(grid[0])}
    found = {c: i for i, c in cols.items() if c}
    if s.GRID_CODE not in found or s.VOLUNTEER_ID not in found:
        return None
    records = []
    for n, row in enumerate(grid[1:], start=2):
        rec = {c: _text(row[i]) if i < len(row) else "" for c, i in found.items()}
        if any(rec.values()):
            records.append({**rec, SHEET: name, ROW: n})
    return pd.DataFrame(records, columns=[*found, SHEET, ROW]).reindex(columns=[*READ_COLUMNS, SHEET, ROW],
                                                                       fill_value="")


def _read_grids(data: bytes, filename: str) -> list[tuple[str, list[list[Any]]]]:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
        finally:
            wb.close()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [(filename, list(csv.reader(io.StringIO(text, newline=""))))]
    msg = f"{filename} is neither UTF-8 nor GB18030 text"
    raise GeoInputError(msg, code="export.roundtrip_encoding", file=filename)


def read_edited_table(data: bytes, *, filename: str) -> pd.DataFrame:
    """The assignment rows of an edited export: DataFrame[grid_code, volunteer_id, role, _sheet, _row].

    Reads every sheet of an XLSX (or the one CSV, UTF-8 with/without BOM or GB18030)
    whose header has the grid code and volunteer ID columns, in Chinese or English.
    ``_row`` is the 1-based spreadsheet row. Formula-injection prefixes are removed.

    Raises
    ------
    GeoInputError
        ``export.roundtrip_unreadable`` (not XLSX/CSV), ``export.roundtrip_columns``.
    """
    try:
        grids = _read_grids(data, filename)
    except GeoInputError:
        raise
    except Exception as exc:  # openpyxl/zipfile raise several types for non-XLSX input
        msg = f"cannot read {filename}: {exc}"
        raise GeoInputError(msg, code="export.roundtrip_unreadable", file=filename, detail=type(exc).__name__) from exc
    frames = [f for name, g in grids if (f := _rows_from_grid(name, g)) is not None]
    if not frames:
        missing = [f"{CATALOGUE[f'col.{c}']['zh']} / {CATALOGUE[f'col.{c}']['en']}" for c in (s.GRID_CODE, s.VOLUNTEER_ID)]
        msg = f"{filename} has no sheet with grid code and volunteer ID columns"
        raise GeoInputError(msg, code="export.roundtrip_columns", file=filename, missing=missing)
    return pd.concat(frames, ignore_index=True)


# --- diff ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentDiff:
    """Differences between an edited file and the project's assignments (one scenario).

    ``added``/``removed``: DataFrame[volunteer_id, grid_code, role]; ``moved``:
    [volunteer_id, from_grid, grid_code, role]; ``changed``: [volunteer_id, grid_code,
    from_role, role]; ``problems``: one dict per bad row (sheet, row, code, value).
    """

    scenario: str
    added: pd.DataFrame
    removed: pd.DataFrame
    moved: pd.DataFrame
    changed: pd.DataFrame
    unchanged: int
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when applying would change nothing."""
        return not (len(self.added) or len(self.removed) or len(self.moved) or len(self.changed))

    @property
    def n_changes(self) -> int:
        """How many assignment rows applying would add, remove, move or change."""
        return len(self.added) + len(self.removed) + len(self.moved) + len(self.changed)


def find_row_problems(project: Project, edited: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows naming an unknown grid code, volunteer ID or role, or repeating a volunteer-grid pair."""
    grids = set(project.layer(s.GRIDS)[s.CODE].astype(str))
    vols = set(project.layer(s.VOLUNTEERS).get(s.VOLUNTEER_ID, pd.Series(dtype=object)).astype(str))
    roles = _role_lookup()
    problems = []
    seen: set[tuple[str, str]] = set()
    for rec in edited.to_dict("records"):
        where = {"sheet": rec[SHEET], "row": rec[ROW]}
        if rec[s.GRID_CODE] not in grids:
            problems.append({**where, "code": "unknown_grid", "value": rec[s.GRID_CODE]})
        if not rec[s.VOLUNTEER_ID]:
            continue
        if rec[s.VOLUNTEER_ID] not in vols:
            problems.append({**where, "code": "unknown_volunteer", "value": rec[s.VOLUNTEER_ID]})
        if rec[s.ROLE] and rec[s.ROLE].lower() not in roles:
            problems.append({**where, "code": "unknown_role", "value": rec[s.ROLE]})
        pair = (rec[s.VOLUNTEER_ID], rec[s.GRID_CODE])
        if pair in seen:
            problems.append({**where, "code": "duplicate", "value": " @ ".join(pair)})
        seen.add(pair)
    return problems


def _pairs(df: pd.DataFrame) -> pd.DataFrame:
    return df.reindex(columns=[s.VOLUNTEER_ID, s.GRID_CODE, s.ROLE]).reset_index(drop=True)


def _match_moves(added: pd.DataFrame, removed: pd.DataFrame, level_of: dict[str, str]) -> tuple:
    moves, used_a, used_r = [], set(), set()
    for i, a in added.iterrows():
        for j, r in removed.iterrows():
            if j in used_r or r[s.VOLUNTEER_ID] != a[s.VOLUNTEER_ID]:
                continue
            if level_of.get(r[s.GRID_CODE]) != level_of.get(a[s.GRID_CODE]):
                continue
            moves.append({s.VOLUNTEER_ID: a[s.VOLUNTEER_ID], "from_grid": r[s.GRID_CODE],
                          s.GRID_CODE: a[s.GRID_CODE], s.ROLE: a[s.ROLE] or r[s.ROLE]})
            used_a.add(i)
            used_r.add(j)
            break
    moved = pd.DataFrame(moves, columns=[s.VOLUNTEER_ID, "from_grid", s.GRID_CODE, s.ROLE])
    return moved, added.drop(index=list(used_a)), removed.drop(index=list(used_r))


def diff_assignments(project: Project, edited: pd.DataFrame, *, scenario: str | None = None) -> AssignmentDiff:
    """Compare edited rows (``read_edited_table``) with the scenario's assignments.

    The comparison covers assignments in grids whose (level, town) appears among the
    file's grid codes. A volunteer leaving one grid and joining another of the same
    level is a move. Rows with problems are reported and left out of the comparison.
    """
    scenario = tab.current_scenario(project, scenario)
    problems = find_row_problems(project, edited)
    chain = tab.grid_chain(project).set_index(s.GRID_CODE)
    level_of = chain[s.LEVEL].to_dict()
    bad_rows = {(p["sheet"], p["row"]) for p in problems}
    ok = edited.loc[[(sh, r) not in bad_rows for sh, r in zip(edited[SHEET], edited[ROW])]]
    scope = set(zip(chain.loc[ok[s.GRID_CODE].unique(), s.LEVEL], chain.loc[ok[s.GRID_CODE].unique(), s.TOWN_CODE]))
    roles = _role_lookup()
    new = ok.loc[ok[s.VOLUNTEER_ID] != ""].assign(**{s.ROLE: lambda d: d[s.ROLE].str.lower().map(roles).fillna("")})
    current = project.assignments(scenario).astype({s.VOLUNTEER_ID: str, s.GRID_CODE: str})
    in_scope = [(level_of.get(g), chain[s.TOWN_CODE].get(g)) in scope for g in current[s.GRID_CODE]]
    current = _pairs(current.loc[in_scope])
    merged = _pairs(new).merge(current, on=[s.VOLUNTEER_ID, s.GRID_CODE], how="outer", indicator=True,
                               suffixes=("", "_old"))
    added = merged.loc[merged["_merge"] == "left_only", [s.VOLUNTEER_ID, s.GRID_CODE, s.ROLE]]
    removed = merged.loc[merged["_merge"] == "right_only", [s.VOLUNTEER_ID, s.GRID_CODE, "role_old"]]
    removed = removed.rename(columns={"role_old": s.ROLE})
    both = merged.loc[merged["_merge"] == "both"]
    role_changed = (both[s.ROLE] != "") & (both[s.ROLE] != both["role_old"])
    changed = both.loc[role_changed, [s.VOLUNTEER_ID, s.GRID_CODE, "role_old", s.ROLE]]
    changed = changed.rename(columns={"role_old": "from_role"}).reset_index(drop=True)
    moved, added, removed = _match_moves(added.reset_index(drop=True), removed.reset_index(drop=True), level_of)
    return AssignmentDiff(scenario=scenario, added=added.reset_index(drop=True), removed=removed.reset_index(drop=True),
                          moved=moved, changed=changed, unchanged=int((~role_changed).sum()), problems=problems)


def problem_lines(diff: AssignmentDiff, lang: str = "zh") -> list[str]:
    """One localised line per bad row."""
    return [t(f"export.problem.{p['code']}", lang, value=p["value"],
              where=t("export.problem.where", lang, sheet=p["sheet"], row=p["row"])) for p in diff.problems]


def preview_lines(diff: AssignmentDiff, lang: str = "zh") -> list[str]:
    """The preview shown before applying: counts, then one line per change (roles localised)."""
    if diff.is_empty and not diff.problems:
        return [t("export.diff.none", lang)]
    lines = [t("export.diff.title", lang, scenario=diff.scenario),
             t("export.diff.counts", lang, added=len(diff.added), removed=len(diff.removed), moved=len(diff.moved),
               changed=len(diff.changed), unchanged=diff.unchanged)]
    label = tab.role_label
    for r in diff.moved.to_dict("records"):
        lines.append(t("export.diff.moved", lang, **r))
    for r in diff.added.to_dict("records"):
        lines.append(t("export.diff.added", lang, **{**r, s.ROLE: label(r[s.ROLE] or "member", lang)}))
    for r in diff.removed.to_dict("records"):
        lines.append(t("export.diff.removed", lang, **r))
    for r in diff.changed.to_dict("records"):
        lines.append(t("export.diff.changed", lang, volunteer_id=r[s.VOLUNTEER_ID], grid_code=r[s.GRID_CODE],
                       from_role=label(r["from_role"], lang), role=label(r[s.ROLE], lang)))
    return lines + problem_lines(diff, lang)


# --- apply -----------------------------------------------------------------------------------

def _distances_m(project: Project, pairs: pd.DataFrame) -> list[float]:
    """Metres from each volunteer's point to the grid polygon (0 inside), in the metric CRS."""
    if pairs.empty:
        return []
    vols = to_metric_crs(project.layer(s.VOLUNTEERS)).set_index(s.VOLUNTEER_ID).geometry
    vols.index = vols.index.astype(str)
    grids = to_metric_crs(project.layer(s.GRIDS)).set_index(s.CODE).geometry
    grids.index = grids.index.astype(str)
    out = vols.loc[pairs[s.VOLUNTEER_ID]].distance(grids.loc[pairs[s.GRID_CODE]], align=False)
    return [round(float(d), 1) for d in out]


def apply_diff(project: Project, diff: AssignmentDiff, *, user: str = "", file: str = "",
               now: datetime | None = None) -> Project:
    """A copy of ``project`` with the diff applied as manual, locked assignments and logged in ``audit``.

    Raises
    ------
    GeoInputError
        ``export.roundtrip_problems`` when the diff has bad rows (nothing is applied).
    """
    if diff.problems:
        rows = [f"{p['sheet']}:{p['row']} ({p['value']})" for p in diff.problems]
        msg = f"{len(rows)} bad rows in {file}: {format_ids(rows, lang='en')}"
        raise GeoInputError(msg, code="export.roundtrip_problems", file=file, n=len(rows), rows=rows)
    when = now_iso(at=now)
    table = project.table(s.ASSIGNMENTS).copy()
    for col in s.ASSIGNMENT_COLUMNS:
        if col not in table.columns:
            table[col] = None
    labels = table[s.SCENARIO].where(table[s.SCENARIO].notna(), s.DEFAULT_SCENARIO).astype(str)
    key = list(zip(table[s.VOLUNTEER_ID].astype(str), table[s.GRID_CODE].astype(str)))
    mine = (labels == diff.scenario).to_numpy()
    drop = {(r[s.VOLUNTEER_ID], r[s.GRID_CODE]) for r in diff.removed.to_dict("records")}
    drop |= {(r[s.VOLUNTEER_ID], r["from_grid"]) for r in diff.moved.to_dict("records")}
    keep = [not (m and k in drop) for m, k in zip(mine, key)]
    version = int(pd.to_numeric(table[s.VERSION], errors="coerce").max()) if len(table) \
        and pd.to_numeric(table[s.VERSION], errors="coerce").notna().any() else 0
    changed = {(r[s.VOLUNTEER_ID], r[s.GRID_CODE]): r[s.ROLE] for r in diff.changed.to_dict("records")}
    for i, (m, k) in enumerate(zip(mine, key)):
        if m and k in changed:
            table.loc[table.index[i], [s.ROLE, s.METHOD, s.LOCKED, s.VERSION, s.UPDATED_AT]] = \
                [changed[k], "manual", True, version + 1, when]
    new = pd.concat([diff.added.assign(**{s.ROLE: diff.added[s.ROLE].replace("", "member")}),
                     diff.moved.drop(columns="from_grid")], ignore_index=True)
    new = new.assign(**{s.METHOD: "manual", s.DISTANCE_M: _distances_m(project, new), s.LOCKED: True,
                        s.VERSION: version + 1, s.UPDATED_AT: when, s.SCENARIO: diff.scenario})
    out = pd.concat([table.loc[keep], new.reindex(columns=table.columns)], ignore_index=True)
    return _audit(project.with_table(s.ASSIGNMENTS, out), diff, user, when)


def _audit(project: Project, diff: AssignmentDiff, user: str, when: str) -> Project:
    """``project`` with one ``audit`` row per applied change (``geo.audit`` columns)."""
    from geo.audit import append_audit

    base = {"time": when, "user": user, "scenario": diff.scenario}
    records = [{**base, "action": "export_apply_move", "object": r[s.VOLUNTEER_ID], "from": r["from_grid"],
                "to": r[s.GRID_CODE]} for r in diff.moved.to_dict("records")]
    records += [{**base, "action": "export_apply_add", "object": r[s.VOLUNTEER_ID], "from": "",
                 "to": r[s.GRID_CODE]} for r in diff.added.to_dict("records")]
    records += [{**base, "action": "export_apply_remove", "object": r[s.VOLUNTEER_ID], "from": r[s.GRID_CODE],
                 "to": ""} for r in diff.removed.to_dict("records")]
    records += [{**base, "action": "export_apply_role", "object": f"{r[s.VOLUNTEER_ID]}@{r[s.GRID_CODE]}",
                 "from": r["from_role"], "to": r[s.ROLE]} for r in diff.changed.to_dict("records")]
    return append_audit(project, records, user=user)
