"""Edit operations on the assignments table: records, locks, bulk edits and rule checks."""
from __future__ import annotations

import json

import pytest

from geo import schema as s
from geo.edits import (
    add_volunteer,
    clear_grids,
    find_violations,
    grids_of_community,
    lock_assignment,
    lock_grids,
    move_service_point,
    remove_volunteer,
    replace_volunteer,
    require_known,
    run_edit,
    volunteer_candidates,
)
from geo.errors import GeoInputError
from geo.records import StaleEditError, apply_record, invert_record

M1, M2, G1 = "510184001001-G1-M1", "510184001001-G1-M2", "510184001001-G1"
C11 = "510184001001"


def _with(project, *edits):
    """Apply edit functions (table -> Edit) in turn; return the project."""
    for make in edits:
        project = apply_record(project, make(project.table(s.ASSIGNMENTS)).record)
    return project


def test_add_volunteer__returns_new_table_and_json_record_without_touching_input(tiny_project):
    table = tiny_project.table(s.ASSIGNMENTS)
    edit = add_volunteer(table, volunteer_id="V110", grid_code=M1, role="leader", user="王", distance_m=12.5)
    assert len(table) == 0  # input not mutated
    row = edit.table.iloc[0]
    assert (row[s.VOLUNTEER_ID], row[s.GRID_CODE], row[s.ROLE], row[s.METHOD]) == ("V110", M1, "leader", "manual")
    assert bool(row[s.LOCKED]) is False and row[s.SCENARIO] == s.DEFAULT_SCENARIO
    assert json.loads(json.dumps(edit.record))["to"] == f"V110@{M1}(leader)"
    assert (edit.record["user"], edit.record["action"], edit.record["object"]) == ("王", "add", M1)


def test_add_volunteer__twice_in_same_grid_is_refused(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    with pytest.raises(GeoInputError) as err:
        add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1)
    assert err.value.code == "edit.already_assigned"


def test_remove_volunteer__locked_assignment_is_refused_until_unlocked(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1),
                    lambda t: lock_assignment(t, volunteer_id="V110", grid_code=M1))
    with pytest.raises(GeoInputError) as err:
        remove_volunteer(project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1)
    assert err.value.code == "edit.locked"
    project = _with(project, lambda t: lock_assignment(t, volunteer_id="V110", grid_code=M1, locked=False),
                    lambda t: remove_volunteer(t, volunteer_id="V110", grid_code=M1))
    assert project.table(s.ASSIGNMENTS).empty


def test_replace_volunteer__keeps_role_and_records_both_sides(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1, role="leader"))
    edit = replace_volunteer(project.table(s.ASSIGNMENTS), grid_code=M1, old_id="V110", new_id="V111")
    assert edit.table[[s.VOLUNTEER_ID, s.ROLE]].values.tolist() == [["V111", "leader"]]
    assert "V110" in edit.record["from"] and "V111" in edit.record["to"]


def test_lock_assignment__already_locked_is_no_change(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1),
                    lambda t: lock_assignment(t, volunteer_id="V110", grid_code=M1))
    with pytest.raises(GeoInputError) as err:
        lock_assignment(project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1)
    assert err.value.code == "edit.no_change"


def test_lock_grids__unlock_all_in_community_is_one_record(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1),
                    lambda t: add_volunteer(t, volunteer_id="V111", grid_code=M2),
                    lambda t: add_volunteer(t, volunteer_id="V120", grid_code="510184001002-G1-M1"))
    codes = grids_of_community(project, C11)
    project = _with(project, lambda t: lock_grids(t, codes))
    locked = project.table(s.ASSIGNMENTS).set_index(s.VOLUNTEER_ID)[s.LOCKED].to_dict()
    assert locked == {"V110": True, "V111": True, "V120": False}  # other community untouched
    edit = lock_grids(project.table(s.ASSIGNMENTS), codes, locked=False, label=C11)
    assert edit.record["action"] == "unlock_grids" and edit.record["object"] == C11
    assert not edit.table[s.LOCKED].any()


