"""Self-governance bodies, self-organisations and 公约 per unit on the 锦澜市 field kit: reading and roll-up."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.rollup import unit_figures
from geo.selfgov import read_selfgov, selfgov_rows, selfgov_table
from tests.fieldkit import fieldkit_project


@pytest.fixture(scope="module")
def kit():
    return fieldkit_project(general_grids=True, volunteers=5)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    rows = [
        ("望江社区", "", 2, "望江社区居民议事会、望江社区业委会联席会", None, "望江舞蹈队、望江读书会、望江巡逻队", 3, ""),
        ("望江社区", "望江社区第1网格1号微网格", None, "一号院院委会", 1, "", None, "一号院公约"),
        ("桂香社区", "滨江花园", 1, "滨江花园业委会", 4, "", 5, ""),
        ("石堰村", "", 1, "石堰村村民议事会、石堰村红白理事会", 12, "", 20, "村规民约"),  # count below names
        ("不存在社区", "", 1, "", 1, "", 1, ""),
    ]
    path = tmp_path_factory.mktemp("sg") / "自治组织.xlsx"
    pd.DataFrame(rows, columns=["所属社区", "网格/小区", "自治组织数", "自治组织名称", "自组织数", "自组织名称",
                                "公约数", "公约名称"]).to_excel(path, index=False)
    return path


def test_read_selfgov__counts_from_the_sheet_else_from_the_names(kit, sheet):
    result = read_selfgov(sheet, grids=kit.layer(s.GRIDS), communities=kit.layer(s.COMMUNITIES))
    table = result.table
    assert table["selfgov_bodies"].tolist() == [2, 1, 1, 1, 1]
    assert table["self_orgs"].tolist() == [3, 1, 4, 12, 1]  # blank count = the names listed
    assert table["conventions"].tolist() == [3, 1, 5, 20, 1]


def test_read_selfgov__a_blank_unit_is_the_whole_community_and_a_compound_its_grids(kit, sheet):
    table = read_selfgov(sheet, grids=kit.layer(s.GRIDS), communities=kit.layer(s.COMMUNITIES)).table
    micro = kit.layer(s.GRIDS)
    micro = micro[micro[s.LEVEL] == s.LEVEL_MICRO]
    assert set(table[s.GRID_CODES].iloc[0].split(";")) == set(micro.loc[micro[s.COMMUNITY_CODE] == "510197001001",
                                                                         s.CODE])
    assert table[s.GRID_CODES].iloc[1] == "5101970010010101"
    assert table[s.GRID_CODES].iloc[2] == "5101970010020104"


def test_read_selfgov__unknown_community_and_count_below_names_are_named_by_row(kit, sheet):
    findings = read_selfgov(sheet, grids=kit.layer(s.GRIDS), communities=kit.layer(s.COMMUNITIES)).findings
    assert sorted((f["code"], f["feature_id"]) for f in findings) == [
        ("names.community_unmatched", "6"), ("selfgov.count_below_names", "5")]


def test_rollup__each_row_counts_once_in_every_unit_that_holds_its_grids(kit, sheet):
    table = selfgov_table(read_selfgov(sheet, grids=kit.layer(s.GRIDS), communities=kit.layer(s.COMMUNITIES)))
    project = kit.with_table(s.SELFGOV, table)
    figures = unit_figures(project, category=None)
    cols = ["selfgov_bodies", "self_orgs", "conventions"]
    comms = figures.get("community")
    assert comms.loc["510197001001", cols].tolist() == [3, 4, 4]
    assert comms.loc["510197001002", cols].tolist() == [1, 4, 5]
    assert comms.loc["510197101201", cols].tolist() == [1, 12, 20]
    assert figures.get("town").loc["510197001000", cols].tolist() == [4, 8, 9]
    assert figures.get("city")[cols].iloc[0].tolist() == [5, 20, 29]  # the unmatched row counts nowhere
    rows = selfgov_rows(project, ["5101970010010101"])
    assert rows["selfgov_bodies_names"].tolist() == ["望江社区居民议事会、望江社区业委会联席会", "一号院院委会"]
