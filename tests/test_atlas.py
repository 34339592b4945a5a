"""Atlases (cover, contents, one page per unit, selection, outline) and notice boards (layers/atlas.py)."""
from __future__ import annotations

import pandas as pd
import pytest
from pypdf import PdfReader

from geo import printdata as pdx
from geo import schema as s
from geo.errors import GeoInputError
from layers import atlas
from layers import print as lp

pytestmark = pytest.mark.filterwarnings("error:Glyph:UserWarning")

MICRO = "510184001001-G1-M1"


@pytest.fixture
def staffed_project(tiny_project):
    rows = pd.DataFrame([
        {s.VOLUNTEER_ID: "V110", s.GRID_CODE: MICRO, s.ROLE: "leader"},
        {s.VOLUNTEER_ID: "V111", s.GRID_CODE: MICRO, s.ROLE: "member"},
        {s.VOLUNTEER_ID: "V120", s.GRID_CODE: "510184001001-G1", s.ROLE: "worker"},
    ])
    return tiny_project.with_table(s.ASSIGNMENTS, rows)


def test_render_atlas__cover_contents_and_one_page_per_community(staffed_project, tmp_path):
    out = tmp_path / "atlas.pdf"
    result = atlas.render_atlas(staffed_project, "community", out, options=lp.PageOptions(date="2024-01-01"))
    reader = PdfReader(out)
    assert result.n_pages == len(reader.pages) == 1 + 1 + 4  # cover, contents, 4 communities
    assert [n for n, _ in result.units] == [1, 2, 3, 4]
    contents = reader.pages[1].extract_text()
    assert "目录" in contents and "测试22社区" in contents
    assert "测试11社区" in reader.pages[2].extract_text()
    outline = [item.title for item in reader.outline]
    assert outline[0] == "目录" and outline[1:] == ["1. 测试11社区", "2. 测试12社区", "3. 测试21社区", "4. 测试22社区"]
    assert [reader.get_destination_page_number(item) for item in reader.outline[1:]] == [2, 3, 4, 5]


def test_render_atlas__page_selection_keeps_atlas_numbers(staffed_project, tmp_path):
    out = tmp_path / "sel.pdf"
    result = atlas.render_atlas(staffed_project, "community", out, pages="2,4")
    assert [(n, u.code) for n, u in result.units] == [(2, "510184001002"), (4, "510184002002")]
    assert len(PdfReader(out).pages) == 2 + 2


def test_render_atlas__one_towns_communities_one_file_each(staffed_project, tmp_path):
    result = atlas.render_atlas(staffed_project, "community", tmp_path / "byunit", town="510184002000",
                                per_unit=True)
    assert sorted(p.name for p in result.paths) == ["001_510184002001.pdf", "002_510184002002.pdf"]
    assert all(len(PdfReader(p).pages) == 1 for p in result.paths)


def test_render_atlas__grid_pages_show_masked_rosters(staffed_project, tmp_path):
    out = tmp_path / "grids.pdf"
    atlas.render_atlas(staffed_project, "grid", out, pages="1")
    text = PdfReader(out).pages[2].extract_text()
    assert "微网格长" in text and "138****0000" in text and "13800000000" not in text


def test_render_atlas__bad_selection_writes_nothing(staffed_project, tmp_path):
    with pytest.raises(GeoInputError) as info:
        atlas.render_atlas(staffed_project, "community", tmp_path / "x.pdf", pages="3-9")
    assert info.value.code == "print.bad_pages"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(GeoInputError) as info:
        atlas.render_atlas(staffed_project, "province", tmp_path / "x.pdf")
    assert info.value.code == "print.unknown_level"


def test_render_notice_page__people_masked_and_points_within_reach(staffed_project):
    data = pdx.notice_data(staffed_project, MICRO, reach_m=300)
    assert data.points[s.POINT_ID].tolist() == ["P1001"]  # only its own community's workstation is within 300 m
    assert data.leaders[s.PHONE].tolist() == ["138****0000"]
    fig = atlas.render_notice_page(data, lp.PageOptions(internal=True))
    assert {"title", "map", "scalebar", "north_arrow", "people", "footer", "legend"} <= lp.find_gids(fig)
    people = next(a for a in fig.texts if a.get_gid() == "people").get_text()
    assert "张000" in people and "138****0000" in people and "138****1000" in people  # leader and worker
    assert "13800000000" not in people


def test_notice_data__includes_the_neighbouring_micro_grids_only(staffed_project):
    data = pdx.notice_data(staffed_project, MICRO, reach_m=300)
    codes = set(data.neighbours[s.CODE].astype(str))
    assert MICRO not in codes
    assert codes and all(c.count("-M") == 1 for c in codes)  # micro-grids, the same level
    assert str(data.neighbours.crs) == "EPSG:32648"
