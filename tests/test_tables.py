"""Header recognition, explicit mappings and typed values (geo.tables)."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.errors import GeoInputError
from geo.tables import LAT, LON, apply_mapping, coerce_columns, parse_mapping_args, recognise_columns


@pytest.mark.parametrize(("header", "layer", "expected"), [
    ("名称", s.TOWNS, s.NAME),
    ("name", s.COMMUNITIES, s.NAME),
    ("编码", s.GRIDS, s.CODE),
    ("代码", s.COMMUNITIES, s.CODE),
    ("编号", s.VOLUNTEERS, s.VOLUNTEER_ID),  # 编号 is a person's ID in a roster...
    ("编号", s.SERVICE_POINTS, s.POINT_ID),  # ... and a point's ID in a point list
    ("经度", s.VOLUNTEERS, LON),
    ("lng", s.SERVICE_POINTS, LON),
    ("X", s.VOLUNTEERS, LON),
    ("纬度", s.VOLUNTEERS, LAT),
    ("Latitude", s.VOLUNTEERS, LAT),
    ("联系电话", s.VOLUNTEERS, s.PHONE),
    ("手机", s.VOLUNTEERS, s.PHONE),
    ("类型", s.SERVICE_POINTS, s.POINT_TYPE),
    ("类型", s.GRIDS, s.KIND),
    ("所属社区", s.VOLUNTEERS, s.COMMUNITY_CODE),
    ("所属镇街", s.COMMUNITIES, s.TOWN_CODE),
    ("地址", s.VOLUNTEERS, s.ADDRESS),
    ("层级", s.GRIDS, s.LEVEL),
    ("层级", s.VOLUNTEERS, s.TIER),  # 层级 of a volunteer is the tier they sink from
    ("户数", s.GRIDS, s.HOUSEHOLDS_N),
    ("是否党员", s.VOLUNTEERS, s.PARTY_MEMBER),
    ("技能", s.VOLUNTEERS, s.SKILLS),
    ("容量", s.VOLUNTEERS, s.CAPACITY),
    (" 名 称 ", s.TOWNS, s.NAME),  # stray spaces
    ("\ufeff编号", s.VOLUNTEERS, s.VOLUNTEER_ID),  # a BOM glued to the first header
    ("town_code", s.COMMUNITIES, s.TOWN_CODE),  # schema names are recognised as themselves
])
def test_recognise_columns__common_headers(header, layer, expected):
    found = recognise_columns([header], layer)
    assert found.renames == {header: expected}
    assert found.unrecognised == ()


def test_recognise_columns__unknown_columns_are_kept_and_reported():
    df = pd.DataFrame({"姓名": ["王芳"], "编号": ["V1"], "备注": ["夜班"], "血型": ["A"]})
    out, found = apply_mapping(df, s.VOLUNTEERS)
    assert list(out.columns) == [s.NAME, s.VOLUNTEER_ID, "备注", "血型"]
    assert found.unrecognised == ("备注", "血型")


def test_recognise_columns__explicit_mapping_wins():
    found = recognise_columns(["姓名", "联系人"], s.VOLUNTEERS, mapping={"联系人": s.NAME})
    assert found.renames == {"联系人": s.NAME}
    assert found.unrecognised == ("姓名",)


def test_recognise_columns__two_headers_for_one_column_is_an_error():
    with pytest.raises(GeoInputError) as err:
        recognise_columns(["电话", "手机"], s.VOLUNTEERS, file="v.csv")
    assert err.value.code == "io.duplicate_column"
    assert err.value.context["file"] == "v.csv"


def test_parse_mapping_args__pairs_and_bad_item():
    assert parse_mapping_args(["联系人=name", "片区 = community_code"]) == {
        "联系人": "name", "片区": "community_code"}
    with pytest.raises(GeoInputError) as err:
        parse_mapping_args(["联系人"])
    assert err.value.code == "io.bad_map"


def test_coerce_columns__ids_and_phones_stay_text_with_leading_zeros():
    df = pd.DataFrame({s.VOLUNTEER_ID: ["007"], s.PHONE: ["01088886666"], s.CODE: [510184001000.0]})
    out = coerce_columns(df, file="v.csv")
    assert out.loc[0, s.VOLUNTEER_ID] == "007"
    assert out.loc[0, s.PHONE] == "01088886666"
    assert out.loc[0, s.CODE] == "510184001000"  # a float read from a vector file loses its ".0"


def test_coerce_columns__text_in_number_column_names_file_row_and_column():
    df = pd.DataFrame({s.CODE: ["B1", "B2", "B3"], s.HOUSEHOLDS_N: ["40", "约50", "60户"]})
    with pytest.raises(GeoInputError) as err:
        coerce_columns(df, file="楼栋.csv")
    assert err.value.code == "io.text_in_number"
    ctx = err.value.context
    assert (ctx["file"], ctx["column"], ctx["row"], ctx["value"]) == ("楼栋.csv", s.HOUSEHOLDS_N, "3", "约50")
    assert ctx["rows"] == ["3", "4"]  # spreadsheet rows: header is row 1


def test_coerce_columns__numbers_booleans_levels_and_tiers_are_normalised():
    df = pd.DataFrame({s.HOUSEHOLDS_N: ["1,200", ""], s.PARTY_MEMBER: ["是", "否"],
                       s.LEVEL: ["微网格", "一般网格"], s.TIER: ["街道", "市级"]})
    out = coerce_columns(df, file="x.csv")
    assert list(out[s.HOUSEHOLDS_N]) == [1200, None]
    assert list(out[s.PARTY_MEMBER]) == [True, False]
    assert list(out[s.LEVEL]) == [s.LEVEL_MICRO, s.LEVEL_GENERAL]
    assert list(out[s.TIER]) == ["镇街", "市"]


def test_coerce_columns__unknown_yes_no_value_is_an_error():
    with pytest.raises(GeoInputError) as err:
        coerce_columns(pd.DataFrame({s.PARTY_MEMBER: ["是", "也许"]}), file="v.csv")
    assert err.value.code == "io.bad_boolean"
    assert err.value.context["row"] == "3"


def test_coerce_columns__does_not_mutate_input():
    df = pd.DataFrame({s.HOUSEHOLDS_N: ["40"]})
    coerce_columns(df, file="x.csv")
    assert df.loc[0, s.HOUSEHOLDS_N] == "40"
