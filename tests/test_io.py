"""Readers and the loader (geo.io): formats, encodings, CRS rules, zip safety, bad input."""
from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import schema as s
from geo.crs import wgs84_to_gcj02
from geo.errors import (
    CRSMismatchError, EmptyLayerError, GeoInputError, InvalidGeometryError, MissingCRSError,
    UnsupportedFormatError, UnsupportedGeometryError,
)
from geo.guards import detect_dbf_encoding
from geo.io import check_zip, load_layer, load_layer_bytes
from geo.sheets import decode_text
from tests.shapes import SHAPES, as_lonlat, box


def _fc(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": features}


def _feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": None if geom is None else json.loads(shapely.to_geojson(geom))}


def _write_json(path, doc) -> str:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _towns_gdf(n: int = 2) -> gpd.GeoDataFrame:
    geoms = [box(i * 1000, 0, i * 1000 + 1000, 1000) for i in range(n)]
    return gpd.GeoDataFrame({"编码": [f"51018400{i + 1}000" for i in range(n)],
                             "名称": [f"测试{i + 1}镇" for i in range(n)]}, geometry=geoms, crs="EPSG:32648")


def _codes(loaded) -> list[str]:
    return list(loaded.gdf[s.CODE])


# --- GeoJSON ---------------------------------------------------------------------------

def test_load_layer__geojson_without_crs_is_wgs84_by_rfc7946(tmp_path):
    path = _write_json(tmp_path / "t.geojson", _fc([_feature(as_lonlat(SHAPES["square"]), code="001", name="甲")]))
    loaded = load_layer(path, s.TOWNS)
    assert loaded.source_crs == "EPSG:4326"
    assert loaded.gdf.crs == s.STORAGE_CRS
    assert _codes(loaded) == ["001"]
    assert loaded.gdf.geometry.iloc[0].equals_exact(as_lonlat(SHAPES["square"]), 1e-9)


def test_load_layer__geojson_declared_gcj02_is_converted_to_wgs84(tmp_path):
    wgs = as_lonlat(SHAPES["square"])
    gcj = shapely.transform(wgs, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    path = _write_json(tmp_path / "amap.geojson", _fc([_feature(gcj, code="001", name="甲")]))
    loaded = load_layer(path, s.TOWNS, crs="gcj02")
    assert loaded.source_crs == "GCJ-02"
    shift = shapely.hausdorff_distance(loaded.gdf.geometry.iloc[0], wgs)
    assert shift < 1e-7  # about 1 cm


def test_load_layer__geojson_legacy_crs_member_is_honoured(tmp_path):
    utm = SHAPES["square"]
    doc = _fc([_feature(utm, code="001", name="甲")],
              crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32648"}})
    loaded = load_layer(_write_json(tmp_path / "utm.geojson", doc), s.TOWNS)
    assert loaded.source_crs == "EPSG:32648"
    assert loaded.gdf.geometry.iloc[0].centroid.distance(as_lonlat(utm).centroid) < 1e-7


def test_load_layer__geojson_crs_member_and_different_declaration_is_a_mismatch(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["square"]), code="001", name="甲")],
              crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}})
    with pytest.raises(CRSMismatchError) as err:
        load_layer(_write_json(tmp_path / "t.geojson", doc), s.TOWNS, crs="gcj02")
    assert err.value.context == {"file": "t.geojson", "crs_a": "EPSG:4490", "crs_b": "GCJ-02"}


