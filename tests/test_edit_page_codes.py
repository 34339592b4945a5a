"""The edit page's split/merge section and code-pattern form (AppTest): preview, then save; codes stay put."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.gridcodes import history_table
from geo.messages import t
from geo.project import load_project, save_project
from tests.app_login import signed_in
from tests.test_gridcodes import COMMUNITY, _project
from ui import state

PAGE = str(Path(__file__).resolve().parents[1] / "ui" / "pages" / "edit.py")
GRID = f"{COMMUNITY}0102"


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "codes.gpkg"
    save_project(_project(), path)
    return path


def _app(path: Path, grid: str = GRID) -> AppTest:
    at = signed_in(AppTest.from_file(PAGE, default_timeout=60), name="王测试")
    at.session_state[state.PROJECT_PATH] = str(path)
    at.run()
    assert not at.exception, at.exception
    at.selectbox(key=state.SELECTED_GRID).set_value(grid).run()
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _changes(at: AppTest):
    """The preview table: the one with a 变化 (change) column."""
    return next(df.value for df in at.dataframe if t("edit.codes.change", "zh") in df.value.columns)


def _codes(path: Path) -> dict[str, str]:
    grids = load_project(path).layer(s.GRIDS)
    return dict(zip(grids[s.CODE].astype(str), grids.geometry.to_wkb()))


def test_edit_page__split_previews_codes_kept_retired_new_then_saves_them(project_file):
    before = _codes(project_file)
    at = _app(project_file)
    at.number_input(key="edit_split_parts").set_value(3).run()
    at.button(key="edit_regrid_preview").click().run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics[t("edit.codes.kept", "zh")] == str(len(before) - 1)
    assert metrics[t("edit.codes.retired", "zh")] == "1"
    assert metrics[t("edit.codes.new", "zh")] == "3"
    table = _changes(at)
    assert table[t("ui.col.code", "zh")].tolist() == [GRID, f"{COMMUNITY}0105", f"{COMMUNITY}0106", f"{COMMUNITY}0107"]
    assert _codes(project_file) == before  # nothing written by a preview
    at.button(key="edit_regrid_save").click().run()
    assert not at.exception, at.exception
    after = _codes(project_file)
    assert {c: after[c] for c in before if c != GRID} == {c: g for c, g in before.items() if c != GRID}
    assert GRID not in after and history_table(load_project(project_file))[s.CODE].tolist() == [GRID]
    assert any(f"{COMMUNITY}0105" in m.value for m in at.success)


def test_edit_page__merge_lists_only_siblings_and_retires_both_codes(project_file):
    at = _app(project_file)
    at.radio(key="edit_regrid_op").set_value("merge").run()
    pick = at.multiselect(key="edit_merge_with")
    assert pick.options == [f"{COMMUNITY}01{m:02d} 第1网格{m}号" for m in (1, 3, 4)]  # siblings only
    pick.set_value([f"{COMMUNITY}0101"]).run()
    at.button(key="edit_regrid_preview").click().run()
    assert _metrics(at)[t("edit.codes.retired", "zh")] == "2"
    at.button(key="edit_regrid_save").click().run()
    assert not at.exception, at.exception
    history = history_table(load_project(project_file))
    assert sorted(history[s.CODE]) == [f"{COMMUNITY}0101", GRID]
    assert set(history["replaced_by"]) == {f"{COMMUNITY}0105"}


def test_edit_page__code_pattern_refuses_an_ambiguous_pattern_and_saves_a_good_one(project_file):
    at = _app(project_file)
    at.text_input(key="code_pattern_micro").set_value("{community}{general}{micro}").run()
    assert not at.exception, at.exception
    assert any("1" in e.value and "23" in e.value for e in at.error)  # gridcodes.ambiguous_pattern, in words
    at.text_input(key="code_pattern_general").set_value("{community}-G{general:02d}").run()
    at.text_input(key="code_pattern_micro").set_value("{community}-G{general:02d}-M{micro:02d}").run()
    assert not at.error
    example = t("edit.codes.pattern_example", "zh", community=COMMUNITY, general=f"{COMMUNITY}-G01",
                micro=f"{COMMUNITY}-G01-M02")
    assert any(example.replace("-", "") in md.value.replace("\\", "").replace("-", "") for md in at.markdown)
    at.button(key="code_pattern_save").click().run()
    assert not at.exception, at.exception
    saved = load_project(project_file)
    assert saved.settings["grid_code_pattern"]["micro"] == "{community}-G{general:02d}-M{micro:02d}"
    assert GRID in _codes(project_file)  # codes already given never change with the pattern
    at.button(key="edit_regrid_preview").click().run()  # a split now gives codes in the new pattern
    new = _changes(at)[t("ui.col.code", "zh")].tolist()[1:]
    assert new == [f"{COMMUNITY}-G01-M01", f"{COMMUNITY}-G01-M02"]


def test_edit_page__split_waits_for_unsaved_staffing_edits(tmp_path, tiny_project):
    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project, path)
    at = _app(path, "510184001001-G1-M1")
    at.selectbox(key="edit_candidate").set_value("V110").run()
    at.button(key="edit_add").click().run()
    assert at.button(key="edit_regrid_preview").disabled
    assert at.button(key="code_pattern_save").disabled
    assert any(t("edit.codes.save_first", "zh") == i.value for i in at.info)
