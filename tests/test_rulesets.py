"""Rule sets 平时/战时: stored in the settings, run into their own scenarios, call-out roster, difference."""
from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo import schema as s
from geo.errors import GeoInputError
from geo.export_tables import Privacy
from geo.rulesets import (
    CALL_ORDER,
    CALLOUT_COLUMNS,
    EMERGENCY,
    NORMAL,
    callout_roster,
    callout_roster_bytes,
    priority_grids,
    ruleset,
    ruleset_diff,
    rulesets,
    run_ruleset,
    volunteers_who_count,
    with_rulesets,
)
from geo.scenarios import scenario_names
from geo.staffing import NO_PARTY_MEMBER, PARTY_MEMBER_PLACE, staffing_by_grid
from tests.fieldkit import fieldkit_project


@pytest.fixture(scope="module")
def kit():
    """The field kit with 240 volunteers, a third of them party members, and an elderly share per grid."""
    project = fieldkit_project(volunteers=240)
    vols = project.layer(s.VOLUNTEERS)
    rng = np.random.default_rng(3)
    project = project.with_layer(s.VOLUNTEERS, vols.assign(**{s.PARTY_MEMBER: rng.random(len(vols)) < 0.33}))
    grids = project.layer(s.GRIDS)
    return project.with_layer(s.GRIDS, grids.assign(elderly_share=rng.uniform(0, 0.5, len(grids))))


@pytest.fixture(scope="module")
def both(kit):
    """The kit run under 平时, then 战时."""
    project, _, normal = run_ruleset(kit, NORMAL)
    project, _, emergency = run_ruleset(project, EMERGENCY)
    return project, normal, emergency


def test_rulesets__default_pair_and_stored_sets_over_it(kit):
    assert {NORMAL, EMERGENCY} <= set(rulesets(kit))
    mine = with_rulesets(kit, 夜间={"scenario": "夜间", "max_distance_m": 800})
    assert set(rulesets(mine)) == {NORMAL, EMERGENCY, "夜间"} and ruleset(mine, "夜间")["max_distance_m"] == 800
    with pytest.raises(GeoInputError) as err:
        ruleset(kit, "台风")
    assert err.value.code == "ruleset.unknown"


def test_run_ruleset__emergency_scenario_beside_the_normal_one(kit, both):
    project, normal, emergency = both
    assert project.active_scenario == kit.active_scenario  # running a rule set does not switch scenarios
    assert project.settings["ruleset"] == EMERGENCY
    war = ruleset(project, EMERGENCY)["scenario"]
    assert len(project.assignments(s.DEFAULT_SCENARIO)) == normal.stats["filled"] > 0
    assert len(project.assignments(war)) == emergency.stats["filled"] > 0
    assert {s.DEFAULT_SCENARIO, war} <= set(scenario_names(project))  # listed beside the normal one
    # the 战时 scenario is staffed against the 战时 targets (2+ per micro-grid), the 基线 against the normal ones
    micro = staffing_by_grid(project, scenario=war)[lambda d: d[s.LEVEL] == s.LEVEL_MICRO]
    base = staffing_by_grid(project, scenario=s.DEFAULT_SCENARIO)[lambda d: d[s.LEVEL] == s.LEVEL_MICRO]
    assert (micro["target"] >= 2).all() and (base["target"] == 1).all()
    assert emergency.stats["places"] > normal.stats["places"]


def test_run_ruleset__every_micro_grid_gets_a_party_member_or_a_reason(both):
    project, _, emergency = both
    war = ruleset(project, EMERGENCY)["scenario"]
    rows = project.assignments(war)
    vols = project.layer(s.VOLUNTEERS).set_index(s.VOLUNTEER_ID)
    party = rows[s.VOLUNTEER_ID].map(vols[s.PARTY_MEMBER]).astype(bool)
    with_party = set(rows.loc[party.to_numpy(), s.GRID_CODE])
    grids = project.layer(s.GRIDS)
    micro = set(grids.loc[grids[s.LEVEL] == s.LEVEL_MICRO, s.CODE])
    reasons = emergency.reasons
    missing = set(reasons.loc[reasons[s.REASON] == NO_PARTY_MEMBER, "id"])
    holders = reasons[reasons[s.REASON] == PARTY_MEMBER_PLACE]
    assert missing == micro - with_party  # every micro-grid without one is explained
    assert set(holders["detail"]) == micro & with_party and holders["id"].isin(vols.index).all()
    without_rule, _, _ = run_ruleset(project, EMERGENCY, party_member_per_micro=False)
    rows = without_rule.assignments(war)
    party = rows[s.VOLUNTEER_ID].map(vols[s.PARTY_MEMBER]).astype(bool)
    assert len(set(rows.loc[party.to_numpy(), s.GRID_CODE]) & micro) < len(with_party & micro)


