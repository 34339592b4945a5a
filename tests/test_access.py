"""Roles and jurisdictions (issue #15): what each role sees and may change, on the field kit, the demo
and generated hierarchies. Scope is enforced in ``geo.access``: these tests use no page.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as hst

from geo import schema as s
from geo.access import (
    ADMIN, CITY, COMMUNITY, LOCAL, ROLES, TOWN, VIEWER, Scope, load_scoped, may_edit, require_edit,
    reveal, revealed_staff, save_scoped, scope_units, scoped,
)
from geo.audit import PERSONAL_DATA
from geo.errors import GeoInputError
from geo.hierarchy import grid_tree
from geo.project import load_project, save_project
from geo.rollup import unit_figures
from tests.fieldkit import COMM as WANGJIANG
from tests.fieldkit import TOWN as QIYUN
from tests.fieldkit import fieldkit_project, governance_project, summary
from tests.stores import STORE_KINDS, make_location
from tests.test_consistency import analysed, hierarchies

FIGURES = ["households", "grids", "staffing", "coverage"]


@pytest.fixture(scope="module")
def kit():
    """The field kit with general grids, organisations, projects, self-governance, staffed and covered."""
    return analysed(governance_project())


def town_scope(code: str = QIYUN, role: str = TOWN) -> Scope:
    return Scope(role=role, level="town", code=code, user="镇街员")


def community_scope(code: str = WANGJIANG, role: str = COMMUNITY) -> Scope:
    return Scope(role=role, level="community", code=code, user="社区员")


def community_of_grids(project) -> pd.Series:
    return grid_tree(project)[s.COMMUNITY_CODE]


def assert_only_units(part, whole, communities: set[str]) -> None:
    """Every row of ``part`` belongs to ``communities`` of ``whole``, by code or by place."""
    tree = community_of_grids(whole)
    assert set(part.layer(s.COMMUNITIES)[s.CODE]) <= communities
    assert set(tree.loc[part.layer(s.GRIDS)[s.CODE]]) <= communities
    for name in (s.ASSIGNMENTS, s.COVERAGE, s.POINT_GRIDS):
        table = part.table(name)
        if len(table):
            assert set(tree.reindex(table[s.GRID_CODE].astype(str)).dropna()) <= communities, name
    comms = whole.layer(s.COMMUNITIES)
    area = shapely.union_all(comms[comms[s.CODE].isin(communities)].geometry.to_numpy())
    for name in (s.HOUSEHOLDS, s.SERVICE_POINTS):
        layer = part.layer(name)
        if len(layer):
            assert shapely.intersects(area, layer.geometry.to_numpy()).all(), name
    for name in (s.ORGANISATIONS, s.SELFGOV, s.GOV_PROJECTS):
        frame = part.table(name) if name != s.GOV_PROJECTS else part.layer(name)
        if len(frame) and s.COMMUNITY_CODE in frame.columns:
            assert set(frame[s.COMMUNITY_CODE].dropna().astype(str)) <= communities, name


# --- the roles ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "edits", "unmasks", "admin"), [
    (ADMIN, True, True, True), (CITY, True, True, False), (TOWN, True, True, False),
    (COMMUNITY, True, True, False), (VIEWER, False, False, False),
])
def test_scope__what_each_role_may_do(role, edits, unmasks, admin):
    scope = Scope(role=role)
    assert (scope.can_edit, scope.can_unmask, scope.is_admin) == (edits, unmasks, admin)
    assert role in ROLES


def test_scope__the_command_line_covers_the_whole_project(kit):
    assert LOCAL.whole_project and LOCAL.can_edit
    assert scoped(kit, LOCAL).layers is kit.layers or all(
        scoped(kit, LOCAL).layer(n) is kit.layer(n) for n in kit.layers)


# --- what a scope sees: the field kit ----------------------------------------------------------

def test_scoped__community_user_holds_only_their_community(kit):
    part = scoped(kit, community_scope())
    assert_only_units(part, kit, {WANGJIANG})
    truth = next(c for c in summary()["communities"] if c["code"] == WANGJIANG)
    grids = part.layer(s.GRIDS)
    assert (grids[s.LEVEL] == s.LEVEL_MICRO).sum() == truth["micro_grids"]
    assert (grids[s.LEVEL] == s.LEVEL_GENERAL).sum() == truth["general_grids"]
    assert len(part.layer(s.HOUSEHOLDS)) == truth["buildings"]
    assert part.layer(s.TOWNS)[s.CODE].tolist() == [QIYUN]  # the parent shown in the chain, nothing of its other units
    assert part.scope == community_scope()


def test_scoped__town_user_holds_all_its_communities_and_nothing_else(kit):
    part = scoped(kit, town_scope())
    truth = next(t for t in summary()["towns"] if t["code"] == QIYUN)
    comms = set(part.layer(s.COMMUNITIES)[s.CODE])
    assert len(comms) == truth["communities"]
    assert_only_units(part, kit, comms)
    assert part.layer(s.TOWNS)[s.CODE].tolist() == [QIYUN]


def test_scoped__town_rollups_are_those_of_the_whole_project(kit):
    whole = unit_figures(kit)
    part = unit_figures(scoped(kit, town_scope()))
    pd.testing.assert_frame_equal(part.get("town").loc[[QIYUN], FIGURES], whole.get("town").loc[[QIYUN], FIGURES])
    comms = part.get("community").index
    pd.testing.assert_frame_equal(part.get("community")[FIGURES], whole.get("community").loc[comms, FIGURES])
    truth = next(t for t in summary()["towns"] if t["code"] == QIYUN)
    assert part.get("town").at[QIYUN, "households"] == truth["households"]


def test_scoped__community_figures_are_those_of_the_whole_project(kit):
    whole = unit_figures(kit).get("community").loc[[WANGJIANG], FIGURES]
    part = unit_figures(scoped(kit, community_scope())).get("community").loc[[WANGJIANG], FIGURES]
    pd.testing.assert_frame_equal(part, whole)


def test_scoped__every_community_scope_together_hold_every_grid_once(kit):
    seen: list[str] = []
    for code in kit.layer(s.COMMUNITIES)[s.CODE]:
        seen += scoped(kit, community_scope(code)).layer(s.GRIDS)[s.CODE].tolist()
    assert sorted(seen) == sorted(kit.layer(s.GRIDS)[s.CODE])


def test_scoped__an_unknown_or_empty_code_holds_nothing(kit):
    for scope in (community_scope("999999999999"), town_scope(""), community_scope("")):
        part = scoped(kit, scope)
        assert all(len(part.layer(n)) == 0 for n in s.SPATIAL_LAYERS)
        assert all(len(part.table(n)) == 0 for n in (s.ASSIGNMENTS, s.COVERAGE, s.ORGANISATIONS, s.SELFGOV))


def test_scoped__a_table_of_no_unit_is_left_empty_but_scenarios_are_shared(kit):
    odd = kit.with_table("notes", pd.DataFrame({"text": ["全市会议纪要"]}))
    part = scoped(odd, community_scope())
    assert len(part.table("notes")) == 0
    assert len(part.table(s.SCENARIOS)) == len(kit.table(s.SCENARIOS))


def test_scoped__keeps_the_index_and_does_not_touch_the_input(kit):
    before = {n: len(f) for n, f in kit.layers.items()}
    part = scoped(kit, community_scope())
    assert {n: len(f) for n, f in kit.layers.items()} == before
    grids = kit.layer(s.GRIDS)
    assert part.layer(s.GRIDS).index.isin(grids.index).all()


def test_scoped__audit_rows_of_other_units_are_left_out(kit):
    other = next(c for c in kit.layer(s.COMMUNITIES)[s.CODE] if c != WANGJIANG)
    logged = reveal(kit, community_scope(other), purpose="view", obj=other)
    logged = reveal(logged, community_scope(), purpose="view", obj=WANGJIANG)
    part = scoped(logged, community_scope())
    audit = part.table(s.AUDIT)
    assert audit["object"].tolist() == [WANGJIANG]
    assert other not in " ".join(audit.astype(str).to_numpy().ravel())


# --- the demo ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(demo_project_file):
    return load_project(demo_project_file)


@pytest.mark.slow  # builds the demo (a minute under load) when no other test of the session has
def test_scoped__demo_community_and_town(demo):
    comms = demo.layer(s.COMMUNITIES)
    code, town = str(comms[s.CODE].iloc[0]), str(comms[s.TOWN_CODE].iloc[0])
    part = scoped(demo, community_scope(code))
    assert_only_units(part, demo, {code})
    assert len(part.layer(s.GRIDS)) > 0
    town_part = scoped(demo, town_scope(town))
    town_comms = set(comms.loc[comms[s.TOWN_CODE] == town, s.CODE].astype(str))
    assert set(town_part.layer(s.COMMUNITIES)[s.CODE]) == town_comms
    assert_only_units(town_part, demo, town_comms)
    whole = unit_figures(demo).get("town").loc[[town], FIGURES]
    pd.testing.assert_frame_equal(unit_figures(town_part).get("town").loc[[town], FIGURES], whole)


# --- generated hierarchies ----------------------------------------------------------------------

def assert_partition(project, pick: int) -> str:
    """Each community scope holds exactly its grids by the unit tree; a town its towns' grids; returns the town."""
    tree = grid_tree(project)
    for code in project.layer(s.COMMUNITIES)[s.CODE]:
        part = scoped(project, community_scope(code))
        assert set(part.layer(s.GRIDS).get(s.CODE, [])) == set(tree.index[tree[s.COMMUNITY_CODE] == code])
        assert set(part.layer(s.COMMUNITIES)[s.CODE]) == {code}
    towns = project.layer(s.TOWNS)[s.CODE].tolist()
    town = towns[pick % len(towns)]
    part = scoped(project, town_scope(town))
    assert set(part.layer(s.GRIDS).get(s.CODE, [])) == set(tree.index[tree[s.TOWN_CODE] == town])
    return town


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=hierarchies(), pick=hst.integers(0, 100))
def test_generated_hierarchies__scopes_partition_the_units(project, pick):
    assert_partition(project, pick)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=hierarchies(), pick=hst.integers(0, 100))