def test_load_layer__geojson_that_is_not_json(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(UnsupportedFormatError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.code == "io.not_json"
    assert err.value.context["file"] == "broken.geojson"


@pytest.mark.parametrize("content", [
    "",  # a zero-byte file
    "   \n",  # only whitespace
    json.dumps(_fc([])),  # a valid but empty FeatureCollection
])
def test_load_layer__empty_geojson(tmp_path, content):
    path = tmp_path / "empty.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EmptyLayerError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.context["file"] == "empty.geojson"


def test_load_layer__unclosed_ring_is_refused_naming_the_feature(tmp_path):
    ring = [list(c) for c in as_lonlat(SHAPES["square"]).exterior.coords][:-1]  # drop the closing point
    doc = _fc([_feature(as_lonlat(box(0, 0, 50, 50)), code="ok", name="甲"),
               {"type": "Feature", "properties": {"code": "G-2", "name": "乙"},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}])
    path = _write_json(tmp_path / "open.geojson", doc)
    with pytest.raises(InvalidGeometryError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.code == "io.unbuildable_geometry"
    assert err.value.context["ids"] == ["G-2 (#2)"]
    assert "closed" in err.value.context["reason"]


def test_load_layer__unclosed_ring_with_repair_is_closed_and_flagged(tmp_path):
    ring = [list(c) for c in as_lonlat(SHAPES["square"]).exterior.coords][:-1]
    doc = _fc([{"type": "Feature", "properties": {"code": "G-2", "name": "乙"},
                "geometry": {"type": "Polygon", "coordinates": [ring]}}])
    loaded = load_layer(_write_json(tmp_path / "open.geojson", doc), s.TOWNS, repair=True)
    assert loaded.gdf.geometry.iloc[0].is_valid
    assert bool(loaded.gdf["repaired"].iloc[0]) is True


def test_load_layer__self_intersection_is_kept_unless_repair_asked(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["bow_tie"]), code="B", name="蝴蝶")])
    path = _write_json(tmp_path / "bow.geojson", doc)
    kept = load_layer(path, s.TOWNS)
    assert not kept.gdf.geometry.iloc[0].is_valid  # reported by geo.validate, not silently changed
    fixed = load_layer(path, s.TOWNS, repair=True)
    geom = fixed.gdf.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert geom.area == pytest.approx(kept.gdf.geometry.iloc[0].buffer(0).area * 2, rel=0.01)  # both lobes kept
    assert list(fixed.gdf["repaired"]) == [True]
    assert [f["code"] for f in fixed.findings] == ["io.repaired"]


def test_load_layer__wrong_winding_is_normalised_to_counter_clockwise(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["square_cw"]), code="W", name="顺时针")])
    loaded = load_layer(_write_json(tmp_path / "cw.geojson", doc), s.TOWNS)
    assert loaded.gdf.geometry.iloc[0].exterior.is_ccw


def test_load_layer__3d_coordinates_are_reported_and_dropped(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["square_3d"]), code="Z", name="高程")])
    loaded = load_layer(_write_json(tmp_path / "z.geojson", doc), s.TOWNS)
    assert not loaded.gdf.geometry.has_z.any()
    assert [(f["code"], f["feature_id"]) for f in loaded.findings] == [("io.forced_2d", "Z")]


def test_load_layer__lines_for_a_polygon_layer_are_refused(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["line"]), code="L", name="线")])
    with pytest.raises(UnsupportedGeometryError) as err:
        load_layer(_write_json(tmp_path / "l.geojson", doc), s.TOWNS)
    assert err.value.context["ids"] == ["L"]


def test_load_layer__missing_required_column(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["square"]), 标识="x")])
    with pytest.raises(GeoInputError) as err:
        load_layer(_write_json(tmp_path / "t.geojson", doc), s.TOWNS)
    assert err.value.code == "io.missing_column"
    assert err.value.context["column"] == s.CODE


def test_load_layer__null_geometry_is_kept_for_the_report(tmp_path):
    doc = _fc([_feature(as_lonlat(SHAPES["square"]), code="A", name="甲"), _feature(None, code="B", name="乙")])
    loaded = load_layer(_write_json(tmp_path / "t.geojson", doc), s.TOWNS)
    assert _codes(loaded) == ["A", "B"]  # nothing dropped
    assert loaded.gdf.geometry.iloc[1] is None


# --- GeoPackage ----------------------------------------------------------------------

def test_load_layer__gpkg_with_several_layers_needs_a_choice(tmp_path):
    path = tmp_path / "all.gpkg"
    pyogrio.write_dataframe(_towns_gdf(), path, layer="镇街")
    pyogrio.write_dataframe(_towns_gdf(1), path, layer="other")
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.code == "io.choose_layer"
    assert sorted(err.value.context["layers"]) == ["other", "镇街"]
    loaded = load_layer(path, s.TOWNS, source_layer="镇街")
    assert _codes(loaded) == ["510184001000", "510184002000"]
    assert loaded.source_crs == "EPSG:32648"


# --- Shapefiles in zips --------------------------------------------------------------

