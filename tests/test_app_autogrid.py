"""AppTest: the Run page's auto-gridding tab replaces a community's grids, asks first, and saves."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.project import load_project, save_project
from tests.app_fixtures import COMM11, GRID_M1, TOWN1, hostile_project
from tests.factories import UTM, X0, Y0
from tests.app_login import signed_in
from ui import state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
RUN_PAGE = "ui/pages/run.py"
COMM12 = "510184001002"


def _households(community: str, x_offset_m: float) -> gpd.GeoDataFrame:
    """A 10 x 10 lattice of buildings, 4 households each (400 in all), inside one 1 km community."""
    rows, geoms = [], []
    for i in range(10):
        for j in range(10):
            rows.append({s.CODE: f"H{community[-3:]}{i}{j}", s.HOUSEHOLDS_N: 4, s.COMMUNITY_CODE: community,
                         s.ILLUSTRATIVE: True})
            geoms.append(shapely.Point(X0 + x_offset_m + 50 + 100 * i, Y0 + 50 + 100 * j))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=UTM).to_crs(s.STORAGE_CRS)


@pytest.fixture
def project_file(tmp_path):
    """The hostile tiny project (staff assigned in C11) with household points in C11 and C12."""
    points = pd.concat([_households(COMM11, 0), _households(COMM12, 1000)], ignore_index=True)
    project = hostile_project().with_layer(s.HOUSEHOLDS, gpd.GeoDataFrame(points, crs=s.STORAGE_CRS))
    path = tmp_path / "tiny_hh.gpkg"
    save_project(project, path)
    return path


def _run_page(path: Path, **session) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(RUN_PAGE).run()
    assert not at.exception
    return at


def test_autogrid__one_community_gets_micro_grids_in_band_and_is_saved(project_file):
    before = load_project(project_file)
    at = _run_page(project_file)
    at.multiselect(key=state.AUTOGRID_COMMUNITIES).set_value([COMM11]).run()
    assert any("2 条人员分配" in w.value for w in at.warning)  # C11's staff point at grids to be replaced
    at.checkbox(key=state.AUTOGRID_CONFIRM).check().run()
    at.button(key=state.AUTOGRID_RUN).click().run()
    assert load_project(project_file).revision == before.revision  # previewed, not written yet
    at.button(key="run_confirm_autogrid").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("已保存" in m.value for m in at.success)

    saved = load_project(project_file)
    assert saved.revision == before.revision + 1
    grids = saved.layer(s.GRIDS)
    mine = grids[grids[s.COMMUNITY_CODE] == COMM11]
    micro = mine[mine[s.LEVEL] == s.LEVEL_MICRO]
    assert len(micro) >= 4 and micro[s.HOUSEHOLDS_N].between(30, 100).all()
    assert micro[s.HOUSEHOLDS_N].sum() == 400
    assert GRID_M1 not in set(grids[s.CODE])  # the old micro-grid is gone, its code retired
    assert GRID_M1 in set(saved.table(s.GRID_CODE_HISTORY)[s.CODE])
    assert mine[s.CODE].str.fullmatch(rf"{COMM11}01(\d\d)?").any()  # new codes: the default numeric pattern
    others = before.layer(s.GRIDS)[before.layer(s.GRIDS)[s.COMMUNITY_CODE] != COMM11]
    assert sorted(grids.loc[grids[s.COMMUNITY_CODE] != COMM11, s.CODE]) == sorted(others[s.CODE])
    assert saved.settings["micro_households"] == [30, 100]
    # the summary table shows both levels; the planner is told to redo the assignment
    table = at.dataframe[0].value
    assert list(table.index) == ["微网格", "一般网格"]
    assert any("重新运行分配" in w.value for w in at.warning)


def test_autogrid__nothing_runs_until_the_replacement_is_confirmed(project_file):
    before = load_project(project_file)
    mtime = project_file.stat().st_mtime_ns
    at = _run_page(project_file)
    at.multiselect(key=state.AUTOGRID_COMMUNITIES).set_value([COMM11]).run()
    assert at.button(key=state.AUTOGRID_RUN).disabled  # AppTest, like a browser, cannot click it
    at.checkbox(key=state.AUTOGRID_CONFIRM).check().run()
    assert not at.button(key=state.AUTOGRID_RUN).disabled
    # choosing other communities withdraws the confirmation: it was for C11's grids only
    at.multiselect(key=state.AUTOGRID_COMMUNITIES).set_value([COMM11, COMM12]).run()
    assert not at.checkbox(key=state.AUTOGRID_CONFIRM).value
    assert at.button(key=state.AUTOGRID_RUN).disabled
    assert not at.exception
    assert not at.success
    assert project_file.stat().st_mtime_ns == mtime
    assert load_project(project_file).revision == before.revision


def test_autogrid__the_town_helper_selects_all_its_communities(project_file):
    at = _run_page(project_file)
    at.selectbox(key=state.AUTOGRID_TOWN).set_value(TOWN1).run()
    assert not at.exception
    assert at.multiselect(key=state.AUTOGRID_COMMUNITIES).value == [COMM11, COMM12]


def test_autogrid__a_bad_band_shows_the_catalogue_message(project_file):
    at = _run_page(project_file)
    at.multiselect(key=state.AUTOGRID_COMMUNITIES).set_value([COMM12]).run()
    at.checkbox(key=state.AUTOGRID_CONFIRM).check().run()
    at.number_input(key=state.AUTOGRID_MICRO_MIN).set_value(200).run()  # min above max (100)
    at.button(key=state.AUTOGRID_RUN).click().run()
    assert not at.exception
    assert any("200" in e.value and "无效" in e.value for e in at.error)
    assert not at.success


def test_autogrid__without_household_points_the_tab_says_what_to_import(tmp_path):
    path = tmp_path / "no_hh.gpkg"
    save_project(hostile_project(), path)
    at = _run_page(path)
    assert any("楼栋/住户点" in i.value for i in at.info)  # the layer in words (no identifier on a Chinese page)
