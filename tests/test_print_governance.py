"""Printed pages carry the governance model: projects as symbols with a legend, the unit's counts as one line."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from geo import printdata as pdx
from geo import schema as s
from geo.rollup import unit_figures
from layers import print as lp
from tests.fieldkit import COMM, GRID, TOWN, governance_project

FIXED = {"date": "2024-01-01", "organisation": "测试社治委"}


@pytest.fixture(scope="module")
def project():
    return governance_project()


def test_map_page_data__projects_and_governance_counts_of_the_unit(project):
    data = pdx.map_page_data(project, COMM)
    assert sorted(data.projects[s.NAME]) == ["望江主题社区", "望江微更新"]
    assert data.projects.crs.to_epsg() == 32648
    want = unit_figures(project).get("community").loc[COMM]
    assert data.governance.to_dict() == want[list(pdx.GOVERNANCE_COLUMNS)].to_dict()
    assert data.governance["gov_projects"] == 2 and data.governance["organisations"] > 0


def test_map_page_data__a_grid_page_counts_its_own_projects(project):
    data = pdx.map_page_data(project, "5101970010010101")
    assert data.projects[s.NAME].tolist() == ["望江主题社区"]
    assert data.governance["gov_projects"] == 1


def test_map_page_data__town_children_carry_the_served_counts(project):
    data = pdx.map_page_data(project, TOWN)
    figures = unit_figures(project).get("community")
    kids = data.children.set_index(s.CODE)
    assert kids["organisations"].to_dict() == figures.loc[kids.index, "organisations"].astype(float).to_dict()


def test_render_map_page__projects_drawn_in_the_legend_and_the_counts_printed(project):
    data = pdx.map_page_data(project, GRID)
    fig = lp.render_map_page(data, lp.PageOptions(**FIXED))
    gids = lp.find_gids(fig)
    assert {"projects:主题社区", "projects:社区微更新", "governance"} <= gids
    pdf = PdfReader(io.BytesIO(lp.figure_bytes(fig, fmt="pdf")))
    text = "".join(page.extract_text() for page in pdf.pages).replace(" ", "")
    assert "治理项目2个（已建成1）" in text and "社区微更新" in text


def test_render_map_page__no_governance_line_without_governance_data():
    from tests.app_fixtures import COMM11
    from tests.factories import tiny_project

    data = pdx.map_page_data(tiny_project(), COMM11)  # no organisations, projects, bodies or buildings
    assert lp.governance_text(data, "zh") == ""
    assert "governance" not in lp.find_gids(lp.render_map_page(data, lp.PageOptions(**FIXED)))


def test_governance_text__prints_the_unit_s_buildings_and_those_without_a_head():
    from tests.fieldkit import fieldkit_project

    project = fieldkit_project(volunteers=5)  # the kit's buildings, no organisations
    data = pdx.map_page_data(project, COMM)
    want = unit_figures(project).get("community").loc[COMM]
    assert want["buildings"] >= want["headless_buildings"] >= 0 and want["buildings"] > 0
    assert f"楼栋 {want['buildings']:,.0f} 栋（无楼栋长 {want['headless_buildings']:,.0f} 栋）" in lp.governance_text(data, "zh")
