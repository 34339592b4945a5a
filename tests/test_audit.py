"""The audit log: one row per edit, written in the same atomic save as the edits."""
from __future__ import annotations

from geo import schema as s
from geo.audit import AUDIT_COLUMNS, append_audit, audit_rows, read_audit
from geo.edits import add_volunteer, apply_record, lock_assignment
from geo.history import History, record_edit, save_edits, undo
from geo.project import load_project, save_project

M1 = "510184001001-G1-M1"


def test_audit_rows__time_user_scenario_action_object_from_to(tiny_project):
    edit = add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, role="leader",
                         user="王", scenario="方案B", now="2024-05-01T08:00:00+00:00")
    row = audit_rows([edit.record]).iloc[0]
    assert list(audit_rows([edit.record]).columns) == list(AUDIT_COLUMNS)
    assert (row["time"], row["user"], row["scenario"], row["action"], row["object"], row["from"], row["to"]) == (
        "2024-05-01T08:00:00+00:00", "王", "方案B", "add", M1, "", f"V110@{M1}(leader)")


def test_append_audit__appends_after_existing_rows(tiny_project):
    e1 = add_volunteer(tiny_project.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, user="a")
    p = append_audit(tiny_project, [e1.record])
    e2 = lock_assignment(e1.table, volunteer_id="V110", grid_code=M1, user="b")
    p = append_audit(p, [e2.record])
    assert p.table(s.AUDIT)[["user", "action"]].values.tolist() == [["a", "add"], ["b", "lock"]]
    assert read_audit(p, user="b")["action"].tolist() == ["lock"]


def test_save_edits__audit_written_with_edits_including_undo(tmp_path, tiny_project):
    path = tmp_path / "p.gpkg"
    base = save_project(tiny_project, path)
    edit = add_volunteer(base.table(s.ASSIGNMENTS), volunteer_id="V110", grid_code=M1, user="王")
    h = record_edit(History(), edit.record)
    h, _, _ = undo(h, apply_record(base, edit.record), user="王")
    save_edits(path, base, h.journal)
    saved = load_project(path)
    assert saved.table(s.ASSIGNMENTS).empty
    assert saved.table(s.AUDIT)["action"].tolist() == ["add", "undo:add"]
