"""The import wizard on the field kit: layers guessed by content, declared CRS, all problems at once, save."""
from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import is_valid
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.project import load_project
from ui import state
from tests.shapes import SHAPES, as_lonlat, box
from tests.app_login import signed_in
from ui.safe import plain

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
KIT = ROOT / "tests" / "data" / "fieldkit"
DECLARE = {"towns_amap.geojson": "gcj02", "communities_amap.geojson": "gcj02", "grids_baidu.geojson": "bd09",
           "service_points_baidu.csv": "bd09"}


@pytest.fixture
def office_folder(tmp_path):
    folder = tmp_path / "移交资料"
    for sub in ("boundaries", "rosters"):
        shutil.copytree(KIT / sub, folder / sub)
    return folder


def _wizard(tmp_path, folder: Path) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(tmp_path / "none.gpkg")
    at.run()
    at.switch_page("ui/pages/import_wizard.py").run()
    at.text_input(key="import_folder").set_value(str(folder)).run()
    return at


def _layer_boxes(at: AppTest) -> dict[str, str]:
    return {Path(sb.label.split(" ")[0]).name: sb.value for sb in at.selectbox
            if sb.key and sb.key.startswith("import_layer_")}


def _declare_and_check(at: AppTest) -> AppTest:
    for sb in at.selectbox:
        if sb.key and sb.key.startswith("import_crs_"):
            name = Path(sb.label.split(" ")[0]).name
            if name in DECLARE:
                sb.set_value(DECLARE[name])
    at.run()
    at.button(key="import_check").click().run()
    return at


@pytest.mark.slow
def test_wizard__guesses_every_fieldkit_file_by_content(tmp_path, office_folder):
    at = _wizard(tmp_path, office_folder)
    assert not at.exception
    assert _layer_boxes(at) == {
        "buildings_cgcs2000_gk.zip": s.HOUSEHOLDS, "communities_amap.geojson": s.COMMUNITIES,
        "grids_baidu.geojson": s.GRIDS, "towns_amap.geojson": s.TOWNS, "organisations.xlsx": "organisations",
        "service_points_baidu.csv": s.SERVICE_POINTS, "网格员花名册.xlsx": "roster"}


@pytest.mark.slow
def test_wizard__checks_the_whole_kit_shows_the_shift_and_saves_a_project(tmp_path, office_folder):
    at = _declare_and_check(_wizard(tmp_path, office_folder))
    assert not at.exception
    # no file is refused and the check finds no error: the hairline slivers of 6-decimal GCJ-02 and BD-09
    # rounding are infos (check.sliver); the 2 bad ID numbers are listed
    assert len(at.error) == 0
    kinds = at.dataframe[0].value
    assert set(kinds.loc[kinds["程度"] == "错误", "问题类型"]) == set()
    assert {"身份证号校验码错误", "按声明的坐标系读取", "跳过的合计行", "一般网格按编码补出",
            "边界细缝（坐标取整所致，已忽略）"} <= set(kinds["问题类型"])
    shifts = [i.value for i in at.info]
    assert any("BD-09" in v and plain("grids_baidu.geojson") in v for v in shifts)  # names shown literally
    out = tmp_path / "锦澜.gpkg"
    at.text_input(key="import_save_path").set_value(str(out)).run()
    at.button(key="import_save").click().run()
    assert not at.exception
    project = load_project(out)
    assert {k: len(v) for k, v in project.layers.items()} == {
        s.TOWNS: 3, s.COMMUNITIES: 12, s.GRIDS: 212, s.HOUSEHOLDS: 938, s.SERVICE_POINTS: 45, s.VOLUNTEERS: 250}
    assert len(project.table("organisations")) == 42


@pytest.mark.slow
def test_wizard__every_files_problem_at_once_in_words_for_the_form(tmp_path, office_folder):
    (office_folder / "boundaries" / "broken.geojson").write_text("{oops", encoding="utf-8")
    at = _wizard(tmp_path, office_folder)
    for sb in at.selectbox:  # declare nothing: the CSV of service points has no CRS
        if sb.key and sb.key.startswith("import_layer_") and "broken" in sb.label:
            sb.set_value(s.TOWNS)
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(plain("broken.geojson") in e for e in errors)  # file names shown literally (Markdown-escaped)
    assert any(plain("service_points_baidu.csv") in e for e in errors)
    assert not any("--" in e for e in errors)  # remedies name the form, not command-line flags


