"""Issue 17, a planner's day: each rough edge found in the app has a test here (AppTest on the tiny project)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.messages import t
from layers.web import PointSpec, point_layer
from tests.app_fixtures import COMM11, TOWN1, hostile_project, save_hostile
from ui import state
from ui.mapview import MapOptions, build_explore_map
from geo.explore import Selection
from geo.rollup import unit_figures

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def project_file(tmp_path):
    return save_hostile(tmp_path / "tiny.gpkg")


def _app(path: Path, page: str | None = None, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
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
    legend = [m.value for m in panel_col.markdown if "服务点类型" in m.value]
    assert legend and not [m.value for m in map_col.markdown if "服务点类型" in m.value]
    # coverage not computed: the hint names the page as the menu names it
    assert any(t("ui.nav.run", "zh") in c.value for c in panel_col.caption)


def test_explore__staff_table_shows_grid_names_and_fits(project_file):
    at = _app(project_file, **{state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11})
    at.run()
    staff = at.dataframe[0].value
    grid_names = set(hostile_project().layer(s.GRIDS)[s.NAME])
    assert set(staff.iloc[:, 0]) <= grid_names
    assert len(staff.columns) <= 5


def test_explore__reach_heading_names_the_four_categories_apart_from_point_types():
    assert "4" in t("ui.panel.reach_categories", "en", radius=500)
    assert t("ui.panel.reach_categories", "zh", radius=500) != t("ui.explore.point_types", "zh")
