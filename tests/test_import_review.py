"""The import wizard's logic: layers guessed by content, every file's problems at once, QA in words."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo import schema as s
from geo.import_review import ORGANISATIONS, ROSTER, SKIP, FilePlan, guess_file, load_files, qa_kinds, qa_table
from geo.messages import CATALOGUE, error_text, message

KIT = Path(__file__).parent / "data" / "fieldkit"


@pytest.mark.parametrize(("name", "target"), [
    ("boundaries/towns_amap.geojson", s.TOWNS),
    ("boundaries/communities_amap.geojson", s.COMMUNITIES),
    ("boundaries/grids_baidu.geojson", s.GRIDS),
    ("boundaries/buildings_cgcs2000_gk.zip", s.HOUSEHOLDS),
    ("rosters/service_points_baidu.csv", s.SERVICE_POINTS),
    ("rosters/网格员花名册.xlsx", ROSTER),
    ("rosters/organisations.xlsx", ORGANISATIONS),
    ("truth/roster_truth.csv", SKIP),  # a table of codes, no coordinates, no grid names
])
def test_guess_file__fieldkit_by_content(name, target):
    assert guess_file(KIT / name).target == target


def test_guess_file__a_people_list_named_like_grids_is_people(tmp_path):
    path = tmp_path / "网格员名单.csv"  # the file name says 网格; the content says people with coordinates
    pd.DataFrame({"姓名": ["甲"], "手机号": ["17000000001"], "经度": [104.05], "纬度": [30.75]}).to_csv(path, index=False)
    guess = guess_file(path)
    assert (guess.target, guess.reason) == (s.VOLUNTEERS, "person_columns")
    assert f"guess.{guess.reason}" in CATALOGUE


def test_load_files__every_files_problem_at_once(tmp_path):
    no_xy = tmp_path / "点位.csv"
    pd.DataFrame({"名称": ["甲"], "类型": ["社区花园"]}).to_csv(no_xy, index=False)
    broken = tmp_path / "towns.geojson"
    broken.write_text("{not json", encoding="utf-8")
    plans = [FilePlan(broken, s.TOWNS), FilePlan(KIT / "boundaries" / "grids_baidu.geojson", s.GRIDS, crs="bd09"),
             FilePlan(no_xy, s.SERVICE_POINTS, crs="wgs84")]
    outcome = load_files(plans)
    assert sorted(outcome.errors) == ["towns.geojson", "点位.csv"]
    assert {k: e.code for k, e in outcome.errors.items()} == {"towns.geojson": "io.not_json",
                                                             "点位.csv": "io.missing_coordinates"}
    assert list(outcome.loaded) == [s.GRIDS]


def test_import_errors__remedies_for_the_form_never_name_command_line_flags(tmp_path):
    no_xy = tmp_path / "v.csv"
    pd.DataFrame({"名称": ["甲"], "类型": ["社区花园"]}).to_csv(no_xy, index=False)
    error = load_files([FilePlan(no_xy, s.SERVICE_POINTS, crs="wgs84")]).errors["v.csv"]
    for lang in ("zh", "en"):
        web = error_text(error, lang, front="web")
        assert "--" not in web and "v.csv" in web
        assert "--roster" in error_text(error, lang, front="cli")
    for code in ("io.crs_declared_over_label", "io.ids_generated", "io.mostly_swapped"):
        assert "--" not in message(code, "zh", front="web", file="a", detail="code", related_id="1", n=1, total=2,
                                   ids="x")


def test_qa_kinds__counts_per_kind_in_words_errors_first():
    findings = [
        {"severity": "info", "code": "io.encoding_detected", "layer": "x", "file": "a.csv", "detail": "GB18030"},
        {"severity": "error", "code": "check.gap", "layer": "grids", "file": "g.geojson", "feature_id": "1"},
        {"severity": "error", "code": "check.gap", "layer": "grids", "file": "g.geojson", "feature_id": "2"},
    ]
    table = qa_kinds(findings, "zh")
    assert list(table.columns) == ["程度", "问题类型", "数量", "示例与处理办法"]
    assert list(table["问题类型"]) == ["未覆盖的空隙", "自动识别的文字编码"]
    assert list(table["数量"]) == [2, 1]
    words = qa_table(findings, "en").to_numpy().ravel().tolist()
    assert not any(str(v) in ("None", "nan") or str(v).startswith("check.") for v in words)


def test_qa_kind_labels__every_label_in_both_languages():
    kinds = [k for k in CATALOGUE if k.startswith("qa.kind.")]
    assert len(kinds) > 40
    assert all(CATALOGUE[k].get("zh") and CATALOGUE[k].get("en") for k in kinds)
