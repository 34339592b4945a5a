"""Exports of grid assignments: tables, formats, CRS options, masking, metadata and audit."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from geo import export_formats as fmt
from geo import export_tables as tab
from geo import schema as s
from cli.main import main
from geo.errors import ExportError
from geo.export import FORMATS, ExportOptions, export_bytes, export_to_path
from geo.project import load_project, save_project

M1 = "510184001001-G1-M1"  # a micro-grid of community C11 (town T1)
M2 = "510184001001-G1-M2"
G1 = "510184001001-G1"  # its general grid
T2_MICRO = "510184002001-G1-M1"  # a micro-grid in town T2


def assignment_rows() -> pd.DataFrame:
    """Four assignments of the default scenario: two people in M1, one each in G1 and T2's micro-grid."""
    def row(vid, grid, role, method, dist):
        return {s.VOLUNTEER_ID: vid, s.GRID_CODE: grid, s.ROLE: role, s.METHOD: method, s.DISTANCE_M: dist,
                s.LOCKED: False, s.VERSION: 1, s.UPDATED_AT: "2025-01-01T00:00:00", s.SCENARIO: s.DEFAULT_SCENARIO}

    return pd.DataFrame([row("V110", M1, "leader", "within", 0.0), row("V000", M1, "member", "nearest", 260.4),
                         row("V111", G1, "worker", "optimised", 12.0), row("V210", T2_MICRO, "leader", "within", 0.0)])


def with_assignments(project):
    """The tiny project with ``assignment_rows``."""
    return project.with_table(s.ASSIGNMENTS, assignment_rows())


def phones(project) -> list[str]:
    return [str(p) for p in project.layer(s.VOLUNTEERS)[s.PHONE]]


@pytest.fixture
def project(tiny_project):
    return with_assignments(tiny_project)


def _unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _xlsx_rows(data: bytes, sheet: str) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    return list(wb[sheet].iter_rows(values_only=True))


# --- tables ---------------------------------------------------------------------------------

def test_assignment_table__one_row_per_grid_and_person_with_empty_grids_kept(project):
    table = tab.assignment_table(project)
    # 24 grids; M1 has two people, so one extra row
    assert len(table) == 25
    m1 = table.loc[table[s.GRID_CODE] == M1].sort_values(s.VOLUNTEER_ID)
    assert list(m1[s.VOLUNTEER_ID]) == ["V000", "V110"]
    assert list(m1[s.ROLE]) == ["成员", "微网格长"]
    assert list(m1[s.PHONE]) == ["010****6666", "138****0000"]
    assert list(m1[tab.COMMUNITY_NAME].unique()) == ["测试11社区"]
    assert list(m1[tab.TOWN_NAME].unique()) == ["测试1镇"]
    assert m1[s.DISTANCE_M].tolist() == [260.0, 0.0]
    empty = table.loc[table[s.GRID_CODE] == "510184001002-G1-M1"]
    assert len(empty) == 1 and empty[s.VOLUNTEER_ID].iloc[0] == ""


def test_assignment_table__does_not_mutate_the_project(project):
    before = project.table(s.ASSIGNMENTS).copy()
    tab.assignment_table(project, level="micro")
    pd.testing.assert_frame_equal(project.table(s.ASSIGNMENTS), before)


def test_assignment_table__level_filter_and_english_labels(project):
    table = tab.assignment_table(project, level="general", lang="en")
    assert set(table[s.LEVEL]) == {"General grid"}
    assert table.loc[table[s.GRID_CODE] == G1, s.ROLE].tolist() == ["Full-time grid worker"]


def test_staffing__targets_from_settings_and_actual_from_assignments(project):
    targets = {"micro": 2, "general": 1, "dedicated": 1, "master": 0}
    project = dataclasses.replace(project, meta={**project.meta, "settings": {"targets": targets}})
    summary = tab.grid_summary(project).set_index(s.GRID_CODE)
    assert summary.loc[M1, [tab.TARGET, tab.ACTUAL, tab.SHORT]].tolist() == [2, 2, 0]
    assert summary.loc[M2, [tab.TARGET, tab.ACTUAL, tab.SHORT]].tolist() == [2, 0, 2]
    assert summary.loc[M1, tab.LEADER_ID] == "V110"
    assert summary.loc[G1, tab.VOLUNTEERS_TEXT] == "张001(V111,专职网格员)"


