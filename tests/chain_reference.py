"""The escalation chain as it was built before it was vectorised: one Python dict per chain row.

Kept only as the oracle of ``tests/test_escalation.py`` (``geo.escalation.escalation_chain`` must
return the same frame, row for row and value for value); not used by the app.
"""
from __future__ import annotations

import pandas as pd

from geo import schema as s
from geo.buildings import POST, building_heads, buildings_table
from geo.escalation import CHAIN_COLUMNS, _community_contacts, _people
from geo.hierarchy import grid_tree
from geo.project import Project
from geo.rules import find_violations


def _row(grid: str, step: str, level: str, unit_code: str | None, unit_name: str | None, person: dict | None,
         gap: str | None, role: str | None = None) -> dict:
    person = person or {}
    return {s.GRID_CODE: grid, "step": step, s.LEVEL: level, "unit_code": unit_code, "unit_name": unit_name,
            s.VOLUNTEER_ID: person.get(s.VOLUNTEER_ID), s.NAME: person.get(s.NAME), POST: person.get(POST),
            s.ROLE: role or person.get(s.ROLE), s.PHONE: person.get(s.PHONE), s.WORK_PHONE: person.get(s.WORK_PHONE),
            s.PHONE_CONSENT: person.get(s.PHONE_CONSENT), "gap": gap}


def chain_by_rows(project: Project, *, scenario: str | None = None,
                  grid_codes: list[str] | None = None) -> pd.DataFrame:
    """``geo.escalation.escalation_chain`` as it was: a loop over the grids, one dict per row."""
    tree = grid_tree(project)
    if len(tree) == 0:
        return pd.DataFrame(columns=list(CHAIN_COLUMNS), dtype=object)
    codes = [c for c in (grid_codes if grid_codes is not None else tree.index[tree["is_leaf"].astype(bool)])
             if c in tree.index]
    people = _people(project, scenario)
    if grid_codes is not None:  # one board: only the rows of these grids and their parents
        wanted = set(codes) | {p for p in tree.loc[codes, s.PARENT_CODE] if p is not None}
        people = people[people[s.GRID_CODE].isin(wanted)]
    by_grid = _group_records(people, s.GRID_CODE)
    violations = find_violations(project, scenario=scenario)
    no_leader = set(violations.loc[violations["rule"] == "no_leader", s.GRID_CODE].dropna().astype(str))
    bld = buildings_table(project)
    heads = building_heads(project, buildings=bld)
    heads_by = _group_records(heads, s.BUILDING_CODE)
    bld_by: dict[str, list[tuple[str, str | None]]] = {}
    names = bld[s.NAME] if s.NAME in bld.columns else bld[s.CODE]
    for grid, code, name in zip(bld[s.GRID_CODE].tolist(), bld[s.CODE].astype(str).tolist(), names.tolist()):
        if grid is not None and grid == grid:  # not None, not NaN (lists: an Arrow array is slow to walk)
            bld_by.setdefault(str(grid), []).append((code, None if pd.isna(name) else str(name)))
    contacts = _community_contacts(project, tree)
    comms = project.layer(s.COMMUNITIES)
    comm_names = dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str))) if len(comms) else {}
    info = tree[[s.LEVEL, s.NAME, s.PARENT_CODE, s.COMMUNITY_CODE]].to_dict("index")
    rows: list[dict] = []
    for code in codes:
        rows += _building_rows(code, bld_by.get(code), heads_by)
        level = info[code][s.LEVEL]
        if level == s.LEVEL_MICRO:
            rows += _grid_rows(code, "micro", code, info, by_grid, ("leader",), no_leader)
        parent = info[code][s.PARENT_CODE]
        general = code if level != s.LEVEL_MICRO else (parent if parent in info else None)
        if general is not None:
            rows += _grid_rows(code, "general", general, info, by_grid, ("leader", "worker"), no_leader)
        community = info[code][s.COMMUNITY_CODE]
        found = contacts.get(str(community), []) if community is not None else []
        name = comm_names.get(str(community))
        rows += [_row(code, "community", "community", community, name, p, None) for p in found] or [
            _row(code, "community", "community", community, name, None, "no_community_contact")]
    return pd.DataFrame(rows, columns=list(CHAIN_COLUMNS), dtype=object)


def _group_records(frame: pd.DataFrame, column: str) -> dict[str, list[dict]]:
    """Rows of ``frame`` as dicts, grouped by ``column`` (text), in frame order."""
    out: dict[str, list[dict]] = {}
    for rec in frame.to_dict("records"):
        key = rec.get(column)
        if key is not None and not pd.isna(key):
            out.setdefault(str(key), []).append(rec)
    return out


def _building_rows(grid: str, bld: list[tuple[str, str | None]] | None,
                   heads_by: dict[str, list[dict]]) -> list[dict]:
    if bld is None:
        return []
    rows = []
    for code, name in bld:
        found = heads_by.get(code, [])
        rows += [_row(grid, "building", "building", code, name, p, None, role="building_head") for p in found] or [
            _row(grid, "building", "building", code, name, None, "no_building_head")]
    return rows


def _grid_rows(grid: str, step: str, unit: str, info: dict[str, dict], by_grid: dict[str, list[dict]],
               roles: tuple[str, ...], no_leader: set[str]) -> list[dict]:
    level, name = info[unit][s.LEVEL], info[unit][s.NAME]
    found = [p for p in by_grid.get(unit, []) if p[s.ROLE] in roles]
    if found:
        return [_row(grid, step, level, unit, name, p, None) for p in found]
    return [_row(grid, step, level, unit, name, None, "no_leader" if unit in no_leader else "vacant")]
