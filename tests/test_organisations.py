"""Organisations entering the grid (进网入格) on the 锦澜市 field kit: types, grids served, roll-up, gaps, masking."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.organisations import (
    LEADER, find_grids_without_management, org_type, organisation_rows, resolve_served_grids,
)
from geo.rollup import unit_figures
from tests.fieldkit import ORGANISATIONS_XLSX, fieldkit_project, organisations_truth, summary, with_organisations

KIT_TYPES = {"物业公司": "物业", "业委会": "业委会", "院委会": "院委会", "社会组织": "社会组织", "社会企业": "社会企业",
             "群团组织": "群团", "自组织": "自组织"}


@pytest.fixture(scope="module")
def kit():
    return with_organisations(fieldkit_project(general_grids=True, volunteers=10))


def test_read_organisations__42_resolve_to_grids_as_the_readme_says(kit):
    project, result = kit
    table = project.table(s.ORGANISATIONS)
    assert result.findings == []
    assert len(table) == summary()["counts"]["organisations"] == 42
    assert (table[s.GRID_CODES] != "").sum() == 42  # every one resolved to at least one grid


def test_read_organisations__grids_served_are_the_truth_micro_grids_even_with_general_grids(kit):
    project, _ = kit
    truth = organisations_truth()
    assert [set(v.split(";")) for v in project.table(s.ORGANISATIONS)[s.GRID_CODES]] == \
        [set(v.split(";")) for v in truth["网格编码"]]


def test_read_organisations__types_normalised_with_the_kit_counts(kit):
    project, _ = kit
    got = project.table(s.ORGANISATIONS)[s.ORG_TYPE].value_counts().to_dict()
    want = {KIT_TYPES[k]: n for k, n in summary()["organisations"]["per_type"].items()}
    assert got == want


@pytest.mark.parametrize(("written", "expected"), [
    ("物业公司", "物业"), ("业主委员会", "业委会"), ("妇联", "群团"), ("共青团", "群团"), ("工会", "群团"),
    (" 院委会 ", "院委会"), ("社企", "社会企业"), ("居民自组织", "自组织"), ("合作社", None), (None, None)])
def test_org_type__office_words_map_to_the_schema_types(written, expected):
    assert org_type(written) == expected


def test_rollup__each_organisation_counts_once_per_community_town_and_city(kit):
    project, _ = kit
    truth = organisations_truth()
    figures = unit_figures(project, category=None)
    by_comm: dict[str, set[str]] = {}
    for row in truth.itertuples():
        for code in row.网格编码.split(";"):
            by_comm.setdefault(code[:12], set()).add(row.序号)
    comms = figures.get("community")["organisations"]
    assert {c: int(n) for c, n in comms.items() if n} == {c: len(v) for c, v in by_comm.items()}
    assert figures.get("city")["organisations"].iloc[0] == 42
    towns = figures.get("town")["organisations"]
    assert towns.sum() >= 42 and towns.max() <= 42


def test_rollup__a_general_grid_counts_the_organisations_of_its_micro_grids(kit):
    project, _ = kit
    from geo.explore import Selection, unit_panel_figures

    figures = unit_figures(project, category=None)
    truth = organisations_truth()
    general = "51019700100101"  # 望江社区第1网格
    want = {r.序号 for r in truth.itertuples() if any(c.startswith(general) for c in r.网格编码.split(";"))}
    got = unit_panel_figures(project, figures, Selection(town="510197001000", community="510197001001", grid=general))
    assert got["organisations"] == len(want) > 0


def test_find_grids_without_management__micro_grids_with_no_property_and_no_committee(kit):
    project, _ = kit
    truth = organisations_truth()
    managed = {c for r in truth.itertuples() if r.类型 in ("物业公司", "业委会", "院委会") for c in r.网格编码.split(";")}
    micro = project.layer(s.GRIDS)
    micro = set(micro.loc[micro[s.LEVEL] == s.LEVEL_MICRO, s.CODE])
    gaps = find_grids_without_management(project)
    assert set(gaps) == micro - managed
    assert unit_figures(project, category=None).get("city")["org_gaps"].iloc[0] == len(gaps) > 0


def test_find_grids_without_management__nothing_listed_before_organisations_are_imported():
    assert find_grids_without_management(fieldkit_project(volunteers=5)) == []


def test_organisation_rows__contact_masked_by_default_and_in_full_on_request(kit):
    project, _ = kit
    rows = organisation_rows(project, ["5101970010010102"])
    assert len(rows) >= 1 and rows[s.PHONE].str.match(r"^170\*\*\*\*\d{4}$").all()
    assert not rows[LEADER].isin(project.table(s.ORGANISATIONS)[LEADER]).any()
    full = organisation_rows(project, ["5101970010010102"], include_personal=True)
    assert full[s.PHONE].str.fullmatch(r"1700000\d{4}").all()


def test_resolve_served_grids__compound_name_whole_community_and_unknown_names():
    from geo.organisations import layers_tree

    layers = fieldkit_project(volunteers=5)
    tree = layers_tree(layers.layer(s.GRIDS), layers.layer(s.COMMUNITIES))
    names = pd.Series(["滨江花园", "全社区", "不存在小区、滨江花园微网格"], index=[5, 6, 7])
    comm = pd.Series(["510197001001", "510197001002", "510197001002"], index=[5, 6, 7])
    served, findings = resolve_served_grids(names, comm, tree=tree, layer=s.ORGANISATIONS, label="x.xlsx")
    assert served[5] == "5101970010010104"  # the compound, in the row's own community only
    assert set(served[6].split(";")) == set(tree.index[tree[s.COMMUNITY_CODE] == "510197001002"])
    assert served[7] == "5101970010020104"
    assert [(f["code"], f["feature_id"], f["detail"]) for f in findings] == [
        ("organisations.grid_unmatched", "7", "不存在小区")]


def test_export__organisations_sheet_masks_the_contact_unless_personal_data_is_asked_for(kit):
    from geo.export_governance import organisations_sheet, org_gaps_sheet
    from geo.export_tables import Privacy

    project, _ = kit
    masked = organisations_sheet(project)
    truth = organisations_truth()
    assert len(masked) == 42 and masked[s.PHONE].str.fullmatch(r"170\*\*\*\*\d{4}").all()
    assert not masked[LEADER].isin(project.table(s.ORGANISATIONS)[LEADER]).any()
    full = organisations_sheet(project, privacy=Privacy(include_personal=True))
    assert full[s.PHONE].tolist() == truth["电话规范"].tolist()
    assert set(org_gaps_sheet(project)[s.GRID_CODE]) == set(find_grids_without_management(project))


@pytest.fixture(scope="module")
def building_sheet(kit, tmp_path_factory):
    """The kit's sheet plus rows naming a building, a compound's buildings, and a building of another community."""
    raw = pd.read_excel(ORGANISATIONS_XLSX, dtype=str)
    extra = pd.DataFrame([
        ("43", "润泽公寓3栋便民服务站", "社会企业", "望江社区", "润泽公寓3栋", "周一", "17000009901"),
        ("44", "润泽雅居业主委员会", "业委会", "望江社区", "润泽雅居", "钱二", "17000009902"),  # a compound
        ("45", "错社区楼栋服务队", "自组织", "桂香社区", "润泽公寓3栋", "孙三", "17000009903"),  # in 望江社区, not 桂香
    ], columns=raw.columns)
    path = tmp_path_factory.mktemp("orgs") / "organisations_buildings.xlsx"
    pd.concat([raw, extra], ignore_index=True).to_excel(path, index=False)
    return path


def _with_building_orgs(kit, path):
    from geo.buildings import buildings_table
    from geo.organisations import organisations_table, read_organisations

    project, _ = kit
    result = read_organisations(path, grids=project.layer(s.GRIDS), communities=project.layer(s.COMMUNITIES),
                                buildings=buildings_table(project))
    return project.with_table(s.ORGANISATIONS, organisations_table(result)), result


def _building_code(project, name: str) -> str:
    from geo.buildings import buildings_table

    table = buildings_table(project)
    return str(table.loc[table[s.NAME] == name, s.CODE].iloc[0])


def test_read_organisations__the_kit_names_grids_only_so_no_single_buildings(kit):
    project, _ = kit
    assert (project.table(s.ORGANISATIONS)["building_codes"] == "").all()


def test_read_organisations__a_building_or_a_compound_named_serves_those_buildings_and_their_grids(kit, building_sheet):
    project, result = _with_building_orgs(kit, building_sheet)
    table = project.table(s.ORGANISATIONS).set_index("source_row")
    one = _building_code(project, "润泽公寓3栋")
    assert table.at[44, "building_codes"] == one and table.at[44, s.GRID_CODES] == "5101970010010103"
    compound = [_building_code(project, f"润泽雅居{i}栋") for i in range(1, 5)]
    assert table.at[45, "building_codes"].split(";") == compound
    assert table.at[45, s.GRID_CODES] == "5101970010010101"
    assert table.at[46, "building_codes"] == table.at[46, s.GRID_CODES] == ""  # another community's building
    assert [(f["code"], f["feature_id"]) for f in result.findings] == [("organisations.grid_unmatched", "46")]


def test_rollup__an_organisation_serving_a_building_counts_in_the_building_s_grid_once(kit, building_sheet):
    before = unit_figures(kit[0]).get("grid")
    project, _ = _with_building_orgs(kit, building_sheet)
    after = unit_figures(project).get("grid")
    gained = (after["organisations"] - before["organisations"])
    assert gained[gained != 0].to_dict() == {"5101970010010101": 1, "5101970010010103": 1}
    from geo.rollup import descendant_figures

    general = ["51019700100101"]  # 望江社区第1网格 holds both micro-grids: each organisation once
    assert (descendant_figures(project, after, general)["organisations"]
            - descendant_figures(kit[0], before, general)["organisations"]).tolist() == [2]
    community = unit_figures(project).get("community")
    assert community.at["510197001001", "organisations"] == \
        unit_figures(kit[0]).get("community").at["510197001001", "organisations"] + 2


def test_building_roster__lists_the_organisations_serving_each_building_and_the_export_sheet_too(kit, building_sheet):
    from geo.buildings import building_roster, roster_export_table
    from geo.export_tables import Privacy

    project, _ = _with_building_orgs(kit, building_sheet)
    roster = building_roster(project, grid_codes=["5101970010010103"]).set_index(s.NAME)
    assert roster.at["润泽公寓3栋", "organisations"] == "润泽公寓3栋便民服务站"
    assert set(roster.drop(index="润泽公寓3栋")["organisations"]) == {""}
    yaju = building_roster(project, grid_codes=["5101970010010101"])
    assert set(yaju["organisations"]) == {"润泽雅居业主委员会"}
    sheet = roster_export_table(building_roster(project), privacy=Privacy())
    assert (sheet["building_organisations"] != "").sum() == 5