def test_rollup__community_households_grids_staff_and_points(project):
    rollup = tab.rollup_table(project, level="community").set_index(s.COMMUNITY_CODE)
    c11 = rollup.loc["510184001001"]
    assert c11[s.HOUSEHOLDS_N] == 160  # 4 micro-grids x 40, general grids not double counted
    assert c11[tab.GRID_COUNT] == 6
    assert c11[tab.ACTUAL] == 3  # M1 counts 2, G1 counts 1
    assert c11[tab.VOLUNTEER_COUNT] == 3
    assert c11[tab.POINT_COUNT] == 1
    towns = tab.rollup_table(project, level="town").set_index(s.TOWN_CODE)
    assert towns[s.HOUSEHOLDS_N].tolist() == [320, 320]


def test_grid_summary__coverage_columns_from_coverage_table(project):
    cov = pd.DataFrame({s.GRID_CODE: [M1, M1], s.CATEGORY: ["政务", "生活"], "radius_m": [500, 500],
                        "area_share": [0.25, 1.0], "households_share": [None, None]})
    summary = tab.grid_summary(project.with_table(s.COVERAGE, cov)).set_index(s.GRID_CODE)
    assert summary.loc[M1, "coverage_政务_500"] == 0.25
    assert summary.attrs["headers"]["coverage_生活_500"] == "生活500米覆盖比例"


def test_unknown_scenario__raises_with_known_list(project):
    with pytest.raises(ExportError) as err:
        tab.assignment_table(project, scenario="方案X")
    assert err.value.code == "export.unknown_scenario"
    assert err.value.context["known"] == [s.DEFAULT_SCENARIO]


# --- XLSX -------------------------------------------------------------------------------------

def test_xlsx__summary_town_sheets_metadata_frozen_header_and_text_codes(project):
    data = export_bytes(project, ExportOptions(fmt="xlsx")).data
    wb = load_workbook(io.BytesIO(data))
    # the per-building roster is an export of its own; its micro-grids are 小区: a unit-kind sheet
    assert wb.sheetnames == ["汇总", "测试1镇", "测试2镇", "上报链", "单元类型统计", "导出说明"]
    ws = wb["测试1镇"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:6] == ["镇街代码", "镇街", "社区代码", "社区", "网格编码", "网格名称"]
    code_col = header.index("社区代码") + 1
    assert ws.cell(row=2, column=code_col).data_type == "s"
    assert ws.cell(row=2, column=code_col).value == "510184001001"
    assert ws.column_dimensions["B"].width >= 8
    phone_col = header.index("联系电话") + 1
    assert {ws.cell(row=r, column=phone_col).value for r in range(2, ws.max_row + 1)} >= {"138****0000"}
    meta = dict(_xlsx_rows(data, "导出说明")[1:])
    assert meta["方案"] == s.DEFAULT_SCENARIO and meta["导出时间"]


@pytest.mark.parametrize("payload", [
    "=HYPERLINK(\"http://x\")",  # formula
    "+1+1",  # plus
    "-2+3",  # minus
    "@SUM(A1)",  # at
    "\t=1",  # tab
    "\r=1",  # carriage return
])
def test_xlsx_and_csv__formula_injection_neutralised(project, payload):
    vols = project.layer(s.VOLUNTEERS).copy()
    vols.loc[vols[s.VOLUNTEER_ID] == "V110", s.NAME] = payload
    project = project.with_layer(s.VOLUNTEERS, vols)
    wb = load_workbook(io.BytesIO(export_bytes(project, ExportOptions(fmt="xlsx")).data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # XML normalises a bare CR to LF on reading; the apostrophe is what matters
    assert "'" + payload.replace("\r", "\n") in {c.value for c in cells}
    text = export_bytes(project, ExportOptions(fmt="csv")).data.decode("utf-8-sig")
    values = {v for row in csv.reader(io.StringIO(text, newline="")) for v in row}
    assert "'" + payload in values and payload not in values


@pytest.mark.parametrize(("names", "expected"), [
    (["汇总", "汇总"], ["汇总", "汇总~2"]),  # duplicates get a suffix
    (["a/b:c*d?e[f]"], ["a_b_c_d_e_f_"]),  # forbidden characters
    (["x" * 40], ["x" * 31]),  # at most 31 characters
    (["x" * 40, "x" * 40], ["x" * 31, "x" * 29 + "~2"]),  # truncated and still unique
    (["History"], ["History_"]),  # reserved by Excel
    ([""], ["Sheet"]),  # empty
])
def test_sheet_names__sanitised_unique_and_short(names, expected):
    assert fmt.sheet_names(names) == expected


# --- CSV --------------------------------------------------------------------------------------

def test_csv__utf8_with_bom_opens_with_chinese_headers(project):
    data = export_bytes(project, ExportOptions(fmt="csv", level="micro")).data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 17  # 16 micro-grids, M1 twice
    assert rows[0]["网格编码"].startswith("510184") and rows[0]["层级"] == "微网格"


def test_csv__gb18030_encoding(project):
    data = export_bytes(project, ExportOptions(fmt="csv", encoding="gb18030", lang="en")).data
    assert not data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data.decode("gb18030"), newline="")))
    assert rows[0]["Town"] == "测试1镇"


