"""Input guards (geo.guards): what is refused before reading, and what reading may not change silently."""
from __future__ import annotations

import json
import os
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.crs import parse_crs
from geo.errors import GeoInputError
from geo.guards import (
    InputLimits, check_coordinates, check_input_file, clean_text, json_depth, reader_errors, review_xlsx,
)
from geo.io import load_layer
from geo.messages import error_text
from geo.validate import find_overlaps
from tests.fuzz import corpus as fz


def _refusal(path, **kw) -> GeoInputError:
    with pytest.raises(GeoInputError) as err:
        check_input_file(path, **kw)
    return err.value


def test_check_input_file__refuses_a_directory_a_fifo_and_a_device_without_opening_them(tmp_path):
    folder = tmp_path / "d.geojson"
    folder.mkdir()
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)  # opening it would block forever
    device = tmp_path / "z.csv"
    device.symlink_to("/dev/zero")
    assert _refusal(folder).code == "guards.not_regular_file.directory"
    assert _refusal(fifo).code == "guards.not_regular_file.fifo"
    assert _refusal(device).code == "guards.not_regular_file.device"


def test_check_input_file__size_cap_names_the_setting_that_raises_it(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(3_000_000)
    err = _refusal(path, limits=InputLimits(max_table_mb=2))
    assert err.code == "guards.too_large"
    assert "GRIDATLAS_MAX_TABLE_MB" in error_text(err, "en", front="cli")
    check_input_file(path, limits=InputLimits(max_table_mb=4))  # raised cap: accepted


def test_check_input_file__csv_columns_and_rows_are_capped(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(5000)) + "\n")
    long = tmp_path / "long.csv"
    long.write_text("a,b\n" + "1,2\n" * 50)
    assert _refusal(wide).code == "guards.too_many_columns"
    assert _refusal(long, limits=InputLimits(max_rows=20)).code == "guards.too_many_rows"


def test_check_input_file__bom_on_a_gbk_body_is_refused_with_a_remedy(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "编号,姓名\nV1,张三\n".encode("gbk"))
    err = _refusal(path)
    assert err.code == "guards.bom_not_utf8"
    assert "CSV UTF-8" in error_text(err, "en", front="web")


def test_json_depth__is_measured_without_recursion_and_ignores_brackets_in_strings():
    assert json_depth(b'{"a": [[1], "[[[[["], {"b": {}}]}') == 3
    assert json_depth(b"[" * 200_000 + b"]" * 200_000) == 200_000


def test_check_input_file__deep_json_is_refused(tmp_path):
    path = tmp_path / "d.geojson"
    path.write_bytes(fz.nested_json(5000))
    assert _refusal(path).code == "guards.json_too_deep"


