"""Issue 17, a planner's day: each rough edge found in the app has a test here (AppTest on the tiny project)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.explore import Selection
from geo.messages import t
from geo.rollup import unit_figures
from layers.web import PointSpec, point_layer
from tests.app_fixtures import COMM11, TOWN1, hostile_project, save_hostile
from tests.app_login import signed_in
from ui import state
from ui.mapview import MapOptions, build_explore_map

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def project_file(tmp_path):
    return save_hostile(tmp_path / "tiny.gpkg")


def _app(path: Path, page: str | None = None, **session) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=60))
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    if page:
        at.switch_page(page)
    return at


def _texts(at: AppTest) -> list[str]:
    return [e.value for e in (*at.markdown, *at.caption, *at.subheader, *at.info, *at.warning)]


# --- map -------------------------------------------------------------------------------------------
def test_point_layer__markers_are_filled_like_the_legend_dots():
    points = hostile_project().layer(s.SERVICE_POINTS)
    layer = point_layer(PointSpec(points, name="service_points"))
    assert layer.marker.options["fill"] is True
    assert "fill:true" in layer.options["style"].js_code


def test_explore_map__a_towns_tooltip_labels_its_name_as_a_name_not_a_persons():
    project = hostile_project()
    figures = unit_figures(project, category="生活", radius_m=500.0)
    m, _ = build_explore_map(project, Selection(), figures, MapOptions(), lang="zh")
    aliases = [a for layer in m._children.values() for tip in layer._children.values()
               for a in getattr(tip, "aliases", ())]
    assert "名称" in aliases and "姓名" not in aliases


def test_explore__legend_sits_beside_the_map_and_names_the_run_page(project_file):
    at = _app(project_file, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                                state.EXPLORE_METRIC: "households"})
    at.run()
    assert not at.exception
    map_col = next(c for c in at.columns if c.get("component_instance"))
    panel_col = next(c for c in at.columns if any(h.value.startswith("社区/村 · ") for h in c.subheader))
    assert map_col.get("component_instance") and not panel_col.get("component_instance")
    legend = [m.value for m in panel_col.html if "服务点类型" in m.value]  # the legend: an st.html block
    assert legend and not [m.value for m in map_col.html if "服务点类型" in m.value]
    # coverage not computed: the hint names the page as the menu names it
    assert any(t("ui.nav.run", "zh") in c.value for c in panel_col.caption)


def test_explore__staff_table_shows_grid_names_and_fits(project_file):
    at = _app(project_file, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11,
                                state.EXPLORE_STAFF: True})  # the staff expander open
    at.run()
    staff = at.dataframe[0].value
    grid_names = set(hostile_project().layer(s.GRIDS)[s.NAME])
    assert set(staff.iloc[:, 0]) <= grid_names
    assert len(staff.columns) <= 5


def test_explore__reach_heading_names_the_four_categories_apart_from_point_types():
    assert "4" in t("ui.panel.reach_categories", "en", radius=500)
    assert t("ui.panel.reach_categories", "zh", radius=500) != t("ui.explore.point_types", "zh")


# --- dashboard ---------------------------------------------------------------------------------------
def _charts(at: AppTest) -> list[dict]:
    import json
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_dashboard__charts_read_in_order_percent_and_show_every_label(project_file):
    at = _app(project_file, "ui/pages/dashboard.py")
    at.run()
    assert not at.exception
    specs = _charts(at)
    encodings = [layer["encoding"] for spec in specs for layer in _layers(spec) if "encoding" in layer]
    # household bins in numeric order, not sorted as text
    bins = next(e["x"] for e in encodings if e.get("x", {}).get("field") == "bin")
    assert bins["sort"][:4] == ["0–30", "30–100", "100–300", "300–500"]
    # shares read in percent
    share_axes = [e[k]["axis"] for e in encodings for k in ("x", "y")
                  if e.get(k, {}).get("field") == "share" and "axis" in e[k]]
    assert share_axes and all(a["format"] == "%" for a in share_axes)
    # every unit's label drawn
    units = next(e["y"] for e in encodings if e.get("y", {}).get("field") == "unit")
    assert units["axis"]["labelOverlap"] is False


def test_dashboard__staffing_chart_shows_the_worst_units_and_the_target(project_file):
    at = _app(project_file, "ui/pages/dashboard.py")
    at.run()
    marks = [layer.get("mark", {}).get("type") for sp in _charts(at) for layer in _layers(sp)]
    assert "rule" in marks  # the target line
    spread = [c.value for c in at.caption if c.value.startswith("共 ")]
    assert spread and "最低" in spread[0] and "中位数" in spread[0]


def test_dashboard__short_list_says_none_when_no_grid_is_short(tmp_path):
    from geo.project import save_project
    from geo.staffing import staffing_by_grid
    project = hostile_project()
    targets = {level: 0 for level in s.GRID_LEVELS}
    project = project.with_settings(targets=targets)
    assert (staffing_by_grid(project)["short"] == 0).all()
    path = tmp_path / "full.gpkg"
    save_project(project, path)
    at = _app(path, "ui/pages/dashboard.py")
    at.run()
    assert not at.exception
    assert [x.value for x in at.success] == [t("ui.dash.short_none", "zh")]


# --- edit ----------------------------------------------------------------------------------------------
EDIT_GRID = "510184001001-G1-M1"


@pytest.fixture
def plain_file(tmp_path, tiny_project):
    from geo.project import save_project
    path = tmp_path / "plain.gpkg"
    save_project(tiny_project, path)
    return path


def _edit_app(path: Path) -> AppTest:
    at = signed_in(AppTest.from_file(str(ROOT / "ui" / "pages" / "edit.py"), default_timeout=60), name="王测试")
    at.session_state[state.PROJECT_PATH] = str(path)
    at.run()
    at.selectbox(key=state.SELECTED_GRID).set_value(EDIT_GRID).run()
    assert not at.exception, at.exception
    return at


def test_edit_page__replace_then_undo_leaves_nothing_unsaved_and_the_pick_is_never_a_member(plain_file):
    at = _edit_app(plain_file)
    at.selectbox(key="edit_candidate").set_value("V110").run()
    at.button(key="edit_add").click().run()
    # the default candidate is someone not in the grid yet: replace works without touching the picker
    assert at.selectbox(key="edit_candidate").value != "V110"
    at.selectbox(key="edit_member").set_value("V110").run()
    at.button(key="edit_replace").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "V110" not in set(at.session_state["edit_work_tables"][s.ASSIGNMENTS][s.VOLUNTEER_ID].astype(str))
    at.button(key="edit_undo").click().run()
    assert any("未保存的修改：1 项" in m.value for m in at.markdown)  # the add is still unsaved, the replace is not
    at.button(key="edit_undo").click().run()
    assert any("未保存的修改：0 项" in m.value for m in at.markdown)


def test_edit_page__tables_show_words_not_codes_and_a_map_of_the_grid(plain_file):
    at = _edit_app(plain_file)
    at.selectbox(key="edit_community").set_value("510184001001").run()
    at.selectbox(key="edit_candidate").set_value("V110").run()
    at.button(key="edit_add").click().run()
    at.button(key="edit_compare_button").click().run()
    assert not at.exception
    shown = " ".join(" ".join(map(str, [*df.value.columns, *df.value.to_numpy().ravel()])) for df in at.dataframe)
    for raw in ("optimised", "leader", "micro", "None", "nan", "True", "False", "🟢", "🔴", "⚪"):
        assert raw not in shown, raw
    for df in at.dataframe:
        assert not {"metric", "a", "b", "delta"} & set(map(str, df.value.columns))
    assert at.get("component_instance"), "no map of the selected grid"


def test_edit_page__switching_to_the_active_scenario_is_not_offered(plain_file):
    at = _edit_app(plain_file)
    assert at.button(key="edit_scenario_switch").disabled


def test_error_text__an_edit_action_reads_as_its_label_not_its_code():
    from geo.errors import GeoInputError
    from geo.messages import error_text
    err = GeoInputError("no change", code="edit.no_change", action="scenario_switch", object="基线")
    assert "scenario_switch" not in error_text(err, "zh", front="web")
    assert "switch scenario" in error_text(err, "en", front="web")


def test_pending_count__undo_cancels_the_edit_it_undoes():
    from geo.history import History, pending_count
    rec = lambda a: {"action": a}
    assert pending_count(History(journal=[rec("add"), rec("replace"), rec("undo:replace")])) == 1
    assert pending_count(History(journal=[rec("undo:add")])) == 1  # undoing a saved edit changes the file
    assert pending_count(History(journal=[rec("undo:b"), rec("undo:a")])) == 2
    assert pending_count(History(journal=[rec("undo:a"), rec("redo:a")])) == 0
    assert pending_count(History(journal=[rec("add"), rec("undo:add"), rec("redo:add")])) == 1


# --- run -----------------------------------------------------------------------------------------------
def _run_page(path: Path) -> AppTest:
    at = _app(path, "ui/pages/run.py")
    at.run()
    assert not at.exception
    return at


def test_run__assignment_is_previewed_then_saved_only_on_confirm(project_file):
    from geo.project import load_project
    before = load_project(project_file).revision
    at = _run_page(project_file)
    assert at.checkbox(key="run_one_leadership") and at.checkbox(key="run_same_community")
    at.checkbox(key="run_one_leadership").check()
    at.button(key="run_assign_button").click().run()
    assert not at.exception
    assert load_project(project_file).revision == before  # nothing written yet
    assert any("新增分配" in m.value for m in at.markdown)
    assert not any("行数" in m.label for m in at.metric)
    at.button(key="run_confirm_assign").click().run()
    saved = load_project(project_file)
    assert saved.revision == before + 1
    assert saved.settings["staffing"]["one_leadership"] is True


def test_run__coverage_rerun_explains_removed_rows_and_labels_radii_with_units(project_file):
    at = _run_page(project_file)
    at.multiselect(key="run_radii").set_value([300, 500]).run()
    at.button(key="run_coverage_button").click().run()
    at.button(key="run_confirm_coverage").click().run()
    assert at.success
    at = _run_page(project_file)
    at.multiselect(key="run_radii").set_value([300]).run()
    at.button(key="run_coverage_button").click().run()
    assert not at.exception
    headers = [str(c) for df in at.dataframe for c in df.value.columns]
    assert "300 米" in headers and not any(".0" in h for h in headers)
    why = [c.value for c in at.caption if c.value.startswith("移除的原因")]
    assert why and "500" in why[0]


def test_coverage_changes__radius_300_and_300_0_are_one_row():
    import pandas as pd

    from geo.coverage import coverage_changes
    old = pd.DataFrame({s.GRID_CODE: ["g1", "g1"], s.CATEGORY: ["生活", "生活"], "radius_m": [300.0, 500.0],
                        "area_share": [0.5, 0.7]})
    new = pd.DataFrame({s.GRID_CODE: ["g1"], s.CATEGORY: ["生活"], "radius_m": [300], "area_share": [0.5]})
    ch = coverage_changes(old, new)
    assert (ch["added"], ch["removed"], ch["changed"]) == (0, 1, 0)
    assert ch["removed_radii"] == [500.0]


# --- print ---------------------------------------------------------------------------------------------
def test_print_page__unit_picked_by_name_with_the_approval_number(project_file):
    at = _app(project_file, "ui/pages/print.py")
    at.run()
    assert not at.exception
    picker = at.selectbox(key="print_unit_map")
    town2_name = hostile_project().layer(s.TOWNS).set_index(s.CODE)[s.NAME].drop(TOWN1).iloc[0]
    assert any(opt.startswith(f"{town2_name} · 镇街") for opt in picker.options)  # what a planner types: the name
    town2 = next(c for c in hostile_project().layer(s.TOWNS)[s.CODE] if c != TOWN1)
    picker.set_value(town2).run()
    at.text_input(key="print_approval").input("川S【2026】001号").run()
    assert not at.exception and not at.error
    assert at.get("image"), "no preview"


def test_print_title__the_whole_place_is_not_subtitled_with_a_code():
    from geo import printdata as pdx
    from layers import print as lp
    data = pdx.map_page_data(hostile_project(), "city", measure="households")
    _, subtitle = lp.default_title(data, "zh")
    assert "city" not in subtitle


def test_north_arrow__stays_inside_the_map_frame():
    from geo import printdata as pdx
    from layers import print as lp
    data = pdx.map_page_data(hostile_project(), "city", measure="households")
    fig = lp.render_map_page(data, lp.PageOptions())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    arrow = next(a for a in fig.findobj() if a.get_gid() == "north_arrow")
    frame = arrow.axes.get_window_extent(renderer)
    for box in (arrow.get_window_extent(renderer), arrow.arrow_patch.get_window_extent(renderer)):
        # a margin of at least 5 % of the map to the frame line, on the top and on the right
        assert box.y1 <= frame.y1 - 0.05 * frame.height and box.x1 <= frame.x1 - 0.05 * frame.width


def test_catalogue__one_word_for_the_staffing_rate():
    from geo.messages import CATALOGUE
    assert not [k for k, v in CATALOGUE.items() if "配员率" in v.get("zh", "")]


def test_run__site_suggestions_are_shown_on_a_map_with_the_households_they_add(project_file):
    at = _run_page(project_file)
    at.number_input(key="suggest_n").set_value(2).run()
    at.button(key="suggest_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    maps = [c for c in at.get("component_instance") if "_gain" in c.proto.json_args]
    assert maps, "no map of the suggestions"
    table = at.dataframe[-1].value
    assert list(table.columns)[:2] == ["序号", "新增覆盖户数"] and 1 <= len(table) <= 2


def test_run__coverage_walks_along_the_planners_own_road_lines(project_file, tmp_path):
    import geopandas as gpd
    import shapely

    from geo.project import load_project
    minx, miny, maxx, maxy = hostile_project().layer(s.GRIDS).to_crs(s.STORAGE_CRS).total_bounds
    xs, ys = [minx + (maxx - minx) * f for f in (0.25, 0.5, 0.75)], [miny + (maxy - miny) * f for f in (0.25, 0.5, 0.75)]
    lines = [shapely.LineString([(x, miny), (x, maxy)]) for x in xs] + \
            [shapely.LineString([(minx, y), (maxx, y)]) for y in ys]
    roads = tmp_path / "roads.geojson"
    gpd.GeoDataFrame(geometry=lines, crs=s.STORAGE_CRS).to_file(roads)
    at = _run_page(project_file)
    at.text_input(key="run_network_file").input(str(roads)).run()
    at.button(key="run_coverage_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert t("coverage.distance.network", "zh") in [c.value for c in at.caption]
    at.button(key="run_confirm_coverage").click().run()
    assert load_project(project_file).meta["coverage"]["distance"] == "network"
