"""Buildings (楼栋) as a layer: their micro-grid, kind, heads and roster, on the 锦澜市 field kit."""
from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import schema as s
from geo.buildings import (
    building_counts, building_heads, building_roster, buildings_table, find_buildings_without_head, is_building_post,
)
from geo.rollup import building_households, descendant_figures, kind_figures, unit_figures
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


def test_unit_figures__buildings_and_headless_per_unit_add_up_to_the_kit(kit):
    figures = unit_figures(kit)
    city = figures.get("city").iloc[0]
    headed = set(building_heads(kit)[s.BUILDING_CODE])
    assert city["buildings"] == summary()["counts"]["buildings"]
    assert city["headless_buildings"] == summary()["counts"]["buildings"] - len(headed)
    communities = figures.get("community")
    for row in summary()["communities"]:
        assert communities.at[row["code"], "buildings"] == row["buildings"]
    towns = figures.get("town")
    assert towns["headless_buildings"].sum() == communities["headless_buildings"].sum() == city["headless_buildings"]
    qiyun = summary()["towns"][0]["code"]  # 栖云街道: the only town with a roster, so the only one with heads
    assert towns.at[qiyun, "buildings"] - towns.at[qiyun, "headless_buildings"] == len(headed) == 53


def test_unit_figures__headless_buildings_are_the_escalation_chain_s_building_gaps(kit):
    from geo.escalation import chain_gaps, escalation_chain

    gaps = chain_gaps(escalation_chain(kit))
    no_head = gaps[gaps["gap"] == "no_building_head"]
    assert sorted(no_head["unit_code"]) == sorted(find_buildings_without_head(kit))
    per_grid = building_counts(kit)["headless_buildings"]
    assert per_grid[per_grid > 0].to_dict() == no_head.groupby(s.GRID_CODE).size().to_dict()


def test_kind_figures__buildings_per_unit_kind(kit):
    grids = kit.layer(s.GRIDS).copy()
    grids.loc[grids[s.COMMUNITY_CODE] == "510197101201", s.KIND] = "林盘"  # 石堰村's micro-grids: 林盘
    project = kit.with_layer(s.GRIDS, grids)
    per_kind = kind_figures(project, unit_figures(project))
    village = next(r for r in summary()["communities"] if r["code"] == "510197101201")
    assert per_kind.at["林盘", "buildings"] == per_kind.at["林盘", "headless_buildings"] == village["buildings"]
    assert per_kind["buildings"].sum() == summary()["counts"]["buildings"]


def test_unit_figures__buildings_counted_once_in_odd_hierarchies():
    """Tiny project: a building naming a general grid, one in a micro-grid, one outside every grid."""
    from tests.factories import X0, Y0, UTM, tiny_project

    project = tiny_project()
    pts = gpd.GeoDataFrame({s.CODE: ["B1", "B2", "B3"], s.NAME: ["1栋", "2栋", "3栋"], s.HOUSEHOLDS_N: [10, 20, 30],
                            s.GRID_CODE: ["510184001001-G1", None, None]},
                           geometry=gpd.points_from_xy([X0 + 100, X0 + 100, X0 - 500], [Y0 + 100] * 3), crs=UTM)
    project = project.with_layer(s.BUILDINGS, pts.to_crs(s.STORAGE_CRS))
    figures = unit_figures(project)
    grids = figures.get("grid")
    assert grids.at["510184001001-G1", "buildings"] == 1  # named its general grid: counted there
    assert grids.at["510184001001-G1-M1", "buildings"] == 1  # placed by location in its micro-grid
    general = descendant_figures(project, grids, ["510184001001-G1"]).iloc[0]
    assert general["buildings"] == general["headless_buildings"] == 2  # the general grid and its micro-grid
    assert figures.get("community").at["510184001001", "buildings"] == 2
    assert figures.get("city").iloc[0]["buildings"] == 2  # B3 lies in no grid


def test_export__rollup_and_unit_kind_sheets_carry_the_rollup_s_building_figures(kit):
    from geo.export_governance import unit_kinds_sheet
    from geo.export_tables import rollup_table

    figures = unit_figures(kit).get("community")
    table = rollup_table(kit, level="community").set_index(s.COMMUNITY_CODE)
    for col in ("buildings", "headless_buildings"):
        assert table[col].to_dict() == figures[col].to_dict()
    kinds = unit_kinds_sheet(kit)
    assert kinds["buildings"].sum() == summary()["counts"]["buildings"]
    assert kinds["headless_buildings"].sum() == figures["headless_buildings"].sum()


def test_roster__the_kit_s_done_when_counts_53_heads_45_party_volunteers_20_cadres_by_tier(kit):
    """Issue #16's "Done when": the field kit's roster loads into these structures with its README counts."""
    per_role = summary()["roster"]["per_role"]
    vols = kit.layer(s.VOLUNTEERS)
    assert len(building_heads(kit)) == per_role["楼栋长"] == 53
    volunteers = vols[vols["post"] == "党员志愿者"]
    assert len(volunteers) == per_role["党员志愿者"] == 45 and volunteers[s.PARTY_MEMBER].eq(True).all()
    assert vols[s.TIER].value_counts().to_dict() == {"市": per_role["下沉干部(市级)"], "镇街": per_role["下沉干部(镇街级)"]}
    assert vols[s.TIER].notna().sum() == 20
