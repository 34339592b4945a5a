"""Scenarios: save, branch, switch and compare assignment sets in one project."""
from __future__ import annotations

import pytest

from geo import schema as s
from geo.edits import add_volunteer, run_edit
from geo.errors import GeoInputError
from geo.records import apply_record, invert_record
from geo.scenarios import (
    branch_scenario,
    compare_scenarios,
    list_scenarios,
    save_scenario,
    scenario_assignments,
    switch_scenario,
)

M1, G1 = "510184001001-G1-M1", "510184001001-G1"


@pytest.fixture
def two_scenarios(tiny_project):
    """基线 with V110 leading M1; 方案B branched from it, plus V111 as worker of G1."""
    p = apply_record(tiny_project, add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110",
                                                 grid_code=M1, role="leader").record)
    p = apply_record(p, branch_scenario(p, "方案B", user="王"))
    return apply_record(p, add_volunteer(p.table(s.ASSIGNMENTS), volunteer_id="V111", grid_code=G1,
                                         role="worker", scenario="方案B").record)


def test_branch_scenario__copies_rows_and_becomes_active(two_scenarios):
    assert two_scenarios.active_scenario == "方案B"
    assert scenario_assignments(two_scenarios, s.DEFAULT_SCENARIO)[s.VOLUNTEER_ID].tolist() == ["V110"]
    assert sorted(scenario_assignments(two_scenarios, "方案B")[s.VOLUNTEER_ID]) == ["V110", "V111"]
    listed = list_scenarios(two_scenarios).set_index("name")
    assert listed.loc["方案B", "parent"] == s.DEFAULT_SCENARIO and listed.loc["方案B", "active"]


def test_branch_scenario__existing_name_refused(two_scenarios):
    with pytest.raises(GeoInputError) as err:
        branch_scenario(two_scenarios, s.DEFAULT_SCENARIO)
    assert err.value.code == "edit.scenario_exists"


def test_switch_scenario__changes_active_only_and_is_undoable(two_scenarios):
    record = switch_scenario(two_scenarios, s.DEFAULT_SCENARIO)
    p = apply_record(two_scenarios, record)
    assert p.active_scenario == s.DEFAULT_SCENARIO
    assert len(p.table(s.ASSIGNMENTS)) == len(two_scenarios.table(s.ASSIGNMENTS))
    assert apply_record(p, invert_record(record)).active_scenario == "方案B"


def test_save_scenario__snapshot_is_independent_of_later_edits(two_scenarios):
    p = apply_record(two_scenarios, save_scenario(two_scenarios, "快照"))
    assert p.active_scenario == "方案B"
    outcome = run_edit(p, add_volunteer(p.table(s.ASSIGNMENTS), volunteer_id="V000", grid_code=G1,
                                        scenario="方案B"))
    assert len(scenario_assignments(outcome.project, "快照")) == 2
    assert len(scenario_assignments(outcome.project, "方案B")) == 3


def test_compare_scenarios__changed_rows_staffing_and_summary(two_scenarios):
    diff = compare_scenarios(two_scenarios, s.DEFAULT_SCENARIO, "方案B")
    assert diff.changes[[s.VOLUNTEER_ID, s.GRID_CODE, "change"]].values.tolist() == [["V111", G1, "added"]]
    assert diff.staffing[[s.GRID_CODE, "actual_a", "actual_b", "leader_b"]].values.tolist() == [[G1, 0, 1, "V111"]]
    summary = diff.summary.set_index("metric")
    assert (summary.loc["grids_staffed", "a"], summary.loc["grids_staffed", "b"]) == (1, 2)
    assert diff.service_coverage == "unchanged"


def test_compare_scenarios__unknown_name_lists_existing(two_scenarios):
    with pytest.raises(GeoInputError) as err:
        compare_scenarios(two_scenarios, "基线", "没有")
    assert err.value.code == "edit.unknown_scenario"
    assert set(err.value.context["names"]) == {"方案B", s.DEFAULT_SCENARIO}


def test_diff_cli__exit_1_when_different_and_writes_csv(tmp_path, two_scenarios, capsys):
    from cli.main import main
    from geo.project import save_project

    path = tmp_path / "p.gpkg"
    save_project(two_scenarios, path)
    out_csv = tmp_path / "d.csv"
    assert main(["diff", str(path), s.DEFAULT_SCENARIO, "方案B", "--csv", str(out_csv)]) == 1
    assert "新增 1" in capsys.readouterr().out
    lines = out_csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("志愿者编号,网格编码,变化") and lines[1].startswith(f"V111,{G1},新增")
    assert main(["--lang", "en", "diff", str(path), "方案B", "方案B"]) == 0
    assert main(["diff", str(path), "方案B", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