def _shapefile_zip(tmp_path, gdf, *, folder: str = "", encoding: str | None = "UTF-8", keep_cpg=True,
                   keep_prj=True, name="towns") -> str:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir(exist_ok=True)
    pyogrio.write_dataframe(gdf, shp_dir / f"{name}.shp", encoding=encoding)
    out = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(shp_dir.iterdir()):
            if (f.suffix == ".cpg" and not keep_cpg) or (f.suffix == ".prj" and not keep_prj):
                continue
            zf.write(f, f"{folder}{f.name}")
    return str(out)


def test_load_layer__zip_with_shapefile_in_a_subfolder(tmp_path):
    path = _shapefile_zip(tmp_path, _towns_gdf(), folder="导出/镇街/")
    loaded = load_layer(path, s.TOWNS)
    assert _codes(loaded) == ["510184001000", "510184002000"]
    assert list(loaded.gdf[s.NAME]) == ["测试1镇", "测试2镇"]
    assert loaded.source_crs == "EPSG:32648"  # from the .prj
    assert loaded.fmt == "shapefile"


def test_load_layer__shapefile_cpg_is_honoured(tmp_path):
    loaded = load_layer(_shapefile_zip(tmp_path, _towns_gdf(), encoding="GBK"), s.TOWNS)
    assert list(loaded.gdf[s.NAME]) == ["测试1镇", "测试2镇"]
    assert loaded.encoding == "GBK"
    assert not [f for f in loaded.findings if f["code"] == "io.encoding_detected"]


@pytest.mark.parametrize(("written", "detected"), [("GBK", "GB18030"), ("UTF-8", "UTF-8")])
def test_load_layer__shapefile_without_cpg_detects_and_reports_encoding(tmp_path, written, detected):
    path = _shapefile_zip(tmp_path, _towns_gdf(), encoding=written, keep_cpg=False)
    loaded = load_layer(path, s.TOWNS)
    assert list(loaded.gdf[s.NAME]) == ["测试1镇", "测试2镇"]
    notes = [f for f in loaded.findings if f["code"] == "io.encoding_detected"]
    assert [n["detail"] for n in notes] == [detected]


def test_load_layer__shapefile_without_prj_needs_a_declared_crs(tmp_path):
    path = _shapefile_zip(tmp_path, _towns_gdf(), keep_prj=False)
    with pytest.raises(MissingCRSError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.context["file"] == "towns.zip"
    assert load_layer(path, s.TOWNS, crs="EPSG:32648").gdf.crs == s.STORAGE_CRS


def test_load_layer__shapefile_prj_and_different_declaration_is_a_mismatch(tmp_path):
    with pytest.raises(CRSMismatchError):
        load_layer(_shapefile_zip(tmp_path, _towns_gdf()), s.TOWNS, crs="EPSG:4544")


def test_detect_dbf_encoding__gbk_and_utf8_bytes():
    header = bytearray(64)
    header[8:10] = (65).to_bytes(2, "little")
    assert detect_dbf_encoding(bytes(header) + " 崇阳街道".encode("gbk")) == "GB18030"
    assert detect_dbf_encoding(bytes(header) + " 崇阳街道".encode("utf-8")) == "UTF-8"


def _zip_with(tmp_path, members: dict[str, bytes], name="evil.zip") -> str:
    out = tmp_path / name
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return str(out)


@pytest.mark.parametrize("member", ["../../etc/evil.shp", "/abs/evil.shp", "sub/../../evil.dbf",
                                    "C:/windows/evil.shp"])
def test_load_layer__zip_with_unsafe_paths_is_refused(tmp_path, member):
    path = _zip_with(tmp_path, {member: b"x", "ok.shp": b"x"})
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.code == "io.zip_unsafe_path"
    assert err.value.context["members"] == [member]


def test_load_layer__zip_bomb_by_ratio_is_refused(tmp_path):
    path = _zip_with(tmp_path, {"bomb.shp": bytes(20_000_000)})  # 20 MB of zeros -> ~20 KB
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.TOWNS)
    assert err.value.code == "io.zip_bomb"
    assert err.value.context["ratio"] > 200


def test_check_zip__absurd_total_size_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    path = _zip_with(tmp_path, {"a.shp": rng.bytes(300_000)})  # incompressible, ratio ~1
    check_zip(path, label="a.zip")  # fine under the default limits
    with pytest.raises(GeoInputError) as err:
        check_zip(path, label="a.zip", max_total_bytes=100_000)
    assert err.value.code == "io.zip_bomb"


def test_load_layer__zip_without_shapefile(tmp_path):
    with pytest.raises(UnsupportedFormatError):
        load_layer(_zip_with(tmp_path, {"readme.txt": b"hello"}), s.TOWNS)


