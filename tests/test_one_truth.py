"""Regression tests for the contradictions found on a county that is not the demo (issue 12, "Why")."""
from __future__ import annotations

import io

import openpyxl
import pytest

from geo import schema as s
from geo.export import ExportOptions, export_bytes
from geo.export_tables import grid_summary
from geo.hierarchy import place_label
from geo.messages import label, t
from geo.printdata import city_unit, find_unit, map_page_data
from geo.rollup import unit_figures
from tests.fieldkit import fieldkit_project, summary
from tests.test_consistency import analysed
from tests.app_login import signed_in


@pytest.fixture(scope="module")
def kit():
    return analysed(fieldkit_project(volunteers=150))


def test_grids_without_town_code__reach_their_town_through_their_community(kit):
    assert kit.layer(s.GRIDS)[s.TOWN_CODE].notna().all()  # written by complete_hierarchy
    raw = kit.with_layer(s.GRIDS, kit.layer(s.GRIDS).assign(**{s.TOWN_CODE: None}))  # even when not written
    towns = unit_figures(raw, category=None).get("town")
    assert towns["households"].tolist() == [t["households"] for t in summary()["towns"]]
    assert (towns["grids"] > 0).all()


def test_export__service_points_are_service_points_not_volunteers(kit):
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(kit, ExportOptions(fmt="xlsx")).data))
    sheet = book[t("export.sheet.summary", "zh")]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index(t("col.point_count", "zh"))
    level = rows[0].index(t("col.level", "zh"))
    town_points = [r[col] for r in rows[1:] if r[level] == label("level", "town", "zh")]
    assert sum(int(v) for v in town_points) == summary()["counts"]["service_points"] == 45
    cells = grid_summary(kit)["service_points"]
    assert not cells.str.fullmatch(r"[；]+").any()  # no cell of separators only (volunteers have no name here)
    names = set(kit.layer(s.SERVICE_POINTS)[s.NAME])
    assert all(part in names for cell in cells if cell for part in cell.split("；"))


def test_print__community_pages_show_micro_grids_directly_under_the_community(kit):
    truth = {c["code"]: c for c in summary()["communities"]}
    for code, comm in truth.items():
        page = map_page_data(kit, code, measure="households")
        assert len(page.children) == comm["micro_grids"]
        assert page.children["households"].sum() == comm["households"]


def test_place_name__from_the_data_never_a_constant(kit):
    assert place_label(kit) == "本项目区域（510197）"
    assert place_label(kit, "en") == "Project area (510197)"
    named = kit.with_settings(place_name="锦澜市", place_name_en="Jinlan")
    assert city_unit(named).name == "锦澜市" and place_label(named, "en") == "Jinlan"
    assert "崇州" not in city_unit(kit).name


def test_dashboard__a_town_filter_counts_only_that_towns_people_and_points(kit, tmp_path):
    from streamlit.testing.v1 import AppTest

    from geo.project import save_project
    from tests.test_consistency import ROOT
    from ui import state

    path = tmp_path / "kit.gpkg"
    save_project(kit, path)
    town = summary()["towns"][2]["code"]
    at = signed_in(AppTest.from_file(str(ROOT / "ui" / "pages" / "dashboard.py"), default_timeout=60))
    at.session_state[state.PROJECT_PATH] = str(path)
    at.session_state[state.DASH_TOWN] = town
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    figures = unit_figures(kit).get("town").loc[town]
    assert metrics[t("ui.dash.volunteers", "zh")] == f"{figures['volunteers']:,.0f}"
    assert metrics[t("ui.dash.points", "zh")] == f"{figures['service_points']:,.0f}"
    assert figures["volunteers"] < len(kit.layer(s.VOLUNTEERS))
    assert figures["service_points"] < len(kit.layer(s.SERVICE_POINTS))


def test_find_unit__grid_parent_comes_from_the_tree(kit):
    code = kit.layer(s.GRIDS)[s.CODE].iloc[0]
    unit = find_unit(kit, code)
    assert unit.parent_level == "community" and unit.parent_code == code[:12]