def test_ruleset_diff__compares_the_two_scenarios(both):
    project, normal, emergency = both
    diff = ruleset_diff(project)
    summary = diff.summary.set_index("metric")
    assert summary.loc["rows", "a"] == normal.stats["filled"] and summary.loc["rows", "b"] == emergency.stats["filled"]
    assert len(diff.changes) > 0 and set(diff.changes["change"]) <= {"added", "removed", "changed"}


def test_callout_roster__by_role_then_distance_phones_masked(both):
    project, _, _ = both
    war = ruleset(project, EMERGENCY)["scenario"]
    roster = callout_roster(project, scenario=war, lang="en")
    assert list(roster.columns) == list(CALLOUT_COLUMNS) and roster[CALL_ORDER].max() <= 3
    rows = project.assignments(war)
    first = roster[roster[CALL_ORDER] == 1].set_index(s.GRID_CODE)[s.VOLUNTEER_ID]
    leaders = rows[rows[s.ROLE].isin(["leader", "worker"])].set_index(s.GRID_CODE)[s.VOLUNTEER_ID]
    assert (first.reindex(leaders.index) == leaders).all()  # the leader (worker) is called first
    members = roster[roster[s.ROLE] == "Member"]
    by_grid = members.groupby(s.GRID_CODE)[s.DISTANCE_M]
    assert by_grid.apply(lambda d: d.is_monotonic_increasing).all()  # then the nearest member
    assert roster[s.PHONE].str.contains(r"\*\*\*\*").all()
    full = callout_roster(project, scenario=war, privacy=Privacy(include_personal=True))
    assert not full[s.PHONE].str.contains(r"\*").any()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_callout_roster_bytes__xlsx_and_csv_with_headers(both, fmt):
    project, _, _ = both
    data = callout_roster_bytes(project, scenario=ruleset(project, EMERGENCY)["scenario"], fmt=fmt)
    if fmt == "csv":
        table = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")
    else:
        ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        values = list(ws.values)
        table = pd.DataFrame(values[1:], columns=values[0])
    assert {"网格编码", "呼叫顺序", "联系电话"} <= set(table.columns) and len(table) > 0
    assert table["联系电话"].str.contains(r"\*\*\*\*").all()


def test_volunteers_who_count__tiers_and_party_members(kit):
    vols = kit.layer(s.VOLUNTEERS)
    city = volunteers_who_count(vols, {"tiers": ["市"]})
    assert len(city) == (vols[s.TIER] == "市").sum() > 0
    party = volunteers_who_count(vols, {"party_only": True})
    assert len(party) == vols[s.PARTY_MEMBER].sum() and volunteers_who_count(vols, {}).equals(vols)


def test_priority_grids__column_threshold(kit):
    flags = priority_grids(kit, {"column": "elderly_share", "min": 0.25})
    assert flags.equals(kit.layer(s.GRIDS)["elderly_share"].ge(0.25))
    assert not priority_grids(kit, {}).any()


@pytest.mark.slow
def test_demo__ships_the_normal_and_emergency_pair(demo_project_file):
    from geo.project import load_project

    project = load_project(demo_project_file)
    assert {NORMAL, EMERGENCY} <= set(project.settings["rulesets"]) and project.settings["ruleset"] == NORMAL
    war = ruleset(project, EMERGENCY)["scenario"]
    assert project.active_scenario == s.DEFAULT_SCENARIO and len(project.assignments(war)) > 0
    diff = ruleset_diff(project)
    assert len(diff.changes) > 0 and len(callout_roster(project, scenario=war)) > 0
