"""Undo/redo over edit records, the journal, and the merge rule after a save conflict."""
from __future__ import annotations

import json
import pickle

import pytest

from geo import schema as s
from geo.edits import add_volunteer, lock_assignment
from geo.errors import ConflictError, GeoInputError
from geo.history import History, merge_edits, record_edit, redo, save_edits, undo
from geo.project import load_project, save_project
from geo.records import apply_record

M1, M2, OTHER = "510184001001-G1-M1", "510184001001-G1-M2", "510184002002-G2-M2"


def _edit(project, history, make):
    record = make(project.table(s.ASSIGNMENTS)).record
    return apply_record(project, record), record_edit(history, record)


def _ids(project):
    return sorted(project.table(s.ASSIGNMENTS)[s.VOLUNTEER_ID].tolist())


def test_undo_redo__walks_back_and_forth_and_journals_every_step(tiny_project):
    p, h = _edit(tiny_project, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    p, h = _edit(p, h, lambda t: add_volunteer(t, volunteer_id="V111", grid_code=M1))
    h, p, rec = undo(h, p, user="王")
    assert _ids(p) == ["V110"] and rec["action"] == "undo:add" and h.can_redo
    h, p, _ = undo(h, p)
    assert _ids(p) == [] and not h.can_undo
    h, p, rec = redo(h, p)
    assert _ids(p) == ["V110"] and rec["action"] == "redo:add"
    assert [r["action"] for r in h.journal] == ["add", "add", "undo:add", "undo:add", "redo:add"]


def test_record_edit__new_edit_clears_redo(tiny_project):
    p, h = _edit(tiny_project, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    h, p, _ = undo(h, p)
    p, h = _edit(p, h, lambda t: add_volunteer(t, volunteer_id="V111", grid_code=M1))
    assert not h.can_redo
    with pytest.raises(GeoInputError) as err:
        redo(h, p)
    assert err.value.code == "edit.nothing_to_redo"


def test_history__serialisable_for_session_state(tiny_project):
    _, h = _edit(tiny_project, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    data = h.to_dict()
    assert History.from_dict(json.loads(json.dumps(data))) == h
    assert pickle.loads(pickle.dumps(data)) == data


def test_merge_edits__disjoint_edits_both_kept(tiny_project):
    base = tiny_project
    theirs, _ = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id="V220", grid_code=OTHER))
    _, ours = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    result = merge_edits(base, theirs, ours.journal)
    assert _ids(result.project) == ["V110", "V220"] and result.conflicts == []


@pytest.mark.parametrize(("their_vol", "their_grid", "clash"), [
    ("V111", M1, {"grids": [M1], "volunteers": []}),  # same grid, other person
    ("V110", M2, {"grids": [], "volunteers": ["V110"]}),  # same person, other grid
])
def test_merge_edits__same_volunteer_or_grid_is_a_reported_conflict(tiny_project, their_vol, their_grid, clash):
    base = tiny_project
    theirs, _ = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id=their_vol, grid_code=their_grid))
    _, ours = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    result = merge_edits(base, theirs, ours.journal)
    assert _ids(result.project) == [their_vol]  # theirs kept, ours left out
    (conflict,) = result.conflicts
    assert {"grids": conflict["grids"], "volunteers": conflict["volunteers"]} == clash
    assert conflict["reason"] == "both_changed"


def test_save_edits__conflict_raises_then_merge_saves_both(tmp_path, tiny_project):
    path = tmp_path / "p.gpkg"
    base = save_project(tiny_project, path)
    _, ours = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    other = load_project(path)
    # the same community (unit) as ours: the store refuses; another community's edit would just merge
    other, _ = _edit(other, History(), lambda t: add_volunteer(t, volunteer_id="V220", grid_code=M2))
    save_project(other, path, expected_revision=other.revision)
    with pytest.raises(ConflictError):
        save_edits(path, base, ours.journal)
    assert _ids(load_project(path)) == ["V220"]  # nothing overwritten
    outcome = save_edits(path, base, ours.journal, merge=True, user="王")
    saved = load_project(path)
    assert outcome.merged and _ids(saved) == ["V110", "V220"]
    assert saved.revision == 3


def test_save_edits__later_edit_depending_on_conflicting_one_is_left_out(tmp_path, tiny_project):
    path = tmp_path / "p.gpkg"
    base = save_project(tiny_project, path)
    p, ours = _edit(base, History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M1))
    _, ours = _edit(p, ours, lambda t: lock_assignment(t, volunteer_id="V110", grid_code=M1))
    other, _ = _edit(load_project(path), History(), lambda t: add_volunteer(t, volunteer_id="V110", grid_code=M2))
    save_project(other, path, expected_revision=other.revision)
    outcome = save_edits(path, base, ours.journal, merge=True, user="王")
    assert outcome.applied == [] and len(outcome.conflicts) == 2
    audit = load_project(path).table(s.AUDIT)
    edits = audit[audit["action"] != "save"]
    assert edits["action"].tolist() == ["merge_conflict", "merge_conflict"]
    assert audit[["user", "action"]].iloc[-1].tolist() == ["王", "save"]