def test_csv__unsupported_encoding_refused(project):
    with pytest.raises(ExportError) as err:
        export_bytes(project, ExportOptions(fmt="csv", encoding="latin-1"))
    assert err.value.code == "export.bad_encoding"


# --- GeoJSON ----------------------------------------------------------------------------------

def _exteriors_ccw(geom) -> bool:
    polys = getattr(geom, "geoms", [geom])
    return all(p.exterior.is_ccw and all(not r.is_ccw for r in p.interiors) for p in polys)


def test_geojson__follows_rfc7946(project):
    # make one grid clockwise to check the writer fixes orientation
    grids = project.layer(s.GRIDS).copy()
    grids.loc[0, "geometry"] = shapely.orient_polygons(grids.geometry.iloc[0], exterior_cw=True)
    project = project.with_layer(s.GRIDS, grids)
    doc = json.loads(export_bytes(project, ExportOptions(fmt="geojson")).data.decode("utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert len(doc["features"]) == 24
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        assert geom.is_valid and _exteriors_ccw(geom)
        minx, miny, maxx, maxy = geom.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
        assert "id" not in feature
    assert doc["features"][0]["properties"]["网格编码"] == G1
    assert doc["gridatlas"]["scenario"] == s.DEFAULT_SCENARIO


def test_geojson__gcj02_is_shifted_and_named(project):
    wgs = json.loads(export_bytes(project, ExportOptions(fmt="geojson", level="micro")).data)
    result = export_bytes(project, ExportOptions(fmt="geojson", level="micro", crs="gcj02"))
    gcj = json.loads(result.data)
    assert "GCJ02" in result.filename and gcj["gridatlas"]["crs"] == "GCJ-02"
    a = shapely.geometry.shape(wgs["features"][0]["geometry"]).centroid
    b = shapely.geometry.shape(gcj["features"][0]["geometry"]).centroid
    offset_m = gpd.GeoSeries([a, b], crs=s.STORAGE_CRS).to_crs(s.METRIC_CRS).iloc[0].distance(
        gpd.GeoSeries([b], crs=s.STORAGE_CRS).to_crs(s.METRIC_CRS).iloc[0])
    assert 100 < offset_m < 1000


def test_geojson__projected_crs_refused(project):
    with pytest.raises(ExportError) as err:
        export_bytes(project, ExportOptions(fmt="geojson", crs="EPSG:4544"))
    assert err.value.code == "export.geojson_crs"


def test_crs_option__refused_for_table_formats(project):
    with pytest.raises(ExportError) as err:
        export_bytes(project, ExportOptions(fmt="xlsx", crs="gcj02"))
    assert err.value.code == "export.crs_not_applicable"


# --- GeoPackage and Shapefile ------------------------------------------------------------------

def test_gpkg__bundle_has_every_level_assignments_and_metadata(project, tmp_path):
    path = tmp_path / "bundle.gpkg"
    path.write_bytes(export_bytes(project, ExportOptions(fmt="gpkg")).data)
    layers = {str(n) for n, _ in pyogrio.list_layers(path)}
    assert {"towns", "communities", "grids_general", "grids_micro", "assignments", "qa_report",
            "export_meta"} <= layers
    micro = pyogrio.read_dataframe(path, layer="grids_micro")
    assert len(micro) == 16 and micro.crs.to_epsg() == 4326 and micro.geometry.is_valid.all()
    assert "网格编码" in micro.columns
    assignments = pyogrio.read_dataframe(path, layer="assignments", read_geometry=False)
    assert set(assignments["人员编号"]) >= {"V110", "V000", "V111", "V210"}
    meta = pyogrio.read_dataframe(path, layer="export_meta", read_geometry=False)
    meta = dict(zip(meta["key"], meta["value"]))
    assert meta["scenario"] == s.DEFAULT_SCENARIO and meta["exported_at"] and meta["crs"].startswith("WGS 84")


def test_gpkg__gauss_kruger_crs_is_written_and_named(project, tmp_path):
    result = export_bytes(project, ExportOptions(fmt="gpkg", level="micro", crs="EPSG:4544"))
    assert "EPSG4544" in result.filename and result.metadata["crs"] == "EPSG:4544"
    path = tmp_path / result.filename
    path.write_bytes(result.data)
    micro = pyogrio.read_dataframe(path, layer="grids_micro")
    assert micro.crs.to_epsg() == 4544
    # 500 m squares stay about 0.25 km2 in the metric output
    assert micro.area.between(0.24e6, 0.26e6).all()


def test_shp_zip__utf8_cpg_short_fields_mapping_and_readable(project, tmp_path):
    files = _unzipped(export_bytes(project, ExportOptions(fmt="shp", level="micro")).data)
    assert {"grids_micro.shp", "grids_micro.shx", "grids_micro.dbf", "grids_micro.prj", "grids_micro.cpg",
            "field_mapping.csv", "assignments.csv", "metadata.json"} <= set(files)
    assert files["grids_micro.cpg"].decode().strip().upper() in ("UTF-8", "UTF8")
    mapping = list(csv.DictReader(io.StringIO(files["field_mapping.csv"].decode("utf-8-sig"))))
    assert all(len(row["字段名"]) <= 10 for row in mapping)
    field_of = {row["内部列名"]: row["字段名"] for row in mapping}
    assert field_of["community_name"] != field_of["community_code"]
    zip_path = tmp_path / "x.zip"
    zip_path.write_bytes(export_bytes(project, ExportOptions(fmt="shp", level="micro")).data)
    gdf = pyogrio.read_dataframe(f"/vsizip/{zip_path}/grids_micro.shp")
    assert len(gdf) == 16 and gdf.geometry.is_valid.all()
    assert set(gdf[field_of["community_name"]]) == {"测试11社区", "测试12社区", "测试21社区", "测试22社区"}
    assert json.loads(files["metadata.json"])["scenario"] == s.DEFAULT_SCENARIO


def test_shp_field_names__unique_and_at_most_10_chars():
    names = fmt.shp_field_names(["community_code", "community_name", "community_x", "a-b", "网格"])
    assert all(len(v) <= 10 for v in names.values())
    assert len({v.upper() for v in names.values()}) == 5
    assert names["a-b"] == "a_b"


# --- personal data ------------------------------------------------------------------------------

def _all_text(data: bytes) -> bytes:
    """Raw bytes plus every member of a zip (xlsx, zipped shapefile), for scanning."""
    parts = [data]
    if data[:2] == b"PK":
        parts += list(_unzipped(data).values())
    return b"\n".join(parts)


ALL_EXPORTS = [(f, lv) for f in FORMATS if f != "roster" for lv in (None, "micro", "community")] + [
    ("roster", "md"), ("roster", "txt"), ("roster", "csv"), ("roster", "xlsx")]


@pytest.mark.parametrize(("fmt_name", "variant"), ALL_EXPORTS)
def test_default_exports__contain_no_full_phone_number(project, fmt_name, variant):
    if fmt_name == "roster":
        options = ExportOptions(fmt="roster", roster_form=variant or "md")
    else:
        options = ExportOptions(fmt=fmt_name, level=variant)
    blob = _all_text(export_bytes(project, options).data)
    for phone in phones(project):
        for encoding in ("utf-8", "utf-16-le"):
            assert phone.encode(encoding) not in blob, (fmt_name, variant, phone)


def test_include_personal__shows_full_phone_so_the_scan_can_fail(project):
    result = export_bytes(project, ExportOptions(fmt="csv", include_personal=True, user="王主任"))
    assert b"13800000000" in result.data


def test_include_personal__requires_a_user_and_appends_an_audit_row(project):
    with pytest.raises(ExportError) as err:
        export_bytes(project, ExportOptions(fmt="xlsx", include_personal=True))
    assert err.value.code == "export.need_user"
    result = export_bytes(project, ExportOptions(fmt="xlsx", include_personal=True, user="王主任"))
    audit = result.project.table(s.AUDIT)
    assert result.audited and len(audit) == 2  # the export, then the access (geo.access.reveal: scope, purpose)
    assert audit["user"].tolist() == ["王主任"] * 2
    assert audit["action"].tolist() == ["export_personal", "personal_data"]
    assert audit["object"].tolist() == [result.filename] * 2 and audit.loc[1, "from"] == "export"
    assert project.table(s.AUDIT).empty  # input untouched


def test_mask_names__masks_names_in_tables(project):
    table = tab.assignment_table(project, privacy=tab.Privacy(mask_names=True))
    assert set(table.loc[table[s.GRID_CODE] == M1, tab.VOLUNTEER_NAME]) == {"李*", "张**0"}


# --- files and CLI -------------------------------------------------------------------------------

def test_export_to_path__atomic_and_no_leftover_on_error(project, tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    path, _ = export_to_path(project, ExportOptions(fmt="xlsx"), target)
    assert load_workbook(path).sheetnames[0] == "汇总"
    with pytest.raises(ExportError):
        export_to_path(project, ExportOptions(fmt="csv", crs="gcj02"), tmp_path / "bad.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


@pytest.fixture
def project_file(project, tmp_path):
    path = tmp_path / "p.gpkg"
    save_project(project, path)
    return path


def test_cli_export__writes_each_format(project_file, tmp_path, capsys):
    for name in ("xlsx", "csv", "geojson", "gpkg", "shp", "roster"):
        assert main(["export", str(project_file), "--format", name, "--out", str(tmp_path)]) == 0
    written = {p.suffix for p in tmp_path.iterdir()} - {".gpkg"}
    assert written == {".xlsx", ".csv", ".geojson", ".zip", ".md"}
    assert "已导出" in capsys.readouterr().out


def test_cli_export__bad_option_exits_2_with_localised_message(project_file, tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert main(["export", str(project_file), "--format", "csv", "--crs", "gcj02", "--out", str(out),
                 "--lang", "en"]) == 2
    assert "Drop --crs" in capsys.readouterr().err
    assert not out.exists()


def test_cli_export__include_personal_is_logged_in_the_project(project_file, tmp_path):
    out = tmp_path / "full.csv"
    assert main(["export", str(project_file), "--format", "csv", "--include-personal", "--user", "王主任",
                 "--out", str(out)]) == 0
    audit = load_project(project_file).table(s.AUDIT)
    logged = audit[audit["action"] == "export_personal"]
    assert logged["user"].tolist() == ["王主任"] and b"13800000000" in out.read_bytes()


def test_cli_export__table_writes_the_chain_or_the_building_roster_alone(project_file, tmp_path):
    for table in ("escalation", "buildings"):
        for name in ("xlsx", "csv", "geojson", "gpkg"):
            assert main(["export", str(project_file), "--table", table, "--format", name, "--out", str(tmp_path)]) == 0
    written = sorted(p.name.split("_")[1] + p.suffix for p in tmp_path.iterdir() if p.name.startswith("gridatlas"))
    assert written == sorted(f"{table}.{ext}" for table in ("escalation", "buildings")
                             for ext in ("xlsx", "csv", "geojson", "gpkg"))
    chain = pd.read_csv(next(tmp_path.glob("gridatlas_escalation_*.csv")), dtype=str, encoding="utf-8-sig")
    assert chain["网格编码"].is_unique  # one row per grid


def test_cli_export__level_with_a_table_exits_2_naming_the_fix(project_file, tmp_path, capsys):
    assert main(["export", str(project_file), "--table", "buildings", "--level", "micro", "--format", "csv",
                 "--out", str(tmp_path), "--lang", "en"]) == 2
    assert "Drop --level" in capsys.readouterr().err
