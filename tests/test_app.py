"""AppTest: every page runs on the tiny project, widgets change what is shown, nothing sensitive is sent."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from tests.app_fixtures import COMM11, GRID_M1, TOWN1, XSS_TEMPLATE, hostile_project, phones_of, save_hostile
from tests.app_login import signed_in
from ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ("ui/pages/explore.py", "ui/pages/dashboard.py", "ui/pages/run.py", "ui/pages/import_wizard.py",
         "ui/pages/edit.py", "ui/pages/export.py", "ui/pages/print.py")


@pytest.fixture
def project_file(tmp_path):
    return save_hostile(tmp_path / "tiny.gpkg")


def _app(path: Path, **session) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=60))
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    return at


def _map_args(at: AppTest) -> dict:
    comps = at.get("component_instance")
    assert comps, "no map component on the page"
    return json.loads(comps[0].proto.json_args)


def _map_script(at: AppTest) -> str:
    """What the map sends: the base map's script and the view's layers (a feature group)."""
    args = _map_args(at)
    return args["script"] + (args.get("feature_group") or "")


def test_explore__opens_on_the_city_with_offline_assets(project_file):
    at = _app(project_file)
    at.run()
    assert not at.exception
    assert at.title[0].value == "地图浏览"
    args = _map_args(at)
    assert args["js_links"] == ["/app/static/leaflet.js"]  # no jQuery: no popups
    assert args["css_links"] == ["/app/static/leaflet.css"]
    assert args["returned_objects"] == ["last_object_clicked", "last_object_clicked_count"]
    assert "市 · 本项目区域（510184）" in [h.value for h in at.subheader]  # no place name given: from the codes


def test_explore__community_view_escapes_names_and_masks_phones(project_file):
    at = _app(project_file, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                               state.EXPLORE_STAFF: True})  # the staff expander open
    at.run()
    assert not at.exception
    script = _map_script(at)
    for phone in phones_of(hostile_project()):
        assert phone not in script
    assert XSS_TEMPLATE not in script and "<img" not in script
    # escaped for HTML, then JSON-encoded for the script (& -> \u0026)
    assert "\\u0026#36;{alert(1)}" in script
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in script
    # the side panel lists the staff with masked phones only
    frames = [df.value for df in at.dataframe]
    shown = " ".join(frames[0].astype(str).to_numpy().ravel())
    assert "****" in shown
    for phone in phones_of(hostile_project()):
        assert phone not in shown


def test_explore__a_click_on_a_town_drills_down(project_file):
    at = _app(project_file)
    at.run()
    comp = at.get("component_instance")[0]
    town1 = hostile_project().layer(s.TOWNS).set_index(s.CODE).loc[TOWN1].geometry.representative_point()
    at.session_state[comp.key] = {"last_object_clicked": {"lat": town1.y, "lng": town1.x}}
    at.run()
    assert not at.exception
    assert at.session_state[state.SELECTED_TOWN] == TOWN1
    assert at.session_state[state.SELECTED_COMMUNITY] is None
    assert any(h.value.startswith("镇街 · ") for h in at.subheader)


def test_explore__breadcrumb_goes_back_to_the_city(project_file):
    at = _app(project_file, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                               state.SELECTED_GRID: GRID_M1})
    at.run()
    at.button(key="crumb_city").click().run()
    assert at.session_state[state.SELECTED_TOWN] is None
    assert at.session_state[state.SELECTED_GRID] is None


def test_explore__search_by_code_selects_the_grid(project_file):
    at = _app(project_file)
    at.run()
    at.text_input(key=state.EXPLORE_SEARCH).set_value(GRID_M1).run()
    at.button(key="explore_search_go").click().run()
    assert at.session_state[state.SELECTED_GRID] == GRID_M1
    assert at.session_state[state.SELECTED_COMMUNITY] == COMM11


def test_explore__colour_by_households_shows_a_legend(project_file):
    at = _app(project_file)
    at.run()
    at.selectbox(key=state.EXPLORE_METRIC).set_value("none").run()
    before = _map_script(at)
    at.selectbox(key=state.EXPLORE_METRIC).set_value("households").run()
    assert not at.exception
    after = _map_script(at)
    assert before != after and '"_c"' in after
    assert any("户数" in m.value for m in at.html)  # the legend: an st.html block


def test_explore__opens_coloured_by_households_until_coverage_is_computed(project_file):
    at = _app(project_file)
    at.run()
    assert at.selectbox(key=state.EXPLORE_METRIC).value == "households"
    assert '"_c"' in _map_script(at)


def test_app__language_switch_to_english(project_file):
    at = _app(project_file)
    at.run()
    at.radio(key=state.LANG).set_value("en").run()
    assert at.title[0].value == "Explore the map"
    assert "City · Project area (510184)" in [h.value for h in at.subheader]


def test_app__missing_project_shows_the_catalogue_message(tmp_path):
    at = _app(tmp_path / "nope.gpkg")
    at.run()
    assert not at.exception
    assert "nope.gpkg" in at.info[0].value and "导入数据" in at.info[0].value and "--" not in at.info[0].value


def test_app__a_broken_project_file_shows_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage")
    at = _app(bad)
    at.run()
    assert not at.exception
    assert "bad.gpkg" in at.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_pages__each_runs_without_exception(project_file, page):
    at = _app(project_file)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title or at.header


def test_dashboard__town_filter_changes_the_figures(project_file):
    at = _app(project_file)
    at.run()
    at.switch_page("ui/pages/dashboard.py").run()
    grids_all = at.metric[0].value
    at.selectbox(key=state.DASH_TOWN).set_value(TOWN1).run()
    assert not at.exception
    assert (grids_all, at.metric[0].value) == ("24", "12")


def test_run__assignment_staffs_grids_and_saves(project_file):
    at = _app(project_file)
    at.run()
    at.switch_page("ui/pages/run.py").run()
    at.button(key="run_assign_button").click().run()
    at.button(key="run_confirm_assign").click().run()  # previewed first, saved on confirm
    assert not at.exception
    assert at.success, [e.value for e in at.error]
    from geo.project import load_project

    assert len(load_project(project_file).table(s.ASSIGNMENTS)) > 2


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_pages__each_runs_on_the_demo(page, demo_project_file):
    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(demo_project_file)
    at.run()
    at.switch_page(page).run()
    assert not at.exception


@pytest.mark.slow
def test_explore__demo_payload_stays_small_and_masked(demo_project_file):
    from geo.project import load_project

    project = load_project(demo_project_file)
    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(demo_project_file)
    at.run()
    script = _map_script(at)
    assert len(script) < 3_000_000
    phones = [str(p) for p in project.layer(s.VOLUNTEERS)[s.PHONE].dropna().head(200)]
    assert not any(p in script for p in phones)


def test_app__language_comes_from_the_url(project_file):
    at = _app(project_file)
    at.query_params[state.LANG] = "en"
    at.run()
    assert at.title[0].value == "Explore the map"


def test_app__language_switch_is_kept_in_the_url(project_file):
    at = _app(project_file)
    at.run()
    at.radio(key=state.LANG).set_value("en").run()
    assert at.query_params[state.LANG] in ("en", ["en"])


def test_explore__a_grid_shows_its_escalation_chain_and_buildings(project_file):
    at = _app(project_file)
    at.run()
    at.text_input(key=state.EXPLORE_SEARCH).set_value(GRID_M1).run()
    at.button(key="explore_search_go").click().run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert "上报链" in labels and any(label.startswith("楼栋") for label in labels)