@pytest.mark.parametrize(("variant", "code"), [
    ("bad_crc", "guards.zip_corrupt"), ("lying", "guards.zip_corrupt"), ("encrypted", "guards.zip_encrypted"),
    ("deflate64", "guards.zip_compression"), ("truncated", "io.not_zip"),
])
def test_check_input_file__damaged_zips_are_named(tmp_path, variant, code):
    good = fz.shp_zip(s.GRIDS)
    data = {"bad_crc": fz.corrupt_crc(good), "lying": fz.lie_sizes(good),
            "encrypted": fz.set_flags(good, flag=0x1), "deflate64": fz.set_flags(good, method=9),
            "truncated": good[: len(good) // 2]}[variant]
    path = tmp_path / "g.zip"
    path.write_bytes(data)
    assert _refusal(path).code == code


def test_check_input_file__zip_bomb_by_ratio(tmp_path):
    path = tmp_path / "g.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("grids.shp", b"\0" * 20_000_000)
    assert _refusal(path).code == "io.zip_bomb"


@pytest.mark.parametrize("external", [True, False])
def test_check_input_file__xlsx_with_a_dtd_is_refused(tmp_path, external):
    path = tmp_path / "v.xlsx"
    path.write_bytes(fz.xlsx_with_dtd(external=external))
    err = _refusal(path)
    assert err.code == "guards.xml_dtd"
    assert err.context["member"] == "xl/worksheets/sheet1.xml"


def test_check_input_file__kml_truncated_or_with_entities_is_refused(tmp_path):
    kml = fz.kml_bytes(s.COMMUNITIES)
    cut = tmp_path / "cut.kml"
    cut.write_bytes(kml[: len(kml) // 2])
    laughs = tmp_path / "laughs.kml"
    laughs.write_bytes(b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aa">]><kml>&a;</kml>')
    assert _refusal(cut).code == "guards.bad_xml"
    assert _refusal(laughs).code == "guards.xml_dtd"


def test_check_input_file__a_cpg_that_lies_names_the_detected_encoding(tmp_path):
    parts = {**fz.shapefile_parts(s.GRIDS, "GBK"), ".cpg": b"UTF-8"}
    path = tmp_path / "g.zip"
    path.write_bytes(fz.zip_bytes({f"grids{k}": v for k, v in parts.items()}))
    err = _refusal(path)
    assert err.code == "guards.cpg_lies"
    assert "--encoding GB18030" in error_text(err, "en", front="cli")


def _polygons(coords: list[list[float]], crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({s.CODE: ["A"]}, geometry=[shapely.Polygon(coords)], crs=crs)


@pytest.mark.parametrize(("coords", "code"), [
    ([[30.6, 103.6], [30.7, 103.6], [30.7, 103.7]], "guards.coordinates_out_of_range"),  # lat/lon swapped
    ([[1e9, 30.6], [103.7, 30.6], [103.7, 30.7]], "guards.coordinates_out_of_range"),
    ([[np.inf, 30.6], [103.7, 30.6], [103.7, 30.7]], "guards.coordinates_not_finite"),
])
def test_check_coordinates__refuses_polygons_geos_cannot_use(coords, code):
    with pytest.raises(GeoInputError) as err:
        check_coordinates(_polygons(coords), parse_crs("wgs84"), layer=s.GRIDS, label="g.geojson")
    assert err.value.code == code
    assert err.value.context["ids"] == ["A"]


def test_check_coordinates__projected_range_is_the_earth_in_metres():
    metres = [[500_000, 3_400_000], [501_000, 3_400_000], [501_000, 3_401_000]]
    check_coordinates(_polygons(metres, "EPSG:4544"), parse_crs("EPSG:4544"), layer=s.GRIDS, label="g")
    with pytest.raises(GeoInputError):
        check_coordinates(_polygons([[5e12, 0], [1, 0], [1, 1]], "EPSG:4544"), parse_crs("EPSG:4544"),
                          layer=s.GRIDS, label="g")


def test_clean_text__removes_control_characters_and_nul_and_says_where():
    frame = pd.DataFrame({"名称": ["好\x00名", "ok", "a\x07b\x1b"], "n": [1, 2, 3]}, index=[2, 3, 4])
    out, notes = clean_text(frame, layer=s.VOLUNTEERS, label="v.csv", by_row=True)
    assert list(out["名称"]) == ["好名", "ok", "ab"]
    assert frame["名称"].iloc[0] == "好\x00名"  # input untouched
    assert [(n["code"], n["feature_id"], n["related_id"]) for n in notes] == [("guards.control_chars", "2, 4", "2")]


def test_load_layer__geojson_long_codes_and_nul_survive_exactly(tmp_path):
    doc = fz.geojson_doc(s.COMMUNITIES)
    doc["features"][0]["properties"]["code"] = 510184001001000000001
    doc["features"][1]["properties"]["name"] = "前\u0000后"
    path = tmp_path / "c.geojson"
    path.write_bytes(fz.dump(doc))
    loaded = load_layer(path, s.COMMUNITIES)
    assert loaded.gdf[s.CODE].iloc[0] == "510184001001000000001"
    assert loaded.gdf[s.NAME].iloc[1] == "前后"
    assert {"guards.restored_from_file", "guards.control_chars"} <= {f["code"] for f in loaded.findings}


def test_load_layer__geojson_feature_of_unknown_type_is_reported_not_dropped(tmp_path):
    doc = fz.geojson_doc(s.GRIDS)
    doc["features"][3]["geometry"]["type"] = "Bogus"
    path = tmp_path / "g.geojson"
    path.write_bytes(fz.dump(doc))
    loaded = load_layer(path, s.GRIDS)
    assert len(loaded.gdf) == len(doc["features"])
    note = next(f for f in loaded.findings if f["code"] == "guards.unknown_geometry_type")
    assert note["detail"] == "Bogus" and note["related_id"] == "1"


def test_review_xlsx__formula_without_value_and_lost_leading_zeros_are_named(tmp_path):
    rows = fz.volunteer_sheet(
        id_cell=lambda r, v: fz.cell(f"A{r}", str(r - 1), kind="n", style=1) if r == 2 else fz.cell(f"A{r}", v),
        name_cell=lambda r, v: fz.cell(f"B{r}", "", formula="CONCAT(A1,A2)") if r == 3 else fz.cell(f"B{r}", v))
    path = tmp_path / "v.xlsx"
    path.write_bytes(fz.xlsx_cells(rows, sheet_name="花名册"))
    notes = {n["code"]: n["feature_id"] for n in review_xlsx(path, layer=s.VOLUNTEERS, label="v.xlsx")}
    assert notes == {"guards.formula_no_value": "花名册!B3", "guards.number_lost_zeros": "花名册!A2"}


def test_reader_errors__maps_library_failures_but_not_our_own_bugs():
    with pytest.raises(GeoInputError) as err, reader_errors("x.xlsx"):
        json.loads("[" * 100_000)  # RecursionError inside the json library
    assert err.value.code == "guards.unreadable_content"
    with pytest.raises(TypeError), reader_errors("x.xlsx"):
        raise TypeError("a bug in geo/")


def test_find_overlaps__spike_polygons_stay_bounded_in_time_and_say_so():
    doc = fz.spike_polygons(n=12, vertices=300, seed=fz.SEED)
    gdf = gpd.GeoDataFrame.from_features(doc["features"], crs="EPSG:4326").to_crs(s.METRIC_CRS)
    rows = find_overlaps(gdf, s.GRIDS, tolerance_m2=1.0, budget_s=0.0)
    codes = [r["code"] for r in rows]
    assert "guards.overlap_limited" in codes or "guards.overlap_unmeasured" in codes
    exact = find_overlaps(gdf.head(2), s.GRIDS, tolerance_m2=1.0)
    assert [r["code"] for r in exact] == ["check.overlap"]


# --- DBF numbers wider than a float ---------------------------------------------------------------

def _dbf(fields: list[tuple[str, str, int]], rows: list[tuple], *, deleted: tuple[int, ...] = ()) -> bytes:
    """A dBase III file with ``fields`` (name, type, width) and ``rows``; records in ``deleted`` flagged ``*``."""
    import struct

    header_len, record_len = 32 + 32 * len(fields) + 1, 1 + sum(w for _, _, w in fields)
    head = struct.pack("<BBBBIHH20x", 3, 126, 1, 1, len(rows), header_len, record_len)
    for name, kind, width in fields:
        head += struct.pack("<11sc4xBB14x", name.encode(), kind.encode(), width, 0)
    body = b"".join((b"*" if k in deleted else b" ") + b"".join(
        (str(v).rjust(w) if kind == "N" else str(v).ljust(w)).encode() for (_, kind, w), v in zip(fields, row))
        for k, row in enumerate(rows))
    return head + b"\r" + body + b"\x1a"


def test_shapefile__21_digit_numeric_codes_read_as_the_digits_stored(tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely

    from geo.io import read_raw

    shapes = gpd.GeoDataFrame({"x": [1, 2]}, geometry=[shapely.box(104, 30.6, 104.01, 30.61),
                                                        shapely.box(104.01, 30.6, 104.02, 30.61)], crs=4326)
    pyogrio.write_dataframe(shapes, tmp_path / "g.shp")
    codes = ["510184001001010101234", "510184001001010101299"]  # differ only past float64's 15–17 digits
    (tmp_path / "g.dbf").write_bytes(_dbf([("code", "N", 21), ("name", "C", 8)], [(codes[0], "a"), (codes[1], "b")]))
    assert pyogrio.read_dataframe(tmp_path / "g.shp")["code"].dtype == float  # what GDAL alone gives
    raw = read_raw(tmp_path / "g.shp", target="communities")
    assert raw.frame["code"].tolist() == codes


def test_dbf_wide_integers__skips_deleted_records_and_keeps_blanks_as_none():
    from geo.guards import dbf_wide_integers

    data = _dbf([("code", "N", 20), ("n", "N", 4)], [("12345678901234567890", 1), ("", 2), ("99", 3)], deleted=(2,))
    assert dbf_wide_integers(data, encoding="UTF-8") == {"code": ["12345678901234567890", None]}