def test_clear_grids__keeps_locked_rows(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1),
                    lambda t: add_volunteer(t, volunteer_id="V111", grid_code=M1),
                    lambda t: lock_assignment(t, volunteer_id="V111", grid_code=M1))
    edit = clear_grids(project.table(s.ASSIGNMENTS), [M1])
    assert edit.table[s.VOLUNTEER_ID].tolist() == ["V111"]


def test_invert_record__undoes_exactly(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    edit = replace_volunteer(project.table(s.ASSIGNMENTS), grid_code=M1, old_id="V110", new_id="V111")
    after = apply_record(project, edit.record)
    back = apply_record(after, invert_record(edit.record))
    assert back.table(s.ASSIGNMENTS)[[s.VOLUNTEER_ID, s.GRID_CODE, s.ROLE]].values.tolist() == [
        ["V110", M1, "member"]]


def test_apply_record__stale_when_rows_changed_elsewhere(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    edit = remove_volunteer(project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1)
    changed = _with(project, lambda t: lock_assignment(t, volunteer_id="V110", grid_code=M1))
    with pytest.raises(StaleEditError) as err:
        apply_record(changed, edit.record)
    assert err.value.code == "edit.stale"


@pytest.mark.parametrize(("edits", "rule", "who"), [
    # V000 has capacity 1: two grids is over capacity
    ([("V000", M1, "member"), ("V000", M2, "member")], "over_capacity", "V000"),
    # one person leading two micro-grids
    ([("V110", M1, "leader"), ("V110", M2, "leader")], "two_micro_leader", "V110"),
])
def test_find_violations__reports_rule_breaks(tiny_project, edits, rule, who):
    project = tiny_project
    for vid, grid, role in edits:
        project = apply_record(project, add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id=vid,
                                                      grid_code=grid, role=role).record)
    v = find_violations(project)
    assert v.loc[v["rule"] == rule, s.VOLUNTEER_ID].tolist() == [who]


def test_run_edit__short_grid_reported_and_introduced_violations_listed(tiny_project):
    before = find_violations(tiny_project)
    assert (before["rule"] == "short").sum() == 24  # 8 general + 16 micro grids, all empty
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V000", grid_code=M1))
    outcome = run_edit(project, add_volunteer(project.table(s.ASSIGNMENTS), volunteer_id="V000", grid_code=M2))
    assert outcome.introduced["rule"].tolist() == ["over_capacity"]
    assert (outcome.violations["rule"] == "short").sum() == 22


def test_move_service_point__replaces_row_of_that_level(tiny_project):
    edit = move_service_point(tiny_project.table(s.POINT_GRIDS), point_id="P1001", grid_code=M2, level="micro")
    project = apply_record(tiny_project, edit.record)
    again = move_service_point(project.table(s.POINT_GRIDS), point_id="P1001", grid_code=M1, level="micro")
    assert again.table[[s.POINT_ID, s.LEVEL, s.GRID_CODE]].values.tolist() == [["P1001", "micro", M1]]


def test_require_known__names_unknown_ids(tiny_project):
    with pytest.raises(GeoInputError) as err:
        require_known(tiny_project, volunteer_ids=["V110", "V999"])
    assert err.value.code == "edit.unknown_ids" and err.value.context["ids"] == ["V999"]


def test_volunteer_candidates__nearest_first_with_capacity_left_and_masked_names(tiny_project):
    project = _with(tiny_project, lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M2))
    cands = volunteer_candidates(project, M1)
    assert cands[s.VOLUNTEER_ID].tolist()[:3] == ["V110", "V111", "V000"]  # 0 m, 0 m, 50 m
    first = cands.iloc[0]
    assert (first["capacity_left"], first["current_grids"], first[s.NAME]) == (1, M2, "张**0")
    assert volunteer_candidates(project, M1, query="李")[s.VOLUNTEER_ID].tolist() == ["V000"]
