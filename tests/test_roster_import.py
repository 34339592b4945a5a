"""Rosters without coordinates: people placed by grid code or (所属社区, 所属网格 name), never guessed."""
from __future__ import annotations

import geopandas as gpd
import openpyxl
import pytest
import shapely

from geo import schema as s
from geo.roster_import import LOCATED_BY, POST, post_role, read_roster
from geo.unitnames import general_grid_code, resolve_unit_names

A, B = "510000000001", "510000000002"


@pytest.fixture
def units():
    communities = gpd.GeoDataFrame({s.CODE: [A, B], s.NAME: ["甲社区", "乙社区"]},
                                   geometry=[shapely.box(104.0, 30.0, 104.01, 30.01),
                                             shapely.box(104.01, 30.0, 104.02, 30.01)], crs=s.STORAGE_CRS)
    grids = gpd.GeoDataFrame({
        s.CODE: [A + "0101", A + "0102", B + "0101"],
        s.NAME: ["甲社区第1网格1号微网格", "花园微网格", "花园微网格"],
        s.COMMUNITY_CODE: [A, A, B], s.LEVEL: [s.LEVEL_MICRO] * 3,
    }, geometry=[shapely.box(104.0, 30.0, 104.005, 30.01), shapely.box(104.005, 30.0, 104.01, 30.01),
                 shapely.box(104.01, 30.0, 104.02, 30.01)], crs=s.STORAGE_CRS)
    return communities, grids


def _roster(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["测试花名册"])
    ws.append(["序号", "姓名", "身份证号", "联系电话", "所属社区", "所属网格", "职务"])
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    ws.append(["合计", f"{len(rows)}人"])
    wb.save(path)
    return path


ROWS = [  # Excel rows 3..8
    ("张一", "11010519491231002X", "170 0000 0001", "甲社区", "甲社区第1网格", "网格长"),  # general grid
    ("张二", "", 17000000002, "甲社区", "花园微网格", "兼职网格员"),  # resolved by community
    ("张三", "", "17000000003", "", "花园微网格", "楼栋长"),  # no community: two grids of that name
    ("张四", "", "17000000004", "甲社区", "不存在微网格", "党员志愿者"),  # no such grid
    ("张五", "", "17000000005", "丙社区", "花园微网格", "下沉干部（市级）"),  # no such community
    ("张六", "", "17000000006", "乙社区", "花园微网格", "下沉干部(镇街级)"),
]


def test_read_roster__places_by_community_and_grid_name_and_lists_the_rest_by_row(tmp_path, units):
    communities, grids = units
    result = read_roster(_roster(tmp_path / "r.xlsx", ROWS), grids=grids, communities=communities, id_salt="x")
    vols = result.volunteers
    assert list(vols.index) == [3, 4, 5, 6, 7, 8]  # Excel rows; 合计 (row 9) is not a person
    assert vols.loc[3, s.GRID_CODE] == A + "01"  # 甲社区第1网格 -> the general grid's 14-digit code
    assert vols.loc[4, s.GRID_CODE] == A + "0102"
    assert vols.loc[8, s.GRID_CODE] == B + "0101"
    assert result.rows("ambiguous") == [5]
    assert result.rows("unmatched") == [6, 7]
    codes = {f["code"]: f["feature_id"] for f in result.findings if f["code"].startswith("roster.")}
    assert codes == {"roster.grid_ambiguous": "5", "roster.grid_unmatched": "6", "roster.community_unmatched": "7"}


def test_read_roster__people_without_a_grid_are_kept_without_a_point_or_assignment(tmp_path, units):
    communities, grids = units
    result = read_roster(_roster(tmp_path / "r.xlsx", ROWS), grids=grids, communities=communities, id_salt="x")
    vols = result.volunteers
    assert list(vols[LOCATED_BY]) == ["grid", "grid", "", "", "", "grid"]
    assert vols.geometry.isna().sum() == 3
    assert shapely.contains(grids.geometry.iloc[1], vols.loc[4].geometry)  # the grid's representative point
    assert sorted(result.assignments[s.GRID_CODE]) == sorted([A + "01", A + "0102", B + "0101"])
    assert set(result.assignments[s.METHOD]) == {"manual"}


def test_read_roster__roles_tiers_phones_and_masked_ids(tmp_path, units):
    communities, grids = units
    result = read_roster(_roster(tmp_path / "r.xlsx", ROWS), grids=grids, communities=communities, id_salt="x")
    vols = result.volunteers
    assert dict(zip(result.assignments[s.VOLUNTEER_ID].map(vols.set_index(s.VOLUNTEER_ID)[POST]),
                    result.assignments[s.ROLE])) == {"网格长": "leader", "兼职网格员": "leader",
                                                     "下沉干部(镇街级)": "member"}
    assert vols.loc[7, s.TIER] == "市" and vols.loc[8, s.TIER] == "镇街"
    assert list(vols[s.PHONE][:2]) == ["17000000001", "17000000002"]
    assert vols.loc[3, "id_number_masked"] == "110105********002X"
    assert "11010519491231002X" not in vols.astype(str).to_numpy().ravel().tolist()
    assert vols[s.VOLUNTEER_ID].is_unique


@pytest.mark.parametrize(("post", "expected"), [
    ("网格长", ("leader", None, None)),
    ("专职网格员", ("worker", None, None)),
    ("兼职网格员", ("leader", None, None)),
    ("下沉干部（市级）", ("member", "市", True)),  # full-width brackets
    ("党员志愿者", ("member", None, True)),
    ("炊事员", None),  # not a grid post
])
def test_post_role__cases(post, expected):
    assert post_role(post) == expected


def test_general_grid_code__only_when_its_micro_grids_exist():
    micro = frozenset({A + "0101", A + "0102"})
    assert general_grid_code("甲社区第1网格", A, micro_codes=micro) == A + "01"
    assert general_grid_code("甲社区第2网格", A, micro_codes=micro) is None


def test_resolve_unit_names__codes_stay_names_resolve_shared_names_are_listed(units):
    import pandas as pd

    _, grids = units
    res = resolve_unit_names(pd.Series([A + "0101", "甲社区第1网格1号微网格", "花园微网格", "无"]), grids)
    assert list(res.codes) == [A + "0101", A + "0101", None, None]
    assert res.ambiguous == {2: ("花园微网格", [A + "0102", B + "0101"])}
    assert res.unmatched == {3: "无"}


def test_read_roster__gbk_csv_placed_by_grid_code_without_community(tmp_path, units):
    communities, grids = units
    text = "姓名,联系电话,网格编码,职务\r\n甲,170-0000-0001,510000000001,楼栋长\r\n乙,17000000002,5100000000010102,楼栋长\r\n"
    path = tmp_path / "名单.csv"
    path.write_bytes(text.encode("gbk"))
    result = read_roster(path, grids=grids, communities=communities, id_salt="x")
    vols = result.volunteers
    assert list(vols.index) == [2, 3]  # CSV line numbers
    assert vols.loc[3, s.GRID_CODE] == A + "0102"
    assert result.rows("unmatched") == [2]  # a community code is not a grid code: listed, not guessed
    assert vols.loc[2, s.PHONE] == "17000000001"
