"""The escalation chain per grid (楼栋长 → 微网格长 → 网格长 → 社区), on the field kit and its roster."""
from __future__ import annotations

import pandas as pd
import pytest

from geo import schema as s
from geo.escalation import STEPS, chain_gaps, escalation_chain
from geo.rules import find_violations
from tests.test_buildings import _kit_with_roster

GRID = "5101970010010103"  # 望江社区第1网格3号微网格: 5 buildings, one 楼栋长 (润泽公寓3栋)
NO_LEADER = ("5101970010020202", "5101970010040405", "5101970010050103")  # README: no 兼职网格员


@pytest.fixture
def kit():
    return _kit_with_roster()


def test_escalation_chain__steps_in_order_building_micro_general_community(kit):
    chain = escalation_chain(kit, grid_codes=[GRID])
    order = [STEPS.index(x) for x in chain["step"]]
    assert order == sorted(order)
    assert set(chain["step"]) == set(STEPS)
    people = chain[chain["gap"].isna()]
    assert people.loc[people["step"] == "building", s.NAME].tolist() == ["彭洁婷"]
    assert people.loc[people["step"] == "micro", "post"].tolist() == ["兼职网格员"]
    assert sorted(people.loc[people["step"] == "general", "post"]) == ["专职网格员", "网格长"]
    assert (people.loc[people["step"] == "general", "unit_code"] == GRID[:14]).all()


def test_escalation_chain__a_building_without_a_head_is_a_gap(kit):
    chain = escalation_chain(kit, grid_codes=[GRID])
    buildings = chain[chain["step"] == "building"]
    assert len(buildings) == 5
    assert buildings["gap"].eq("no_building_head").sum() == 4


def test_escalation_chain__grids_without_a_leader_are_rules_no_leader(kit):
    chain = escalation_chain(kit)
    flagged = set(chain.loc[(chain["step"] == "micro") & (chain["gap"] == "no_leader"), s.GRID_CODE])
    violations = find_violations(kit)
    rule = set(violations.loc[violations["rule"] == "no_leader", s.GRID_CODE])
    micro = {c for c in rule if len(c) == 16}
    assert flagged == micro
    assert set(NO_LEADER) <= flagged
    qiyun = {c for c in flagged if c.startswith("510197001")}
    assert qiyun == set(NO_LEADER)


def test_escalation_chain__community_step_falls_back_to_the_workstation(kit):
    chain = escalation_chain(kit, grid_codes=[GRID])
    community = chain[chain["step"] == "community"]
    assert community["gap"].isna().all()
    assert set(community["post"]) <= {"社区工作站", "党群服务中心"}
    assert (community["unit_name"] == "望江社区").all()


def test_escalation_chain__a_secretary_comes_before_the_workstation(kit):
    vols = kit.layer(s.VOLUNTEERS).copy()
    row = vols.index[vols[s.COMMUNITY_CODE] == "510197001001"][0]
    vols.loc[row, "post"] = "社区书记"
    chain = escalation_chain(kit.with_layer(s.VOLUNTEERS, vols), grid_codes=[GRID])
    community = chain[chain["step"] == "community"]
    assert community[s.NAME].tolist() == [vols.loc[row, s.NAME]]


def test_chain_gaps__a_general_grid_gap_is_listed_once(kit):
    chain = escalation_chain(kit)
    gaps = chain_gaps(chain)
    assert not gaps.duplicated(["step", "unit_code", "gap"]).any()
    assert len(gaps) < chain["gap"].notna().sum()
    assert isinstance(gaps, pd.DataFrame)


def test_export_xlsx__buildings_and_chain_sheets_phones_masked_by_default(kit):
    import io

    from openpyxl import load_workbook

    from geo.export import ExportOptions, export_bytes

    wb = load_workbook(io.BytesIO(export_bytes(kit, ExportOptions(fmt="xlsx")).data), read_only=True)
    assert {"楼栋", "上报链"} <= set(wb.sheetnames)
    rows = list(wb["楼栋"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 938  # one row per building: each has at most one head in the kit
    heads = [r for r in body if r[header.index("楼栋长/单元长")]]
    assert len(heads) == 53
    phones = [r[header.index("联系电话")] for r in heads]
    assert all("****" in p for p in phones)
    chain = list(wb["上报链"].iter_rows(values_only=True))
    gaps = [r[chain[0].index("缺口")] for r in chain[1:]]
    assert gaps.count("楼栋无楼栋长") == 938 - 53
    assert not any(str(c).startswith("chain.") for r in chain[1:] for c in r if c)  # every label translated


def test_explore_panel_rows__buildings_and_chain_of_a_grid_with_phones_masked(kit):
    from geo.explore import building_rows, chain_rows

    buildings = building_rows(kit, [GRID])
    assert len(buildings) == 5 and buildings["head_name"].notna().sum() == 1
    chain = chain_rows(kit, [GRID[:14], GRID])  # a general grid and one of its micro-grids: leaves only
    assert set(chain[s.GRID_CODE]) == {GRID}
    phones = [p for p in list(buildings[s.PHONE]) + list(chain[s.PHONE]) if p]
    assert phones and all("****" in p for p in phones)
    general = chain[chain["step"] == "general"]
    assert not general.duplicated([s.VOLUNTEER_ID]).any()
