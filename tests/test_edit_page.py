"""The edit page (AppTest): add, lock, undo/redo, scenario compare, save and conflict handling."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tests.app_login import signed_in

from geo import schema as s
from geo.edits import add_volunteer
from geo.messages import t
from geo.project import load_project, save_project
from geo.records import apply_record
from ui import state

PAGE = str(Path(__file__).resolve().parents[1] / "ui" / "pages" / "edit.py")
GRID = "510184001001-G1-M1"
TIMEOUT = 60


@pytest.fixture
def project_file(tmp_path, tiny_project):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    return path


def _app(path: Path) -> AppTest:
    at = signed_in(AppTest.from_file(PAGE, default_timeout=TIMEOUT), name="王测试")
    at.session_state[state.PROJECT_PATH] = str(path)
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key=state.SELECTED_GRID).set_value(GRID).run()
    return at


def _work_rows(at: AppTest):
    return at.session_state["edit_work_tables"][s.ASSIGNMENTS]


def _add(at: AppTest, volunteer_id: str) -> None:
    at.selectbox(key="edit_candidate").set_value(volunteer_id).run()
    at.button(key="edit_add").click().run()
    assert not at.exception, at.exception


def test_edit_page__add_volunteer_updates_panel_and_masks_names(project_file):
    at = _app(project_file)
    _add(at, "V110")
    rows = _work_rows(at)
    assert rows[[s.VOLUNTEER_ID, s.GRID_CODE]].values.tolist() == [["V110", GRID]]
    assert not at.error
    page_text = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "张000" not in page_text  # full name never sent to the browser
    assert "张**0" in page_text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_edit_page__title_is_its_menu_label(project_file, lang):
    at = signed_in(AppTest.from_file(PAGE, default_timeout=TIMEOUT))
    at.session_state[state.PROJECT_PATH] = str(project_file)
    at.session_state[state.LANG] = lang
    at.run()
    assert [title.value for title in at.title] == [t("ui.nav.edit", lang)]


def test_edit_page__lock_then_undo_then_redo(project_file):
    at = _app(project_file)
    _add(at, "V110")
    at.selectbox(key="edit_member").set_value("V110").run()
    at.button(key="edit_lock").click().run()
    assert bool(_work_rows(at)[s.LOCKED].iloc[0]) is True
    at.button(key="edit_remove").click().run()  # locked: refused with a message, not removed
    assert at.error and len(_work_rows(at)) == 1
    at.button(key="edit_undo").click().run()
    assert bool(_work_rows(at)[s.LOCKED].iloc[0]) is False
    at.button(key="edit_redo").click().run()
    assert bool(_work_rows(at)[s.LOCKED].iloc[0]) is True


def test_edit_page__save_writes_assignments_and_audit(project_file):
    at = _app(project_file)
    _add(at, "V110")
    at.button(key="edit_save").click().run()
    assert not at.exception and not at.error
    saved = load_project(project_file)
    assert saved.table(s.ASSIGNMENTS)[s.VOLUNTEER_ID].tolist() == ["V110"]
    audit = saved.table(s.AUDIT)
    edits = audit[audit["action"] != "save"]
    assert edits[["user", "action", "object"]].values.tolist() == [["王测试", "add", GRID]]
    assert audit[["user", "action"]].iloc[-1].tolist() == ["王测试", "save"]


def test_edit_page__branch_and_compare_scenarios(project_file):
    at = _app(project_file)
    _add(at, "V110")
    at.text_input(key="edit_scenario_name").set_value("方案B").run()
    at.button(key="edit_scenario_branch").click().run()
    assert at.session_state["edit_work_meta"]["scenario"] == "方案B"
    at.selectbox(key=state.SELECTED_GRID).set_value(GRID).run()
    _add(at, "V111")
    at.selectbox(key="edit_compare_a").set_value(s.DEFAULT_SCENARIO).run()
    at.selectbox(key="edit_compare_b").set_value("方案B").run()
    at.button(key="edit_compare_button").click().run()
    assert not at.exception
    frames = [df.value for df in at.dataframe if "变化" in df.value.columns]  # the changed-rows table
    assert len(frames) == 1
    assert frames[0].iloc[:, 0].tolist() == ["V111"]
    assert frames[0]["变化"].tolist() == ["新增"]


def test_edit_page__conflict_then_merge_keeps_both_sessions_edits(project_file):
    at = _app(project_file)
    _add(at, "V110")
    other = load_project(project_file)  # another session adds V120 elsewhere and saves first
    edit = add_volunteer(other.table(s.ASSIGNMENTS), volunteer_id="V120", grid_code="510184001002-G1-M1",
                         role="leader", user="李")
    save_project(apply_record(other, edit.record), project_file, expected_revision=other.revision)
    at.button(key="edit_save").click().run()
    assert at.error  # the conflict is reported, nothing overwritten
    assert at.button(key="edit_merge")
    at.button(key="edit_merge").click().run()
    assert not at.exception
    saved = load_project(project_file)
    assert sorted(saved.table(s.ASSIGNMENTS)[s.VOLUNTEER_ID]) == ["V110", "V120"]
