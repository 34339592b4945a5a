"""Buildings (楼栋) as a layer: their micro-grid, kind, heads and roster, on the 锦澜市 field kit."""
from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import schema as s
from geo.buildings import building_heads, building_roster, buildings_table, is_building_post
from geo.rollup import building_households, unit_figures
from geo.roster_import import read_roster
from tests.fieldkit import TRUTH, fieldkit_project, summary

ROSTER = Path(__file__).resolve().parent / "data" / "fieldkit" / "rosters" / "网格员花名册.xlsx"


@functools.cache
def _kit_with_roster():
    project = fieldkit_project(general_grids=True, volunteers=1)
    roster = read_roster(ROSTER, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES))
    return project.with_layer(s.VOLUNTEERS, roster.volunteers).with_table(s.ASSIGNMENTS, roster.assignments)


@pytest.fixture
def kit():
    return _kit_with_roster()


def test_buildings_table__every_building_in_its_true_micro_grid_by_location(kit):
    truth = gpd.read_file(TRUTH / "buildings_wgs84.geojson")
    table = buildings_table(kit)
    assert len(table) == summary()["counts"]["buildings"]
    assert table[s.GRID_CODE].tolist() == truth["网格编码"].astype(str).tolist()
    assert table.index.equals(kit.layer(s.BUILDINGS).index)


def test_buildings_table__own_grid_code_wins_over_location_and_kind_falls_back_to_the_grid(kit):
    bld = kit.layer(s.BUILDINGS).copy()
    other = "5101970010020101"
    bld[s.GRID_CODE] = None
    bld.loc[bld.index[0], s.GRID_CODE] = other
    bld[s.KIND] = None
    bld.loc[bld.index[1], s.KIND] = "院落"
    table = buildings_table(kit.with_layer(s.BUILDINGS, bld))
    assert table[s.GRID_CODE].iloc[0] == other
    assert table[s.KIND].iloc[1] == "院落"
    assert table[s.KIND].iloc[2] == "小区"  # the field kit's micro-grids are 小区


def test_building_households__sums_buildings_to_the_kit_total(kit):
    sums = building_households(kit)
    assert sums.sum() == summary()["counts"]["households"]
    grids = kit.layer(s.GRIDS).set_index(s.CODE)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO][s.HOUSEHOLDS_N].astype(float)
    pd.testing.assert_series_equal(sums.reindex(micro.index), micro, check_names=False)


def test_unit_figures__grids_without_counts_take_their_buildings_households(kit):
    grids = kit.layer(s.GRIDS).copy()
    grids[s.HOUSEHOLDS_N] = np.nan
    figures = unit_figures(kit.with_layer(s.GRIDS, grids))
    communities = figures.get("community")[s.HOUSEHOLDS_N]
    for row in summary()["communities"]:
        assert communities[row["code"]] == row["households"]
    assert figures.get("city")[s.HOUSEHOLDS_N].iloc[0] == summary()["counts"]["households"]


@pytest.mark.parametrize(("post", "expected"), [("楼栋长", True), ("单元长", True), ("楼栋长（兼）", True),
                                                ("网格长", False), ("", False), (None, False)])
def test_is_building_post__cases(post, expected):
    assert is_building_post(post) is expected


def test_building_heads__the_kit_s_53_heads_each_resolved_to_the_building_their_remark_names(kit):
    heads = building_heads(kit)
    assert len(heads) == 53
    assert heads[s.BUILDING_CODE].notna().all()
    names = buildings_table(kit).set_index(s.CODE)[s.NAME]
    remarks = kit.layer(s.VOLUNTEERS).set_index(s.VOLUNTEER_ID)["备注"]
    for vid, code in zip(heads[s.VOLUNTEER_ID], heads[s.BUILDING_CODE]):
        assert remarks[vid] == f"负责{names[code]}"


def test_building_heads__a_building_code_column_wins_over_the_remark(kit):
    vols = kit.layer(s.VOLUNTEERS).copy()
    first = vols.index[vols["post"] == "楼栋长"][0]
    vols[s.BUILDING_CODE] = None
    vols.loc[first, s.BUILDING_CODE] = "B0000"
    heads = building_heads(kit.with_layer(s.VOLUNTEERS, vols)).set_index(s.VOLUNTEER_ID)
    assert heads.loc[vols.loc[first, s.VOLUNTEER_ID], s.BUILDING_CODE] == "B0000"
    assert heads.loc[vols.loc[first, s.VOLUNTEER_ID], s.GRID_CODE] == "5101970010010101"


def test_building_roster__one_row_per_building_heads_attached_none_dropped(kit):
    grid = "5101970010010103"
    roster = building_roster(kit, grid_codes=[grid])
    table = buildings_table(kit)
    assert sorted(roster[s.CODE]) == sorted(table.loc[table[s.GRID_CODE] == grid, s.CODE])
    headed = roster[roster["head_name"].notna()]
    assert headed["head_post"].eq("楼栋长").all() and len(headed) >= 1


def test_import_headers__building_and_consent_columns_are_recognised():
    from geo.tables import apply_mapping

    bld, _ = apply_mapping(pd.DataFrame({"楼栋名称": ["1栋"], "户数": [20], "地址": ["某路1号"], "网格编码": ["x"],
                                         "小区类型": ["院落"]}), s.BUILDINGS, mapping=None)
    assert {s.NAME, s.ADDRESS, s.GRID_CODE, s.KIND} <= set(bld.columns)
    vols, _ = apply_mapping(pd.DataFrame({"姓名": ["王芳"], "工作电话": ["028-1"], "同意公示": ["是"],
                                          "所属楼栋": ["1栋"]}), s.VOLUNTEERS, mapping=None)
    assert {s.WORK_PHONE, s.PHONE_CONSENT, s.BUILDING_CODE} <= set(vols.columns)
