"""Organisations entering the grid (进网入格) on the 锦澜市 field kit: types, grids served, roll-up, gaps, masking."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.organisations import (
    LEADER, find_grids_without_management, org_type, organisation_rows, resolve_served_grids,
)
from geo.rollup import unit_figures
from tests.fieldkit import fieldkit_project, organisations_truth, summary, with_organisations

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