def test_generated_hierarchies__town_scopes_keep_the_town_rollups(project, pick):
    assume(len(project.layer(s.GRIDS)) > 0)
    town = assert_partition(project, pick)
    whole = unit_figures(project, category=None).get("town").loc[[town], ["households", "grids"]]
    got = unit_figures(scoped(project, town_scope(town)), category=None).get("town").loc[[town], ["households", "grids"]]
    pd.testing.assert_frame_equal(got, whole, check_dtype=False)


# --- edits ---------------------------------------------------------------------------------------

def test_require_edit__inside_scope_is_allowed_outside_is_refused_by_name(kit):
    mine = scoped(kit, community_scope()).layer(s.GRIDS)[s.CODE].iloc[0]
    other = kit.layer(s.GRIDS).loc[~kit.layer(s.GRIDS)[s.CODE].isin(
        scoped(kit, community_scope()).layer(s.GRIDS)[s.CODE]), s.CODE].iloc[0]
    require_edit(community_scope(), kit, grids=[mine])
    with pytest.raises(GeoInputError) as err:
        require_edit(community_scope(), kit, grids=[mine, other])
    assert err.value.code == "scope.out_of_scope" and err.value.context["code_outside"] == other
    assert may_edit(town_scope(), kit, grids=[mine]) and not may_edit(town_scope("510197002000"), kit, grids=[mine])