@pytest.mark.slow
def test_wizard__updates_the_open_project_with_a_diff_and_keeps_everything_else(tmp_path):
    import json

    import pandas as pd

    from cli.main import main
    from geo.project import save_project

    project_file = tmp_path / "p.gpkg"
    boundaries = KIT / "boundaries"
    assert main(["import", "--communities", str(boundaries / "communities_amap.geojson"), "--communities-crs",
                 "gcj02", "--grids", str(boundaries / "grids_baidu.geojson"), "--grids-crs", "bd09",
                 "--out", str(project_file)]) in (0, 1)
    rows = pd.DataFrame({s.VOLUNTEER_ID: ["V1"], s.GRID_CODE: ["5101970010010101"], s.ROLE: "leader",
                         s.METHOD: "manual", s.DISTANCE_M: 0.0, s.LOCKED: False, s.VERSION: 1, s.UPDATED_AT: "t",
                         s.SCENARIO: ["方案二"]})
    save_project(load_project(project_file).with_table(s.ASSIGNMENTS, rows), project_file)
    folder = tmp_path / "新边界"
    folder.mkdir()
    doc = json.loads((boundaries / "grids_baidu.geojson").read_text(encoding="utf-8"))
    doc["features"] = doc["features"][1:]  # one micro-grid dropped
    (folder / "grids_baidu.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    at = signed_in(AppTest.from_file(APP, default_timeout=120))
    at.session_state[state.PROJECT_PATH] = str(project_file)
    at.run()
    at.switch_page("ui/pages/import_wizard.py").run()
    at.text_input(key="import_folder").set_value(str(folder)).run()
    assert at.radio(key="import_mode").value == "update"
    at = _declare_and_check(at)
    assert not at.exception
    diff = at.dataframe[-1].value
    assert diff.iloc[0].tolist()[1:5] == [212, 211, 0, 1]  # before, after, added, removed (micro 0101)
    at.button(key="import_save").click().run()
    assert not at.exception
    project = load_project(project_file)
    assert len(project.layer(s.GRIDS)) == 211
    assert len(project.layer(s.COMMUNITIES)) == 12  # kept
    assert list(project.table(s.ASSIGNMENTS)[s.SCENARIO]) == ["方案二"]  # the other scenario is kept
    audit = project.table(s.AUDIT)
    assert audit.loc[audit["action"] == "import", "object"].iloc[-1] == s.GRIDS
    assert audit["action"].iloc[-1] == "save"


def test_wizard__previews_geometry_repair_then_saves_the_repaired_layer(tmp_path):
    folder = tmp_path / "towns"
    folder.mkdir()
    gpd.GeoDataFrame({s.CODE: ["510184001", "510184002"], s.NAME: ["甲镇", "乙镇"]},
                     geometry=[as_lonlat(box(200, 0, 300, 100)), as_lonlat(SHAPES["bow_tie"])],
                     crs="EPSG:4326").to_file(folder / "towns.geojson")
    at = _wizard(tmp_path, folder)
    for sb in at.selectbox:
        if sb.key and sb.key.startswith("import_layer_"):
            sb.set_value(s.TOWNS)
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception
    previews = [df.value for df in at.dataframe if "修复后类型" in df.value.columns]
    assert len(previews) == 1
    preview = previews[0]
    assert preview["要素"].tolist() == ["510184002"]
    assert preview["修复后类型"].tolist() == ["多部件多边形"]
    assert any("1 个无效几何" in w.value for w in at.warning)
    at.checkbox(key="import_repair").check().run()
    assert not [df for df in at.dataframe if "修复后类型" in df.value.columns]  # applied: nothing left to repair
    out = tmp_path / "repaired.gpkg"
    at.text_input(key="import_save_path").set_value(str(out)).run()
    at.button(key="import_save").click().run()
    assert not at.exception
    towns = load_project(out).layer(s.TOWNS)
    assert is_valid(towns.geometry.to_numpy()).all() and len(towns) == 2
