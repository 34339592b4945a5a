"""The escalation chain per grid (楼栋长 → 微网格长 → 网格长 → 社区), on the field kit and its roster."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import schema as s
from geo.escalation import STEPS, chain_gaps, escalation_chain
from geo.project import Project
from geo.rules import find_violations
from tests.chain_reference import chain_by_rows
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


def test_escalation_chain__same_rows_as_the_row_by_row_chain_on_the_field_kit(kit):
    pd.testing.assert_frame_equal(escalation_chain(kit), chain_by_rows(kit))
    some = [GRID, GRID[:14], "5101970010020202", "no-such-grid", GRID]  # a general grid, an unknown code, twice
    pd.testing.assert_frame_equal(escalation_chain(kit, grid_codes=some), chain_by_rows(kit, grid_codes=some))
    assert len(escalation_chain(kit)) > 1000  # the comparison covers buildings, people and gaps of every step
    assert set(escalation_chain(kit)["gap"].dropna()) == {"no_building_head", "no_leader"}


@lru_cache(maxsize=1)
def _kit() -> Project:
    return _kit_with_roster()


def _odd(project: Project, rng: np.random.Generator) -> Project:
    """The kit with an odd hierarchy: parents lost, unknown or a community; levels and roles shuffled;
    people leaving; secretaries and building heads appointed; buildings moved; workstations closed."""
    grids = project.layer(s.GRIDS).copy()
    pick = rng.random(len(grids))
    comm = grids[s.COMMUNITY_CODE].astype(object).to_numpy()
    parent = grids[s.PARENT_CODE].astype(object).to_numpy()
    grids[s.PARENT_CODE] = np.where(pick < 0.1, None, np.where(pick < 0.2, "nowhere", np.where(pick < 0.3, comm,
                                                                                                 parent)))
    grids[s.LEVEL] = np.where(rng.random(len(grids)) < 0.1, rng.choice(["micro", "general", "other"], len(grids)),
                              grids[s.LEVEL].astype(object))
    rows = project.table(s.ASSIGNMENTS)
    rows = rows[rng.random(len(rows)) > 0.2].copy()
    rows[s.ROLE] = np.where(rng.random(len(rows)) < 0.2, rng.choice(["leader", "worker", "member", "deputy"],
                                                                      len(rows)), rows[s.ROLE].astype(object))
    vols = project.layer(s.VOLUNTEERS).copy()
    vols["post"] = np.where(rng.random(len(vols)) < 0.15, rng.choice(["社区书记", "村党组织书记 ", "楼栋长", None],
                                                                      len(vols)), vols["post"].astype(object))
    bld = project.layer(s.BUILDINGS).copy()
    bld[s.GRID_CODE] = np.where(rng.random(len(bld)) < 0.05, rng.choice([*grids[s.CODE].astype(str), "nowhere"],
                                                                         len(bld)), None)
    points = project.layer(s.SERVICE_POINTS)
    points = points[rng.random(len(points)) > 0.3]
    return (project.with_layer(s.GRIDS, grids).with_layer(s.VOLUNTEERS, vols).with_layer(s.BUILDINGS, bld)
            .with_layer(s.SERVICE_POINTS, points).with_table(s.ASSIGNMENTS, rows))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), subset=st.booleans())
def test_escalation_chain__same_rows_as_the_row_by_row_chain_on_odd_hierarchies(seed, subset):
    project = _odd(_kit(), np.random.default_rng(seed))
    codes = None
    if subset:
        codes = list(np.random.default_rng(seed).choice(project.layer(s.GRIDS)[s.CODE].astype(str), 7))
    pd.testing.assert_frame_equal(escalation_chain(project, grid_codes=codes), chain_by_rows(project, grid_codes=codes))


def test_chain_gaps__a_general_grid_gap_is_listed_once(kit):
    chain = escalation_chain(kit)
    gaps = chain_gaps(chain)
    assert not gaps.duplicated(["step", "unit_code", "gap"]).any()
    assert len(gaps) < chain["gap"].notna().sum()
    assert isinstance(gaps, pd.DataFrame)


def _sheet(data: bytes, name: str) -> tuple[tuple, list[tuple]]:
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(wb[name].iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_export_xlsx__chain_sheet_has_one_row_per_leaf_grid_with_gaps_counted(kit):
    from geo.export import ExportOptions, export_bytes
    from geo.hierarchy import grid_tree

    data = export_bytes(kit, ExportOptions(fmt="xlsx")).data
    header, body = _sheet(data, "上报链")
    tree = grid_tree(kit)
    assert sorted(r[0] for r in body) == sorted(tree.index[tree["is_leaf"].astype(bool)])
    col = {h: i for i, h in enumerate(header)}
    assert sum(r[col["楼栋数"]] for r in body) == 938
    assert sum(r[col["无楼栋长楼栋数"]] for r in body) == 938 - 53
    row = next(r for r in body if r[0] == GRID)
    assert (row[col["楼栋数"]], row[col["无楼栋长楼栋数"]], row[col["楼栋长"]]) == (5, 4, "彭洁婷")
    assert row[col["缺口"]] == "楼栋无楼栋长 ×4" and row[col["缺口数"]] == 4
    assert "兼职网格员" in row[col["微网格长/兼职网格员"]] and "****" in row[col["微网格长/兼职网格员"]]
    assert row[col["网格长/专职网格员"]].startswith("望江社区第1网格：")
    for code in NO_LEADER:  # the rule's no_leader gap is flagged in the step and listed
        flagged = next(r for r in body if r[0] == code)
        assert flagged[col["微网格长/兼职网格员"]] == "［网格无负责人］" and "网格无负责人" in flagged[col["缺口"]]
    assert not any(str(c).startswith("chain.") for r in body for c in r if c)  # every label translated
    assert "楼栋" not in load_sheetnames(data)  # the per-building roster is an export of its own


def test_chain_export_table__masked_names_but_not_workstations_and_english_cells(kit):
    import re

    from geo.escalation import chain_export_table
    from geo.export_tables import Privacy

    chain = escalation_chain(kit, grid_codes=[GRID])
    row = chain_export_table(chain, privacy=Privacy(mask_names=True), lang="en").iloc[0]
    assert row["chain_building_heads"] == "彭*婷"
    assert row["chain_micro"].startswith("张*志 (") and "****" in row["chain_micro"]
    assert row["chain_community"].startswith("望江社区: 望江社区")  # a workstation is an office: not masked
    assert row["chain_gap"] == "Building without a head ×4"
    cells = " ".join(str(v) for v in row)
    assert not re.search("[（），；：、［］]", cells)  # no Chinese punctuation in an English export


def load_sheetnames(data: bytes) -> list[str]:
    import io

    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data), read_only=True).sheetnames


def test_export_buildings_table__one_row_per_building_head_phones_masked_by_default(kit):
    from geo.export import ExportOptions, export_bytes

    result = export_bytes(kit, ExportOptions(fmt="xlsx", table="buildings"))
    assert result.filename.startswith("gridatlas_buildings_")
    assert load_sheetnames(result.data) == ["楼栋", "导出说明"]
    header, body = _sheet(result.data, "楼栋")
    assert len(body) == 938  # one row per building: each has at most one head in the kit
    heads = [r for r in body if r[header.index("楼栋长/单元长")]]
    assert len(heads) == 53
    assert all("****" in r[header.index("联系电话")] for r in heads)


def test_export_tables__csv_and_gpkg_have_the_xlsx_shapes(kit):
    import io

    import pyogrio

    from geo.export import ExportOptions, export_bytes

    chain_csv = pd.read_csv(io.BytesIO(export_bytes(kit, ExportOptions(fmt="csv", table="escalation")).data),
                            dtype=str, encoding="utf-8-sig")
    header, body = _sheet(export_bytes(kit, ExportOptions(fmt="xlsx", table="escalation")).data, "上报链")
    assert list(chain_csv.columns) == list(header) and len(chain_csv) == len(body)
    gpkg = export_bytes(kit, ExportOptions(fmt="gpkg", table="buildings")).data
    layer = pyogrio.read_dataframe(io.BytesIO(gpkg), layer="buildings")
    assert len(layer) == 938 and set(layer.geom_type) <= {"Point", "MultiPoint"} and layer.geometry.notna().all()
    main = export_bytes(kit, ExportOptions(fmt="gpkg")).data
    assert "escalation" in pyogrio.list_layers(io.BytesIO(main))[:, 0]
    assert "buildings" not in pyogrio.list_layers(io.BytesIO(main))[:, 0]
    assert len(pyogrio.read_dataframe(io.BytesIO(main), layer="escalation")) == len(body)


@pytest.mark.parametrize(("options", "code"), [
    ({"fmt": "shp", "table": "buildings"}, "export.table_format"),
    ({"fmt": "roster", "table": "escalation"}, "export.table_format"),
    ({"fmt": "csv", "table": "buildings", "level": "micro"}, "export.table_level"),
    ({"fmt": "csv", "table": "people"}, "export.unknown_table"),
])
def test_export_tables__refuse_options_that_do_not_apply(kit, options, code):
    from geo.errors import ExportError
    from geo.export import ExportOptions, export_bytes

    with pytest.raises(ExportError) as err:
        export_bytes(kit, ExportOptions(**options))
    assert err.value.code == code


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
