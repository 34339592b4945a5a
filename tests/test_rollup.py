"""The one roll-up rule and the staffing rules, on the tiny factory project (see tests/factories.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.coverage import service_reach, with_coverage
from geo.rollup import coverage_rollup, unit_figures
from geo.rules import find_violations, over_capacity, rule_counts
from geo.staffing import staffing_by_grid


def _assign(project, rows, scenario=s.DEFAULT_SCENARIO):
    table = pd.DataFrame([{s.VOLUNTEER_ID: v, s.GRID_CODE: g, s.ROLE: r, s.SCENARIO: scenario}
                          for v, g, r in rows])
    return project.with_table(s.ASSIGNMENTS, table)


def test_coverage_rollup__communities_sum_to_towns_and_towns_to_the_city(tiny_project):
    project = with_coverage(tiny_project, service_reach(tiny_project))
    roll = coverage_rollup(project)
    key = [s.CATEGORY, "radius_m"]
    sums = {lv: roll[roll["level"] == lv].groupby(key)["households"].sum() for lv in ("community", "town", "city")}
    pd.testing.assert_series_equal(sums["community"], sums["town"])
    pd.testing.assert_series_equal(sums["town"], sums["city"])
    city = roll[(roll["level"] == "city") & (roll[s.CATEGORY] == "生活")].set_index("radius_m")
    assert city.loc[300.0, "households"] == 16 * 40
    assert city.loc[1000.0, "coverage"] == pytest.approx(1.0)


def test_unit_figures__coverage_is_household_weighted_over_leaf_grids(tiny_project):
    project = with_coverage(tiny_project, service_reach(tiny_project, radii_m=[300]))
    figures = unit_figures(project, category="生活", radius_m=300)
    grids = figures.get("grid")
    leaves = grids[grids["is_leaf"]]
    for code, row in figures.get("community").iterrows():
        mine = leaves[leaves[s.COMMUNITY_CODE] == code]
        expected = (mine["coverage"] * mine[s.HOUSEHOLDS_N]).sum() / mine[s.HOUSEHOLDS_N].sum()
        assert row["coverage"] == pytest.approx(expected)
        assert row["households"] == mine[s.HOUSEHOLDS_N].sum()


def test_staffing__target_actual_leader_and_short_per_grid(tiny_project):
    project = _assign(tiny_project, [("V110", "510184001001-G1-M1", "leader"),
                                     ("V111", "510184001001-G1-M1", "member"),
                                     ("V111", "510184001001-G1", "worker")])
    table = staffing_by_grid(project)
    assert tuple(table.columns) == s.STAFFING_COLUMNS
    st_df = table.set_index(s.GRID_CODE)
    assert st_df.loc["510184001001-G1-M1", ["target", "actual", "leader_id", "short"]].tolist() == [1, 2, "V110", 0]
    assert st_df.loc["510184001001-G1", "leader_id"] == "V111"
    assert st_df.loc["510184001001-G1-M2", ["actual", "short"]].tolist() == [0, 1]
    counts = rule_counts(find_violations(project))
    assert counts["no_leader"] == 24 - 2


def test_staffing__follows_the_active_scenario(tiny_project):
    rows = [("V110", "510184001001-G1-M1", "leader")]
    project = pd.concat([_assign(tiny_project, rows).table(s.ASSIGNMENTS),
                         _assign(tiny_project, rows * 0 + [("V111", "510184001001-G1-M2", "leader")], "B")
                         .table(s.ASSIGNMENTS)])
    project = tiny_project.with_table(s.ASSIGNMENTS, project)
    base = staffing_by_grid(project).set_index(s.GRID_CODE)
    other = staffing_by_grid(project.with_active_scenario("B")).set_index(s.GRID_CODE)
    assert base.loc["510184001001-G1-M1", "actual"] == 1 and base.loc["510184001001-G1-M2", "actual"] == 0
    assert other.loc["510184001001-G1-M1", "actual"] == 0 and other.loc["510184001001-G1-M2", "actual"] == 1


def test_rules__volunteers_over_capacity_are_listed(tiny_project):
    grids = ["510184001001-G1-M1", "510184001001-G1-M2", "510184001001-G2-M1"]
    project = _assign(tiny_project, [("V110", g, "member") for g in grids] + [("V000", grids[0], "member")])
    over = over_capacity(project)
    assert over.to_dict("records") == [{s.VOLUNTEER_ID: "V110", s.CAPACITY: 2, "assigned": 3}]


def test_rules__a_volunteer_leading_two_micro_grids_is_a_violation(tiny_project):
    project = _assign(tiny_project, [("V110", "510184001001-G1-M1", "leader"),
                                     ("V110", "510184001001-G1-M2", "leader")])
    v = find_violations(project)
    assert v[v["rule"] == "two_micro_leader"][s.VOLUNTEER_ID].tolist() == ["V110"]


def test_unit_figures__staffing_counts_people_up_to_each_target(tiny_project):
    project = _assign(tiny_project, [("V110", "510184001001-G1-M1", "leader"),
                                     ("V111", "510184001001-G1-M1", "member")])
    figures = unit_figures(project, category=None)
    community = figures.get("community").loc["510184001001"]
    assert community["target"] == 6 and community["actual"] == 2 and community["filled"] == 1
    assert community["staffing"] == pytest.approx(1 / 6)
    assert community["volunteers"] == 2
    assert figures.get("city")["target"].iloc[0] == figures.get("town")["target"].sum() == 24