# --- KML -------------------------------------------------------------------------------

def test_load_layer__kml_is_wgs84(tmp_path):
    path = tmp_path / "t.kml"
    gdf = _towns_gdf().rename(columns={"名称": "Name", "编码": "code"}).to_crs(s.STORAGE_CRS)
    pyogrio.write_dataframe(gdf, path, driver="KML")
    loaded = load_layer(path, s.TOWNS)
    assert loaded.source_crs == "EPSG:4326"
    assert list(loaded.gdf[s.NAME]) == ["测试1镇", "测试2镇"]
    assert loaded.gdf.geometry.iloc[0].centroid.distance(gdf.geometry.iloc[0].centroid) < 1e-7


# --- CSV / XLSX point tables ----------------------------------------------------------

VOLUNTEER_ROWS = [
    {"编号": "007", "姓名": "王芳", "手机号码": "01088886666", "经度": "103.67", "纬度": "30.63", "户数": ""},
    {"编号": "008", "姓名": "李四", "手机号码": "13800001111", "经度": "103.68", "纬度": "30.64", "户数": ""},
]


@pytest.mark.parametrize(("encoding", "reported"), [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8-BOM"),  # what Excel writes for "CSV UTF-8"
    ("gbk", "GB18030"),  # Excel on Chinese Windows, no declaration
    ("gb18030", "GB18030"),
])
def test_load_layer__csv_encodings_are_detected(tmp_path, encoding, reported):
    path = tmp_path / "志愿者.csv"
    pd.DataFrame(VOLUNTEER_ROWS).drop(columns="户数").to_csv(path, index=False, encoding=encoding)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84")
    assert list(loaded.gdf[s.NAME]) == ["王芳", "李四"]
    assert list(loaded.gdf[s.VOLUNTEER_ID]) == ["007", "008"]
    assert list(loaded.gdf[s.PHONE]) == ["01088886666", "13800001111"]
    assert loaded.encoding == reported
    assert loaded.gdf.geometry.iloc[0].equals(shapely.Point(103.67, 30.63))


def test_load_layer__csv_needs_a_declared_crs(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame(VOLUNTEER_ROWS).to_csv(path, index=False)
    with pytest.raises(MissingCRSError):
        load_layer(path, s.VOLUNTEERS)


def test_load_layer__csv_mostly_swapped_lat_lon_is_refused(tmp_path):
    rows = [{**r, "经度": r["纬度"], "纬度": r["经度"]} for r in VOLUNTEER_ROWS]
    path = tmp_path / "v.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.VOLUNTEERS, crs="wgs84")
    assert err.value.code == "io.mostly_swapped"
    assert (err.value.context["n"], err.value.context["total"]) == (2, 2)


def test_load_layer__csv_one_swapped_point_among_many_is_a_listed_warning(tmp_path):
    good = [{**VOLUNTEER_ROWS[1], "编号": f"1{i:02d}"} for i in range(5)]
    stray = {**VOLUNTEER_ROWS[0], "经度": VOLUNTEER_ROWS[0]["纬度"], "纬度": VOLUNTEER_ROWS[0]["经度"]}
    path = tmp_path / "v.csv"
    pd.DataFrame([*good, stray]).to_csv(path, index=False)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84")
    codes = {f["code"]: f for f in loaded.findings}
    assert codes["sanity.swapped_latlon"]["feature_id"] == "007"
    assert "sanity.outside_china" in codes
    assert len(loaded.gdf) == 6  # kept: a warning, not a silent fix


def test_load_layer__points_mostly_far_from_the_project_area_are_refused_one_stray_is_listed(tmp_path):
    area = shapely.box(103.6, 30.6, 103.7, 30.7)
    near = [{**VOLUNTEER_ROWS[1], "编号": f"1{i:02d}"} for i in range(5)]
    far = {**VOLUNTEER_ROWS[1], "编号": "900", "经度": "104.9"}  # ~115 km east
    path = tmp_path / "v.csv"
    pd.DataFrame([*near, far]).to_csv(path, index=False)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84", area=area)
    assert [f["feature_id"] for f in loaded.findings if f["code"] == "sanity.far_from_area"] == ["900"]
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.VOLUNTEERS, crs="wgs84", area=shapely.box(110.0, 30.0, 110.1, 30.1))
    assert err.value.code == "io.mostly_far"
    assert err.value.context["total"] == 6