def test_require_edit__a_viewer_changes_nothing_anywhere(kit):
    for scope in (Scope(role=VIEWER), community_scope(role=VIEWER), town_scope(role=VIEWER)):
        with pytest.raises(GeoInputError) as err:
            require_edit(scope, kit)
        assert err.value.code == "scope.read_only"


def test_require_edit__whole_project_changes_need_a_whole_project_scope(kit):
    require_edit(Scope(role=CITY), kit, whole_project=True)
    with pytest.raises(GeoInputError) as err:
        require_edit(town_scope(), kit, whole_project=True)
    assert err.value.code == "scope.whole_project_only"


# --- saving a scoped project --------------------------------------------------------------------

@pytest.fixture(params=STORE_KINDS)
def stored_kit(request, tmp_path):
    location = make_location(request.param, tmp_path, "kit")
    save_project(fieldkit_project(general_grids=True, volunteers=30), location)
    return location


def _counts(project) -> dict[str, int]:
    return {n: len(f) for n, f in {**project.layers, **project.tables}.items() if n != s.AUDIT}


def test_save_scoped__a_community_edit_keeps_every_other_row(stored_kit):
    before = load_project(stored_kit)
    for source in ("narrowed", "loaded"):
        part = scoped(load_project(stored_kit), community_scope()) if source == "narrowed" \
            else load_scoped(stored_kit, community_scope())
        grids = part.layer(s.GRIDS).copy()
        grids.loc[grids[s.CODE] == min(grids[s.CODE]), s.NAME] = f"改名-{source}"
        save_scoped(part.with_layer(s.GRIDS, grids), stored_kit, community_scope(),
                    expected_revision=part.revision)
    after = load_project(stored_kit)
    assert _counts(after) == _counts(before)
    changed = after.layer(s.GRIDS)[~after.layer(s.GRIDS)[s.NAME].isin(before.layer(s.GRIDS)[s.NAME])]
    assert len(changed) == 1 and changed[s.NAME].iloc[0] == "改名-loaded"
    assert community_of_grids(after).loc[changed[s.CODE]].tolist() == [WANGJIANG]


