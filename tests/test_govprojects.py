"""Governance projects (主题社区, 社区微更新, ...) on the 锦澜市 field kit: reading, grids served, roll-up, findings."""
from __future__ import annotations

import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.govprojects import project_kind, project_rows, project_status, read_projects
from geo.project import load_project, save_project
from geo.rollup import unit_figures
from geo.validate import check_project
from tests.fieldkit import fieldkit_project


@pytest.fixture(scope="module")
def kit():
    return fieldkit_project(volunteers=5)


def _inside(project, code: str) -> shapely.Point:
    grids = project.layer(s.GRIDS)
    return shapely.point_on_surface(grids.loc[grids[s.CODE] == code].geometry.iloc[0])


@pytest.fixture(scope="module")
def sheet(kit, tmp_path_factory):
    a, b = _inside(kit, "5101970010010101"), _inside(kit, "5101971010010102")
    rows = [
        ("望江微更新", "社区微更新", "已建成", 2022, "", "", a.x, a.y),
        ("澄溪花园", "社区花园", "建设中", 2023, "", "", b.x, b.y),
        ("滨江主题社区", "主题社区", "规划", 2024, "桂香社区", "滨江花园", a.x, a.y),  # the named grid wins
        ("无名项目", "社区食堂", "不知道", 2023, "", "", 104.9, 31.9),  # unknown kind and status, in no grid
    ]
    path = tmp_path_factory.mktemp("prj") / "治理项目.csv"
    pd.DataFrame(rows, columns=["项目名称", "项目类型", "状态", "年份", "所属社区", "服务网格", "经度", "纬度"]).to_csv(
        path, index=False, encoding="utf-8-sig")
    return path


def test_read_projects__grids_served_by_name_else_by_place(kit, sheet):
    gdf, _ = read_projects(sheet, project=kit, crs="wgs84")
    assert gdf[s.PROJECT_ID].tolist() == ["PRJ0001", "PRJ0002", "PRJ0003", "PRJ0004"]
    assert gdf[s.GRID_CODES].tolist() == ["5101970010010101", "5101971010010102", "5101970010020104", ""]
    assert gdf[s.COMMUNITY_CODE].tolist()[:3] == ["510197001001", "510197101001", "510197001002"]
    assert gdf[s.STATUS].tolist() == ["done", "under_way", "planned", None]
    assert gdf.crs.to_epsg() == 4326


def test_read_projects__unknown_kind_status_and_no_grid_are_named_by_row(kit, sheet):
    _, findings = read_projects(sheet, project=kit, crs="wgs84")
    mine = sorted((f["code"], f["feature_id"]) for f in findings if f["code"].startswith("gov_projects."))
    assert mine == [("gov_projects.no_grid", "#4"), ("gov_projects.unknown_kind", "#4"),
                    ("gov_projects.unknown_status", "#4")]


def test_read_projects__a_sheet_without_a_declared_crs_is_refused(kit, sheet):
    from geo.errors import GeoInputError

    with pytest.raises(GeoInputError):
        read_projects(sheet, project=kit, crs=None)


def test_rollup__projects_count_once_per_unit_and_done_ones_apart(kit, sheet):
    gdf, _ = read_projects(sheet, project=kit, crs="wgs84")
    project = kit.with_layer(s.GOV_PROJECTS, gdf)
    figures = unit_figures(project, category=None)
    comms = figures.get("community")
    assert comms.loc["510197001001", ["gov_projects", "projects_done"]].tolist() == [1, 1]
    assert comms.loc["510197001002", ["gov_projects", "projects_done"]].tolist() == [1, 0]
    assert figures.get("town").loc["510197001000", "gov_projects"] == 2
    assert figures.get("city")["gov_projects"].iloc[0] == 3  # the project in no grid counts nowhere
    assert figures.get("grid").loc["5101970010010101", "gov_projects"] == 1


def test_project_rows__the_projects_of_a_unit_for_the_panel(kit, sheet):
    gdf, _ = read_projects(sheet, project=kit, crs="wgs84")
    rows = project_rows(kit.with_layer(s.GOV_PROJECTS, gdf), ["5101970010020104", "5101970010020101"])
    assert rows[s.NAME].tolist() == ["滨江主题社区"]


def test_layer__saved_and_loaded_with_points_and_areas_and_checked_without_errors(kit, sheet, tmp_path):
    gdf, _ = read_projects(sheet, project=kit, crs="wgs84")
    comms = kit.layer(s.COMMUNITIES)
    area = gdf.iloc[[0]].set_geometry([comms.geometry.iloc[0]], crs=s.STORAGE_CRS).assign(
        **{s.PROJECT_ID: "PRJ0099"})
    both = pd.concat([gdf, area], ignore_index=True)
    project = save_project(kit.with_layer(s.GOV_PROJECTS, both), tmp_path / "p.gpkg")
    loaded = load_project(tmp_path / "p.gpkg").layer(s.GOV_PROJECTS)
    assert loaded[s.GRID_CODES].tolist()[:3] == both[s.GRID_CODES].tolist()[:3]
    findings = check_project(project)
    assert findings[(findings["layer"] == s.GOV_PROJECTS) & (findings["severity"] == "error")].empty


@pytest.mark.parametrize(("written", "kind", "status"), [
    ("微更新", "社区微更新", None), ("社区运动角", "社区运动角", None), ("已竣工", None, "done"), ("在建", None, "under_way")])
def test_project_kind_and_status__office_words(written, kind, status):
    assert project_kind(written) == kind
    assert project_status(written) == status


def test_import_command__projects_and_selfgov_into_an_existing_project(kit, sheet, tmp_path, capsys):
    from cli.main import main

    out = tmp_path / "kit.gpkg"
    save_project(kit, out)
    selfgov = tmp_path / "自治.csv"
    pd.DataFrame({"所属社区": ["望江社区"], "自治组织数": [3], "公约名称": ["居民公约"]}).to_csv(
        selfgov, index=False, encoding="utf-8-sig")
    code = main(["--lang", "en", "import", "--projects", str(sheet), "--projects-crs", "wgs84",
                 "--selfgov", str(selfgov), "--out", str(out), "--update", "gov_projects", "selfgov"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Projects file 治理项目.csv: 4 projects kept." in text and "Self-governance sheet 自治.csv: 1 rows kept." in text
    assert "unknown kind" in text  # row 4's finding is printed, in words
    project = load_project(out)
    assert len(project.layer(s.GOV_PROJECTS)) == 4
    figures = unit_figures(project, category=None).get("community")
    assert figures.loc["510197001001", ["gov_projects", "selfgov_bodies", "conventions"]].tolist() == [1, 3, 1]
