"""The import wizard takes governance projects and self-governance sheets (AppTest on the field kit):
guessed by content, read by the same geo functions as ``import --projects/--selfgov``, problems by row, saved."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.govprojects import read_projects
from geo.messages import t
from geo.project import load_project, save_project
from tests.app_login import signed_in
from geo.rollup import unit_figures
from geo.selfgov import read_selfgov, selfgov_table
from tests.fieldkit import fieldkit_project
from ui import state
from ui.safe import plain

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
WANGJIANG = "510197001001"


@pytest.fixture(scope="module")
def kit():
    return fieldkit_project(general_grids=True, volunteers=5)


def _inside(project, code: str) -> shapely.Point:
    grids = project.layer(s.GRIDS)
    return shapely.point_on_surface(grids.loc[grids[s.CODE] == code].geometry.iloc[0])


@pytest.fixture
def office(kit, tmp_path):
    """A project file of the kit, and a folder with a projects CSV (WGS 84) and a self-governance sheet."""
    project_file = tmp_path / "kit.gpkg"
    save_project(kit, project_file)
    folder = tmp_path / "治理资料"
    folder.mkdir()
    a = _inside(kit, "5101970010010101")
    pd.DataFrame([("望江微更新", "社区微更新", "已建成", 2022, "", "", a.x, a.y),
                  ("滨江主题社区", "主题社区", "规划", 2024, "桂香社区", "滨江花园", a.x, a.y),
                  ("无名项目", "社区食堂", "不知道", 2023, "", "", 104.9, 31.9)],  # row 3: kind, status, no grid
                 columns=["项目名称", "项目类型", "状态", "年份", "所属社区", "服务网格", "经度", "纬度"]).to_csv(
        folder / "治理项目.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame([("望江社区", "", 2, "望江社区居民议事会、望江社区业委会联席会", 3, "居民公约"),
                  ("不存在社区", "", 1, "", 1, "")],  # row 3 (Excel): unknown community
                 columns=["所属社区", "网格/小区", "自治组织数", "自治组织名称", "公约数", "公约名称"]).to_excel(
        folder / "自治组织.xlsx", index=False)
    return project_file, folder


def _wizard(project_file: Path, folder: Path) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(project_file)
    at.run()
    at.switch_page("ui/pages/import_wizard.py").run()
    at.text_input(key="import_folder").set_value(str(folder)).run()
    assert not at.exception, at.exception
    return at


def _boxes(at: AppTest) -> dict[str, object]:
    return {Path(sb.label.split(" ")[0]).name: sb for sb in at.selectbox if sb.key and sb.key.startswith("import_")}


def test_wizard__governance_files_guessed_read_as_the_cli_does_problems_by_row_and_saved(office, kit):
    project_file, folder = office
    at = _wizard(project_file, folder)
    layers = {Path(sb.label.split(" ")[0]).name: sb.value for sb in at.selectbox
              if sb.key and sb.key.startswith("import_layer_")}
    assert layers == {"治理项目.csv": s.GOV_PROJECTS, "自治组织.xlsx": s.SELFGOV}
    assert at.radio(key="import_mode").value == "update"
    crs = next(sb for sb in at.selectbox if sb.key and sb.key.startswith("import_crs_"))  # projects only
    crs.set_value("wgs84").run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert plain(t("wizard.gov.summary_projects", "zh", file="治理项目.csv", n=3)) in captions
    assert plain(t("wizard.gov.summary_selfgov", "zh", file="自治组织.xlsx", n=2)) in captions
    by_row = [df.value for df in at.dataframe if t("qa.col.feature", "zh") in df.value.columns]
    rows = {(r[t("qa.col.file", "zh")], r[t("qa.col.feature", "zh")]) for df in by_row for _, r in df.iterrows()}
    assert ("治理项目.csv", "#3") in rows and ("自治组织.xlsx", "3") in rows
    at.button(key="import_save").click().run()
    assert not at.exception, at.exception
    saved = load_project(project_file)
    want_projects, _ = read_projects(folder / "治理项目.csv", project=kit, crs="wgs84")
    assert saved.layer(s.GOV_PROJECTS)[s.GRID_CODES].tolist() == want_projects[s.GRID_CODES].tolist()
    want_selfgov = selfgov_table(read_selfgov(folder / "自治组织.xlsx", grids=kit.layer(s.GRIDS),
                                              communities=kit.layer(s.COMMUNITIES)))
    assert saved.table(s.SELFGOV)[s.GRID_CODES].tolist() == want_selfgov[s.GRID_CODES].tolist()
    figures = unit_figures(saved, category=None).get("community")
    assert figures.loc[WANGJIANG, ["gov_projects", "projects_done", "selfgov_bodies", "conventions"]].tolist() == \
        [1, 1, 2, 3]
    assert len(saved.layer(s.GRIDS)) == len(kit.layer(s.GRIDS))  # the rest of the project kept


def test_wizard__projects_without_a_declared_crs_are_refused_with_the_form_s_remedy(office):
    project_file, folder = office
    (folder / "自治组织.xlsx").unlink()
    at = _wizard(project_file, folder)
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    assert any(plain("治理项目.csv") in e.value for e in at.error)
    assert not any("--" in e.value for e in at.error)  # the remedy names the form, not a command-line flag
    assert not [b for b in at.button if b.key == "import_save"]