def test_save_scoped__new_rows_of_another_community_are_refused(stored_kit):
    whole = load_project(stored_kit)
    part = scoped(whole, community_scope())
    other = whole.layer(s.GRIDS).loc[~whole.layer(s.GRIDS)[s.CODE].isin(part.layer(s.GRIDS)[s.CODE])].iloc[[0]]
    grids = pd.concat([part.layer(s.GRIDS), other.assign(**{s.NAME: "偷来的网格"})])
    with pytest.raises(GeoInputError) as err:
        save_scoped(part.with_layer(s.GRIDS, grids), stored_kit, community_scope(), expected_revision=part.revision)
    assert err.value.code == "store.out_of_scope"
    assert _counts(load_project(stored_kit)) == _counts(whole)


def test_save_scoped__a_project_not_narrowed_to_the_scope_is_refused(stored_kit):
    whole = load_project(stored_kit)
    with pytest.raises(GeoInputError) as err:
        save_scoped(whole, stored_kit, community_scope(), expected_revision=whole.revision)
    assert err.value.code == "scope.not_narrowed"


def test_load_scoped__reads_what_scoped_holds(stored_kit):
    whole = load_project(stored_kit)
    for scope in (community_scope(), town_scope()):
        loaded, narrowed = load_scoped(stored_kit, scope), scoped(whole, scope)
        for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS, s.HOUSEHOLDS, s.SERVICE_POINTS):
            assert sorted(loaded.layer(name).iloc[:, 0].astype(str)) == sorted(
                narrowed.layer(name).iloc[:, 0].astype(str)), (scope.level, name)


# --- personal data ----------------------------------------------------------------------------------

def test_reveal__logs_user_scope_and_purpose(kit):
    for purpose in ("view", "export", "print"):
        logged = reveal(kit, community_scope(), purpose=purpose, obj=WANGJIANG, rows=3)
        row = logged.table(s.AUDIT).iloc[-1]
        assert (row["action"], row["user"], row["object"]) == (PERSONAL_DATA, "社区员", WANGJIANG)
        assert (row["scope"], row["from"]) == (f"community:{WANGJIANG}", purpose)
    assert len(kit.table(s.AUDIT)) == len(kit.table(s.AUDIT))  # the input is not changed


@pytest.mark.parametrize(("scope", "code"), [
    (Scope(role=VIEWER, user="访客"), "scope.unmask_refused"),
    (community_scope(role=VIEWER), "scope.unmask_refused"),
    (Scope(role=COMMUNITY, level="community", code=WANGJIANG, user=""), "scope.no_user"),
])
def test_reveal__refused_without_the_right(kit, scope, code):
    with pytest.raises(GeoInputError) as err:
        reveal(kit, scope, purpose="view")
    assert err.value.code == code


def test_reveal__an_unknown_purpose_is_refused(kit):
    with pytest.raises(GeoInputError) as err:
        reveal(kit, community_scope(), purpose="curiosity")
    assert err.value.code == "scope.unknown_purpose"


def test_scope_units__town_covers_its_communities_by_the_unit_tree(kit):
    units = scope_units(kit, town_scope())
    comms = kit.layer(s.COMMUNITIES)
    assert units.communities == frozenset(comms.loc[comms[s.TOWN_CODE] == QIYUN, s.CODE])
    assert units.grids == frozenset(np.asarray(grid_tree(kit).query(f"{s.TOWN_CODE} == @QIYUN").index))


def test_revealed_staff__full_phones_of_own_grids_with_the_access_logged(kit):
    part = scoped(kit, community_scope())
    codes = part.layer(s.GRIDS)[s.CODE].tolist()
    logged, rows = revealed_staff(part, community_scope(), codes)
    phones = set(kit.layer(s.VOLUNTEERS)[s.PHONE].astype(str))
    assert len(rows) and set(rows[s.PHONE].astype(str)) <= phones  # in full
    row = logged.table(s.AUDIT).iloc[-1]
    assert (row["action"], row["user"], row["from"]) == (PERSONAL_DATA, "社区员", "view")


def test_revealed_staff__refused_for_viewers_and_for_grids_outside(kit):
    other = next(c for c in kit.layer(s.GRIDS)[s.CODE] if c not in set(scoped(kit, community_scope())
                                                                            .layer(s.GRIDS)[s.CODE]))
    with pytest.raises(GeoInputError) as err:
        revealed_staff(kit, community_scope(role=VIEWER), [])
    assert err.value.code == "scope.unmask_refused"
    with pytest.raises(GeoInputError) as err:
        revealed_staff(kit, community_scope(), [other])
    assert err.value.code == "scope.out_of_scope"
