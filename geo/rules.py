"""The planner's staffing rules, checked once for every page, export and command.

Rules (they report, never forbid):
- ``over_capacity``: a volunteer serves more grids than their ``capacity`` (blank = 1);
- ``short``: a grid has fewer people than its target (``geo.staffing.staffing_by_grid``);
- ``no_leader``: a grid with a target has no leader (micro-grid) or worker (other grids);
- ``two_micro_leader``: a volunteer leads more than one micro-grid (one leadership, 一人一格).
"""
from __future__ import annotations

import pandas as pd

from geo import schema as s
from geo.project import Project
from geo.staffing import staffing_by_grid

RULES = ("over_capacity", "short", "no_leader", "two_micro_leader")
VIOLATION_COLUMNS = ("rule", s.GRID_CODE, s.VOLUNTEER_ID, "value", "limit")


def capacities(volunteers: pd.DataFrame) -> pd.Series:
    """Each volunteer id → how many grids they may serve (blank or unreadable capacity means 1)."""
    ids = volunteers[s.VOLUNTEER_ID].astype(str).to_numpy() if s.VOLUNTEER_ID in volunteers.columns else []
    if s.CAPACITY not in volunteers.columns:
        return pd.Series(1, index=ids, dtype=int)
    cap = pd.to_numeric(volunteers[s.CAPACITY], errors="coerce").fillna(1).astype(int).to_numpy()
    return pd.Series(cap, index=ids)


def over_capacity(project: Project, *, scenario: str | None = None) -> pd.DataFrame:
    """Volunteers assigned to more grids than their capacity: ``volunteer_id, capacity, assigned``."""
    rows = project.assignments(scenario)
    if len(rows) == 0:
        return pd.DataFrame({s.VOLUNTEER_ID: [], s.CAPACITY: [], "assigned": []})
    assigned = rows.groupby(rows[s.VOLUNTEER_ID].astype(str))[s.GRID_CODE].nunique()
    cap = capacities(project.layer(s.VOLUNTEERS))
    out = pd.DataFrame({s.VOLUNTEER_ID: assigned.index, "assigned": assigned.to_numpy()})
    out[s.CAPACITY] = out[s.VOLUNTEER_ID].map(cap).fillna(1).astype(int)
    out = out[out["assigned"] > out[s.CAPACITY]]
    return out.sort_values(["assigned", s.VOLUNTEER_ID], ascending=[False, True])[
        [s.VOLUNTEER_ID, s.CAPACITY, "assigned"]].reset_index(drop=True)


def micro_leaders(project: Project, *, scenario: str | None = None) -> pd.Series:
    """Volunteer id → number of micro-grids they lead, for those leading more than one."""
    rows = project.assignments(scenario)
    grids = project.layer(s.GRIDS)
    if len(rows) == 0 or s.CODE not in grids.columns:
        return pd.Series(dtype=int)
    levels = pd.Series(grids[s.LEVEL].astype(str).to_numpy(), index=grids[s.CODE].astype(str).to_numpy())
    lead = rows[(rows[s.ROLE] == "leader") & rows[s.GRID_CODE].astype(str).map(levels).eq(s.LEVEL_MICRO)]
    counts = lead[s.VOLUNTEER_ID].astype(str).value_counts()
    return counts[counts > 1]


def find_violations(project: Project, *, scenario: str | None = None) -> pd.DataFrame:
    """Every rule violation of one scenario (default: the active one), one row each (``VIOLATION_COLUMNS``)."""
    rows: list[dict] = []
    for rec in over_capacity(project, scenario=scenario).itertuples(index=False):
        rows.append({"rule": "over_capacity", s.GRID_CODE: None, s.VOLUNTEER_ID: rec.volunteer_id,
                     "value": int(rec.assigned), "limit": int(rec.capacity)})
    staffing = staffing_by_grid(project, scenario=scenario)
    for rec in staffing[staffing["short"] > 0].itertuples(index=False):
        rows.append({"rule": "short", s.GRID_CODE: rec.grid_code, s.VOLUNTEER_ID: None,
                     "value": int(rec.actual), "limit": int(rec.target)})
    for rec in staffing[staffing["leader_id"].isna() & (staffing["target"] > 0)].itertuples(index=False):
        rows.append({"rule": "no_leader", s.GRID_CODE: rec.grid_code, s.VOLUNTEER_ID: None, "value": 0, "limit": 1})
    for vid, n in micro_leaders(project, scenario=scenario).items():
        rows.append({"rule": "two_micro_leader", s.GRID_CODE: None, s.VOLUNTEER_ID: vid, "value": int(n),
                     "limit": 1})
    return pd.DataFrame(rows, columns=list(VIOLATION_COLUMNS), dtype=object)


def rule_counts(violations: pd.DataFrame) -> dict[str, int]:
    """How many violations of each rule (every rule listed, 0 when none)."""
    counts = violations["rule"].value_counts() if len(violations) else pd.Series(dtype=int)
    return {rule: int(counts.get(rule, 0)) for rule in RULES}
