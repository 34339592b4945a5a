"""The explore page on a city-size project reads only what a view shows (issue #14 item 3).

Off the field kit (``tests/fieldkit.py``) saved as a GeoPackage; "city size" is forced by
lowering ``ui.cached.CITY_SIZE_GRIDS`` below its 180 grids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import schema as s
from geo.access import ADMIN, Scope, load_scoped
from geo.explore import Selection, problem_rows
from geo.project import load_project, save_project
from geo.rollup import COMMUNITY, GRID, TOWN, Figures, unit_figures
from geo.store import open_store
from tests.fieldkit import fieldkit_project
from ui import cached

WHOLE = Scope(role=ADMIN)


@pytest.fixture(scope="module")
def kit():
    return fieldkit_project()


@pytest.fixture
def kit_file(kit, tmp_path):
    path = tmp_path / "kit.gpkg"
    save_project(kit, path)
    return path


@pytest.fixture
def city_size(monkeypatch):
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 20)


def _codes(project, layer: str) -> set[str]:
    frame = project.layer(layer)
    return set(frame[s.CODE].astype(str)) if s.CODE in frame.columns else set()


def _town_of(kit) -> dict[str, str]:
    comms = kit.layer(s.COMMUNITIES)
    return dict(zip(comms[s.CODE].astype(str), comms[s.TOWN_CODE].astype(str)))


def test_unit_part_figures__equal_the_whole_projects_for_that_unit(kit, kit_file):
    whole = unit_figures(load_project(kit_file))
    for town in sorted(_codes(kit, s.TOWNS)):
        part = load_scoped(kit_file, Scope(role=ADMIN, level=TOWN, code=town))
        pd.testing.assert_series_equal(unit_figures(part).unit(TOWN, town), whole.unit(TOWN, town))
    community = sorted(_codes(kit, s.COMMUNITIES))[-1]
    part = load_scoped(kit_file, Scope(role=ADMIN, level=COMMUNITY, code=community))
    pd.testing.assert_series_equal(unit_figures(part).unit(COMMUNITY, community), whole.unit(COMMUNITY, community))
    grids = sorted(_codes(part, s.GRIDS))
    assert grids and unit_figures(part).get(GRID).loc[grids].equals(whole.get(GRID).loc[grids])


def test_store_partial_read__sees_a_grid_added_by_a_save(kit, kit_file):
    community = sorted(_codes(kit, s.COMMUNITIES))[0]
    store = open_store(kit_file)
    before = store.load(community=community)  # the store keeps the unit tree of this revision
    grids = before.layer(s.GRIDS)
    added = grids.iloc[[0]].assign(**{s.CODE: f"{community}9999", s.NAME: "新网格"})
    store.save(before.with_layer(s.GRIDS, pd.concat([grids, added], ignore_index=True)),
               expected_revision=before.revision)
    assert f"{community}9999" in _codes(store.load(community=community), s.GRIDS)


def test_explore_project__city_size_reads_only_the_views_unit(kit, kit_file, city_size):
    town = sorted(_codes(kit, s.TOWNS))[0]
    community = next(c for c, t in sorted(_town_of(kit).items()) if t == town)
    city = cached.explore_project(kit_file, WHOLE, Selection())
    assert _codes(city, s.TOWNS) == _codes(kit, s.TOWNS) and len(city.layer(s.GRIDS)) == 0
    town_part = cached.explore_project(kit_file, WHOLE, Selection(town=town))
    assert _codes(town_part, s.COMMUNITIES) == {c for c, t in _town_of(kit).items() if t == town}
    comm_part = cached.explore_project(kit_file, WHOLE, Selection(town=town, community=community, grid="x"))
    kit_grids = kit.layer(s.GRIDS)
    assert _codes(comm_part, s.GRIDS) == set(kit_grids.loc[kit_grids[s.COMMUNITY_CODE] == community, s.CODE])
    assert cached.explore_project(kit_file, WHOLE, Selection(town=town)) is town_part  # cached per unit
    assert len({cached.scope_key(p) for p in (city, town_part, comm_part)}) == 3  # no shared cache entries


def test_explore_project__demo_size_reads_the_whole_project(kit, kit_file):
    whole = cached.cached_scoped_project(kit_file, WHOLE)
    assert cached.explore_project(kit_file, WHOLE, Selection(town=sorted(_codes(kit, s.TOWNS))[0])) is whole


def test_explore_project__a_scoped_user_sees_no_row_outside_the_scope(kit, kit_file, city_size):
    towns_of = _town_of(kit)
    mine = sorted(towns_of)[0]
    town = towns_of[mine]
    neighbour = next(c for c, t in sorted(towns_of.items()) if t == town and c != mine)
    other_town = next(t for t in sorted(set(towns_of.values())) if t != town)
    scope = Scope(role="community", level=COMMUNITY, code=mine, user="li")
    assert _codes(cached.explore_project(kit_file, scope, Selection()), s.TOWNS) == {town}
    assert _codes(cached.explore_project(kit_file, scope, Selection(town=town)), s.COMMUNITIES) == {mine}
    for sel in (Selection(town=other_town), Selection(town=town, community=neighbour)):
        part = cached.explore_project(kit_file, scope, sel)
        assert not _codes(part, s.COMMUNITIES) and not _codes(part, s.GRIDS) and len(part.layer(s.VOLUNTEERS)) == 0


def test_city_summary__added_up_once_in_the_background_as_the_whole_project_would(kit_file):
    args = {"category": "生活", "radius_m": 500.0, "lang": "zh"}
    cached.city_summary_if_ready(kit_file, WHOLE, **args)
    thread = cached._city_job(str(kit_file), cached._stamp(kit_file), WHOLE, "生活", 500.0, "zh")
    thread.join(timeout=120)
    figures, panel = cached.city_summary_if_ready(kit_file, WHOLE, **args)
    whole = unit_figures(load_project(kit_file), category="生活", radius_m=500.0)
    pd.testing.assert_frame_equal(figures.get(TOWN), whole.get(TOWN))
    assert panel.chain[-1][1] is None and panel.unit["grids"] == len(whole.get(GRID))


def test_problem_rows__lists_each_flagged_grid_in_order_and_skips_the_rest(kit):
    codes = kit.layer(s.GRIDS)[s.CODE].astype(str).tolist()[:4]
    grids = pd.DataFrame({"short": [0, 2, 0, 0], "no_leader": [1, 0, 0, 0], "coverage": [0.5, np.nan, 0.0, 0.7]},
                         index=codes)
    rows = problem_rows(kit, Figures({GRID: grids}), codes, category="生活", radius_m=500)
    names = dict(zip(kit.layer(s.GRIDS)[s.CODE].astype(str), kit.layer(s.GRIDS)[s.NAME].astype(str)))
    assert rows == [("ui.panel.problem.no_leader", {"name": names[codes[0]]}),
                    ("ui.panel.problem.short", {"name": names[codes[1]], "short": 2}),
                    ("ui.panel.problem.no_reach", {"name": names[codes[2]], "radius": "500", "category": "生活"})]


# --- the page (AppTest) ------------------------------------------------------------------------------

def _app(path, **session):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.app_login import signed_in
    from ui import state

    at = signed_in(AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60))
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    return at


def _never_whole(*args, **kwargs):
    msg = "the explore page loaded the whole project on a city-size project"
    raise AssertionError(msg)


def test_explore_page__city_size_drills_down_without_the_whole_project(tmp_path, city_size, monkeypatch):
    from tests.app_fixtures import COMM11, GRID_M1, TOWN1, hostile_project, phones_of, save_hostile
    from ui import state

    path = save_hostile(tmp_path / "tiny.gpkg")
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 0)
    monkeypatch.setattr("ui.common.cached_scoped_project", _never_whole)  # what current_project reads
    at = _app(path)
    at.run()
    assert not at.exception
    assert any(h.value.startswith("市 · ") for h in at.subheader)
    category = at.selectbox(key=state.EXPLORE_CATEGORY).value  # the page's own job: its category and radius
    radius_m = float(at.selectbox(key=state.EXPLORE_RADIUS).value)
    cached._city_job(str(path), cached._stamp(path), Scope(role=ADMIN), category, radius_m, "zh").join(timeout=120)
    at.run()  # the poller's rerun: the city's figures have been added up
    assert not at.exception and len(at.metric) == 3 and at.metric[1].value == "24"  # the city's grids, added up
    comp = at.get("component_instance")[0]
    town1 = hostile_project().layer(s.TOWNS).set_index(s.CODE).loc[TOWN1].geometry.representative_point()
    at.session_state[comp.key] = {"last_object_clicked": {"lat": town1.y, "lng": town1.x}}
    at.run()
    assert not at.exception and at.session_state[state.SELECTED_TOWN] == TOWN1
    assert any(h.value.startswith("镇街 · ") for h in at.subheader)
    at.session_state[state.SELECTED_COMMUNITY] = COMM11
    at.session_state[state.SELECTED_GRID] = GRID_M1
    at.run()
    assert not at.exception and any(h.value.startswith("网格 · ") for h in at.subheader)
    shown = " ".join(" ".join(df.value.astype(str).to_numpy().ravel()) for df in at.dataframe)
    assert all(phone not in shown for phone in phones_of(hostile_project()))
    at.button(key="crumb_city").click().run()
    assert not at.exception and at.session_state[state.SELECTED_TOWN] is None


def test_explore_page__city_size_search_finds_a_grid(tmp_path, monkeypatch):
    from tests.app_fixtures import COMM11, GRID_M1, save_hostile
    from ui import state

    path = save_hostile(tmp_path / "tiny.gpkg")
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 0)
    monkeypatch.setattr("ui.common.cached_scoped_project", _never_whole)
    at = _app(path)
    at.run()
    at.text_input(key=state.EXPLORE_SEARCH).set_value(GRID_M1).run()
    at.button(key="explore_search_go").click().run()
    assert not at.exception
    assert at.session_state[state.SELECTED_GRID] == GRID_M1 and at.session_state[state.SELECTED_COMMUNITY] == COMM11


def test_view_tolerance__a_city_wider_than_a_county_gets_a_coarser_pixel(kit):
    from geo.lod import PIXELS_ACROSS, TOLERANCE_M, view_tolerance_m
    from geo.explore import CITY, view_units

    towns = view_units(kit, Selection())
    assert view_tolerance_m(towns, view=CITY) == TOLERANCE_M[CITY]  # the field kit is smaller than a county
    wide = {"towns": towns["towns"].to_crs(s.METRIC_CRS).scale(xfact=40, yfact=40, origin="center").to_crs(
        s.STORAGE_CRS)}
    across = wide["towns"].to_crs(s.METRIC_CRS).total_bounds
    assert view_tolerance_m(wide, view=CITY) == pytest.approx(max(across[2] - across[0], across[3] - across[1])
                                                              / PIXELS_ACROSS)


CITY_PAGES = ("ui/pages/dashboard.py", "ui/pages/run.py", "ui/pages/edit.py", "ui/pages/export.py",
              "ui/pages/print.py")


@pytest.mark.parametrize("page", CITY_PAGES)
def test_city_size_pages__ask_for_a_town_then_read_only_that_town(tmp_path, monkeypatch, page):
    from tests.app_fixtures import TOWN1, TOWN2, save_hostile
    from ui import state

    path = save_hostile(tmp_path / "tiny.gpkg")
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 0)
    monkeypatch.setattr("ui.common.cached_scoped_project", _never_whole)  # what current_project read before
    at = _app(path)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert "城市级项目" in at.info[0].value  # why the page asks, and no data yet
    picker = at.selectbox(key=state.WORKING_TOWN)
    assert len(picker.options) == 2 and all(TOWN1 in o or TOWN2 in o for o in picker.options)
    picker.set_value(TOWN1).run()
    assert not at.exception, at.exception
    assert at.session_state[state.SELECTED_TOWN] == TOWN1
    notes = [i.value for i in at.info if "城市级项目" in i.value]
    assert len(notes) == 1 and TOWN1 in notes[0] and TOWN2 not in notes[0]  # named once per run
    at.button(key="working_other").click().run()
    assert not at.exception and at.session_state[state.SELECTED_TOWN] is None
    assert at.selectbox(key=state.WORKING_TOWN).value is None


def test_city_size_dashboard__the_towns_figures_as_the_whole_project_gives_them(tmp_path, monkeypatch):
    from tests.app_fixtures import TOWN1, save_hostile
    from ui import state

    path = save_hostile(tmp_path / "tiny.gpkg")
    at = _app(path)
    at.run()
    at.switch_page("ui/pages/dashboard.py").run()
    at.selectbox(key=state.DASH_TOWN).set_value(TOWN1).run()
    whole = [m.value for m in at.metric]
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 0)
    monkeypatch.setattr("ui.common.cached_scoped_project", _never_whole)
    city = _app(path, **{state.SELECTED_TOWN: TOWN1})
    city.run()
    city.switch_page("ui/pages/dashboard.py").run()
    assert not city.exception
    assert [m.value for m in city.metric] == whole and whole


def test_city_size_pages__a_town_users_own_town_without_asking(tmp_path, monkeypatch):
    from geo.access import TOWN as TOWN_ROLE
    from tests.app_fixtures import TOWN1, save_hostile
    from ui import state

    path = save_hostile(tmp_path / "tiny.gpkg")
    monkeypatch.setattr(cached, "CITY_SIZE_GRIDS", 0)
    monkeypatch.setattr("ui.common.cached_scoped_project", _never_whole)
    at = _app(path, **{state.SCOPE: Scope(role=TOWN_ROLE, level="town", code=TOWN1, user="t1")})
    at.run()
    at.switch_page("ui/pages/dashboard.py").run()
    assert not at.exception
    assert not [w for w in at.selectbox if w.key == state.WORKING_TOWN]
    assert any(TOWN1 in i.value for i in at.info) and at.metric