def test_load_layer__csv_projected_numbers_in_a_geographic_declaration_are_warned(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame([{**VOLUNTEER_ROWS[0], "经度": "372486", "纬度": "3390000"}]).to_csv(path, index=False)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84")
    assert [f["code"] for f in loaded.findings if f["code"].startswith("sanity.projected")] == [
        "sanity.projected_numbers"]


def test_load_layer__csv_text_in_number_column_names_row(tmp_path):
    path = tmp_path / "楼栋.csv"
    pd.DataFrame({"编码": ["B1", "B2"], "户数": ["40", "约50"], "经度": ["103.6", "103.7"],
                  "纬度": ["30.6", "30.7"]}).to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.HOUSEHOLDS, crs="wgs84")
    assert err.value.code == "io.text_in_number"
    assert (err.value.context["file"], err.value.context["row"], err.value.context["column"]) == (
        "楼栋.csv", "3", s.HOUSEHOLDS_N)


def test_load_layer__csv_text_in_coordinate_column_names_row(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame([VOLUNTEER_ROWS[0], {**VOLUNTEER_ROWS[1], "经度": "东经103度"}]).to_csv(path, index=False)
    with pytest.raises(GeoInputError) as err:
        load_layer(path, s.VOLUNTEERS, crs="wgs84")
    assert (err.value.code, err.value.context["row"]) == ("io.text_in_number", "3")


def test_load_layer__csv_blank_coordinates_keep_the_row_without_geometry(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame([VOLUNTEER_ROWS[0], {**VOLUNTEER_ROWS[1], "经度": "", "纬度": ""}]).to_csv(path, index=False)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84")
    assert len(loaded.gdf) == 2 and loaded.gdf.geometry.iloc[1] is None


def test_load_layer__csv_with_only_a_header_is_empty(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("编号,姓名,经度,纬度\n", encoding="utf-8")
    with pytest.raises(EmptyLayerError):
        load_layer(path, s.VOLUNTEERS, crs="wgs84")


def test_load_layer__csv_explicit_mapping_and_unrecognised_columns(tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame({"工号": ["1"], "联系人": ["王芳"], "E": ["103.6"], "N": ["30.6"], "备注": ["x"]}).to_csv(
        path, index=False)
    loaded = load_layer(path, s.VOLUNTEERS, crs="wgs84", mapping={"联系人": "name", "E": "lon", "N": "lat"})
    assert list(loaded.gdf[s.NAME]) == ["王芳"]
    assert "备注" in loaded.gdf.columns
    assert loaded.mapping.unrecognised == ("备注",)
    assert [f["detail"] for f in loaded.findings if f["code"] == "io.unrecognised_columns"] == ["备注"]


def test_decode_text__declared_wrong_encoding_is_an_error():
    with pytest.raises(GeoInputError) as err:
        decode_text("崇州".encode("gbk"), encoding="utf-8", label="v.csv")
    assert err.value.code == "io.bad_encoding"


def test_load_layer__xlsx_keeps_leading_zeros_of_text_cells(tmp_path):
    path = tmp_path / "服务点.xlsx"
    pd.DataFrame({"点位编号": ["0001", "0002"], "名称": ["甲站", "乙站"], "类型": ["社区工作站", "社区花园"],
                  "经度": [103.67, 103.68], "纬度": [30.63, 30.64]}).to_excel(path, index=False)
    loaded = load_layer(path, s.SERVICE_POINTS, crs="cgcs2000")
    assert list(loaded.gdf[s.POINT_ID]) == ["0001", "0002"]
    assert list(loaded.gdf[s.POINT_TYPE]) == ["社区工作站", "社区花园"]
    assert loaded.source_crs == "EPSG:4490"


def test_load_layer__unknown_suffix(tmp_path):
    path = tmp_path / "x.dwg"
    path.write_bytes(b"AC1027")
    with pytest.raises(UnsupportedFormatError):
        load_layer(path, s.TOWNS)


def test_load_layer_bytes__uses_the_upload_name(tmp_path):
    data = pd.DataFrame(VOLUNTEER_ROWS).to_csv(index=False).encode("utf-8")
    loaded = load_layer_bytes(data, "上传.csv", s.VOLUNTEERS, crs="wgs84")
    assert loaded.file == "上传.csv" and len(loaded.gdf) == 2

