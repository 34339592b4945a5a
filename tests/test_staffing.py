"""Optimal staffing: optimality (brute force, HiGHS LP), constraints, rules, locks, churn, reasons."""
from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.optimize import linprog

from geo import schema as s
from geo.staffing import StaffingOptions, grid_targets, solve_staffing, staff_project, staffing_by_grid

UTM = "EPSG:32648"
X0, Y0 = 400_000.0, 3_390_000.0


def _grids(centres: dict[str, tuple[float, float]], level: str = s.LEVEL_MICRO, **cols) -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + x - 10, Y0 + y - 10, X0 + x + 10, Y0 + y + 10) for x, y in centres.values()]
    data = {s.CODE: list(centres), s.LEVEL: level, **cols}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=UTM)


def _vols(homes: dict[str, tuple[float, float] | None], capacity=1, **cols) -> gpd.GeoDataFrame:
    geoms = [None if p is None else shapely.Point(X0 + p[0], Y0 + p[1]) for p in homes.values()]
    return gpd.GeoDataFrame({s.VOLUNTEER_ID: list(homes), s.CAPACITY: capacity, **cols}, geometry=geoms, crs=UTM)


def _pairs(result) -> set[tuple[str, str]]:
    a = result.assignments
    return set(zip(a[s.VOLUNTEER_ID], a[s.GRID_CODE]))


def _random_case(rng, n_vol, n_grid, *, size=3000.0):
    vxy = rng.uniform(0, size, (n_vol, 2))
    gxy = rng.uniform(0, size, (n_grid, 2))
    vols = _vols({f"V{i:02d}": tuple(p) for i, p in enumerate(vxy)}, capacity=rng.integers(1, 3, n_vol))
    grids = _grids({f"G{i:02d}": tuple(p) for i, p in enumerate(gxy)})
    return vols, grids, vxy, gxy


def _brute_force(vxy, gxy, cap, target=1):
    """Best (filled, total rounded distance) over every way to give each grid one volunteer or nobody."""
    dist = np.rint(np.hypot(vxy[:, None, 0] - gxy[None, :, 0], vxy[:, None, 1] - gxy[None, :, 1]))
    best = (-1, 0.0)
    for choice in itertools.product(range(-1, len(vxy)), repeat=len(gxy)):
        used = np.bincount([c for c in choice if c >= 0], minlength=len(vxy))
        if (used > cap).any():
            continue
        filled = sum(c >= 0 for c in choice)
        cost = sum(dist[c, g] for g, c in enumerate(choice) if c >= 0)
        if filled > best[0] or (filled == best[0] and cost < best[1]):
            best = (filled, cost)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_solve_staffing__matches_brute_force_on_small_cases(seed):
    rng = np.random.default_rng(seed)
    n_vol, n_grid = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    vols, grids, vxy, gxy = _random_case(rng, n_vol, n_grid)
    res = solve_staffing(vols, grids, options=StaffingOptions(stability_m=0))
    filled, cost = _brute_force(vxy, gxy, vols[s.CAPACITY].to_numpy())
    assert len(res.assignments) == filled
    assert res.assignments[s.DISTANCE_M].round().sum() == pytest.approx(cost, abs=1e-6)
    assert res.short["short"].sum() == n_grid - filled


def test_solve_staffing__objective_equals_highs_lp_optimum():
    rng = np.random.default_rng(7)
    n_vol, n_grid = 60, 40
    vols, grids, vxy, gxy = _random_case(rng, n_vol, n_grid)
    grids["target"] = rng.integers(1, 3, n_grid)
    vols[s.CAPACITY] = 3  # supply 180 > demand: every target can be met
    # start from one nearest arc each way: the reduced-cost proof must grow it to the LP's optimum
    opts = StaffingOptions(k_nearest=1, grid_k_nearest=1, stability_m=0, all_arcs_limit=0)
    res = solve_staffing(vols, grids, options=opts)
    cost = np.rint(np.hypot(vxy[:, None, 0] - gxy[None, :, 0], vxy[:, None, 1] - gxy[None, :, 1])).ravel()
    a_vol = np.kron(np.eye(n_vol), np.ones(n_grid))  # sum over grids of x[v, g] <= capacity
    a_grid = np.kron(np.ones(n_vol), np.eye(n_grid))  # sum over volunteers of x[v, g] == target
    lp = linprog(cost, A_ub=a_vol, b_ub=np.full(n_vol, 3), A_eq=a_grid, b_eq=grids["target"].to_numpy(),
                 bounds=(0, 1), method="highs")
    assert lp.status == 0
    assert res.short.empty and res.stats["proof"] == "reduced_costs"
    assert res.solver_cost == pytest.approx(lp.fun, abs=1e-6)


def test_solve_staffing__respects_capacity_target_and_one_row_per_pair():
    rng = np.random.default_rng(3)
    vols, grids, _, _ = _random_case(rng, 40, 30)
    grids["target"] = rng.integers(0, 4, 30)
    res = solve_staffing(vols, grids)
    a = res.assignments
    per_vol = a[s.VOLUNTEER_ID].value_counts()
    cap = vols.set_index(s.VOLUNTEER_ID)[s.CAPACITY]
    assert (per_vol <= cap.reindex(per_vol.index)).all()
    per_grid = a[s.GRID_CODE].value_counts().reindex(grids[s.CODE], fill_value=0).to_numpy()
    assert (per_grid <= grids["target"].to_numpy()).all()
    assert (per_grid + res.short.set_index(s.GRID_CODE)["short"].reindex(grids[s.CODE], fill_value=0)
            == grids["target"].to_numpy()).all()
    assert not a.duplicated([s.VOLUNTEER_ID, s.GRID_CODE]).any()


def test_solve_staffing__rows_carry_method_distance_role_version_and_time():
    res = solve_staffing(_vols({"V1": (0, 0)}), _grids({"G1": (300, 400)}), now="2024-01-01T00:00:00+00:00")
    row = res.assignments.iloc[0]
    assert (row[s.METHOD], row[s.ROLE], row[s.VERSION], row[s.SCENARIO]) == ("optimised", "leader", 1, "基线")
    assert row[s.DISTANCE_M] == pytest.approx(500.0)
    assert row[s.UPDATED_AT] == "2024-01-01T00:00:00+00:00" and not row[s.LOCKED]
    assert list(res.assignments.columns) == list(s.ASSIGNMENT_COLUMNS)


def test_solve_staffing__roles_leader_worker_then_members():
    grids = pd.concat([_grids({"M": (0, 0)}, target=3), _grids({"G": (0, 0)}, level=s.LEVEL_GENERAL, target=2)])
    vols = _vols({"V1": (10, 0), "V2": (20, 0), "V3": (30, 0)}, capacity=2)
    a = solve_staffing(vols, grids).assignments.set_index([s.GRID_CODE, s.VOLUNTEER_ID])[s.ROLE]
    assert a["M"].to_dict() == {"V1": "leader", "V2": "member", "V3": "member"}
    assert a["G"].to_dict() == {"V1": "worker", "V2": "member"}


def test_solve_staffing__max_distance_leaves_grid_short_nobody_in_reach():
    res = solve_staffing(_vols({"V1": (0, 0)}), _grids({"NEAR": (100, 0), "FAR": (5000, 0)}),
                         options=StaffingOptions(max_distance_m=1000))
    assert _pairs(res) == {("V1", "NEAR")}
    assert res.short.set_index(s.GRID_CODE)[s.REASON].to_dict() == {"FAR": "no_volunteer_in_reach"}


def test_solve_staffing__capacity_exhausted_when_the_only_volunteer_is_used():
    res = solve_staffing(_vols({"V1": (0, 0)}), _grids({"A": (100, 0), "B": (200, 0)}))
    assert _pairs(res) == {("V1", "A")}
    assert res.short.set_index(s.GRID_CODE)[s.REASON].to_dict() == {"B": "capacity_exhausted"}


def test_solve_staffing__required_skills_pick_the_skilled_volunteer():
    grids = _grids({"CLINIC": (0, 0), "PLAIN": (2000, 0)}, required_skills=["医疗", None])
    vols = _vols({"NEAR": (10, 0), "DOC": (1500, 0)}, skills=["", "医疗;法律"])
    res = solve_staffing(vols, grids)
    assert _pairs(res) == {("DOC", "CLINIC"), ("NEAR", "PLAIN")}
    alone = solve_staffing(_vols({"NEAR": (10, 0)}, skills=[""]), grids.iloc[:1])
    assert alone.short[s.REASON].tolist() == ["no_volunteer_with_skills"]


def test_solve_staffing__one_leadership_limits_micro_grids_per_person():
    grids = _grids({"M1": (0, 0), "M2": (100, 0)})
    vols = _vols({"V1": (50, 0), "V2": (3000, 0)}, capacity=[2, 1])
    free = solve_staffing(vols, grids)
    assert {g for v, g in _pairs(free) if v == "V1"} == {"M1", "M2"}
    one = solve_staffing(vols, grids, options=StaffingOptions(one_leadership=True))
    assert len([g for v, g in _pairs(one) if v == "V1"]) == 1 and len(one.assignments) == 2


def test_solve_staffing__prefer_same_community_uses_the_discount():
    grids = _grids({"G": (0, 0)}, community_code=["C1"])
    vols = _vols({"OTHER": (100, 0), "LOCAL": (400, 0)}, community_code=["C2", "C1"])
    assert _pairs(solve_staffing(vols, grids)) == {("OTHER", "G")}
    opts = StaffingOptions(prefer_same_community=True, same_community_discount_m=500)
    assert _pairs(solve_staffing(vols, grids, options=opts)) == {("LOCAL", "G")}


def _row(vol, grid, *, method="optimised", locked=False, role="leader", version=1):
    return {s.VOLUNTEER_ID: vol, s.GRID_CODE: grid, s.ROLE: role, s.METHOD: method, s.DISTANCE_M: 1.0,
            s.LOCKED: locked, s.VERSION: version, s.UPDATED_AT: "2024-01-01", s.SCENARIO: s.DEFAULT_SCENARIO}


def test_solve_staffing__locked_and_manual_rows_stay_and_consume_capacity_and_target():
    grids = _grids({"A": (0, 0), "B": (100, 0), "C": (5000, 0)})
    vols = _vols({"V1": (0, 0), "V2": (100, 0)}, capacity=1)
    existing = pd.DataFrame([_row("V1", "C", locked=True), _row("V2", "A", method="manual", role="member")])
    res = solve_staffing(vols, grids, assignments=existing)
    a = res.assignments
    kept = a[a[s.GRID_CODE].isin(["A", "C"])]
    assert kept[s.METHOD].tolist() == ["optimised", "manual"] and kept[s.LOCKED].tolist() == [True, False]
    # V1 and V2 are at capacity, A and C are staffed, so B stays short
    assert len(a) == 2 and res.short[s.GRID_CODE].tolist() == ["B"]
    assert res.changes["fixed"] == 2


def test_solve_staffing__manual_leader_keeps_the_role_so_new_person_is_member():
    grids = _grids({"A": (0, 0)}, target=[2])
    vols = _vols({"V1": (0, 0), "V2": (5, 0)})
    existing = pd.DataFrame([_row("V2", "A", method="manual", role="leader")])
    a = solve_staffing(vols, grids, assignments=existing).assignments.set_index(s.VOLUNTEER_ID)[s.ROLE]
    assert a.to_dict() == {"V2": "leader", "V1": "member"}


def test_solve_staffing__rerun_changes_nothing_and_keeps_versions():
    rng = np.random.default_rng(4)
    vols, grids, _, _ = _random_case(rng, 20, 15)
    first = solve_staffing(vols, grids, now="t1")
    second = solve_staffing(vols, grids, assignments=first.assignments, now="t2")
    assert second.changes == {"added": 0, "removed": 0, "moved": 0, "kept": len(first.assignments), "fixed": 0}
    assert set(second.assignments[s.UPDATED_AT]) == {"t1"} and set(second.assignments[s.VERSION]) == {1}


@pytest.mark.parametrize(("stability_m", "expected"), [
    (200, {("OLD", "G")}),  # the newcomer saves 100 m < 200 m: keep the existing leader
    (50, {("NEW", "G")}),  # saving 100 m > 50 m: move
])
def test_solve_staffing__stability_keeps_existing_unless_moving_saves_more(stability_m, expected):
    grids = _grids({"G": (0, 0)})
    vols = _vols({"OLD": (300, 0), "NEW": (200, 0)})
    res = solve_staffing(vols, grids, assignments=pd.DataFrame([_row("OLD", "G")]),
                         options=StaffingOptions(stability_m=stability_m), now="t2")
    assert _pairs(res) == expected
    moved = expected != {("OLD", "G")}
    assert res.changes == {"added": int(moved), "removed": int(moved), "moved": 0, "kept": int(not moved),
                           "fixed": 0}
    if moved:
        assert res.assignments[s.VERSION].tolist() == [2]


def test_solve_staffing__a_person_changing_grid_counts_as_moved():
    vols = _vols({"V1": (0, 0)})
    old = pd.DataFrame([_row("V1", "A")])
    grids = _grids({"A": (0, 0), "B": (50, 0)}, target=[0, 1])  # A no longer needs anyone
    res = solve_staffing(vols, grids, assignments=old)
    assert _pairs(res) == {("V1", "B")}
    assert res.changes == {"added": 0, "removed": 0, "moved": 1, "kept": 0, "fixed": 0}


def test_solve_staffing__other_scenarios_are_untouched():
    other = {**_row("V9", "Z"), s.SCENARIO: "方案二"}
    res = solve_staffing(_vols({"V1": (0, 0)}), _grids({"A": (0, 0)}), assignments=pd.DataFrame([other]))
    assert ("V9", "Z") in _pairs(res) and ("V1", "A") in _pairs(res)


def test_solve_staffing__bad_input_is_reported_by_id_and_the_rest_assigned():
    vols = _vols({"OK": (0, 0), "NOXY": None, "ZERO": (0, 0), "NEG": (0, 0), "OK2": (10, 0), "FAR": (9e6, 0)},
                 capacity=[1, 1, 0, -2, 1, 1])
    vols = pd.concat([vols, _vols({"OK": (5, 0)})])  # duplicate ID
    grids = pd.concat([_grids({"A": (0, 0), "B": (20, 0)}), _grids({"NOGEOM": (0, 0)})])
    grids.loc[grids[s.CODE] == "NOGEOM", "geometry"] = None
    res = solve_staffing(gpd.GeoDataFrame(vols, crs=UTM), gpd.GeoDataFrame(grids, crs=UTM))
    reasons = {(r["id"], r[s.REASON]) for _, r in res.reasons.iterrows()}
    assert {("NOXY", "no_coordinates"), ("ZERO", "bad_capacity"), ("NEG", "bad_capacity"),
            ("OK", "duplicate_id"), ("FAR", "out_of_area"), ("NOGEOM", "grid_no_geometry")} <= reasons
    assert {g for _, g in _pairs(res)} == {"A", "B"}


def test_solve_staffing__left_out_volunteers_have_a_reason():
    res = solve_staffing(_vols({"NEAR": (0, 0), "SPARE": (10, 0), "REMOTE": (40_000, 0)}),
                         _grids({"A": (0, 0)}), options=StaffingOptions(max_distance_m=5000))
    reasons = res.reasons.set_index("id")[s.REASON].to_dict()
    assert reasons == {"SPARE": "not_needed", "REMOTE": "no_grid_in_reach"}


def test_grid_targets__level_kind_per_100_households_and_override():
    grids = pd.DataFrame({s.LEVEL: ["micro", "micro", "general", "general", "master"],
                          s.KIND: ["小区", "林盘", "", "", ""], s.HOUSEHOLDS_N: [40, 40, 450, 120, 900],
                          "target": [None, None, None, 5, None]})
    targets = {"micro": 1, "general": 1, "master": 0, "by_kind": {"林盘": 2}, "per_100_households": {"general": 0.5}}
    assert grid_targets(grids, targets).tolist() == [1, 2, 3, 5, 0]


def test_staffing_by_grid__tiny_project_after_a_run(tiny_project):
    before = staffing_by_grid(tiny_project)
    assert list(before.columns) == list(s.STAFFING_COLUMNS)
    assert before["actual"].sum() == 0 and (before["short"] == before["target"]).all()
    project, result = staff_project(tiny_project)
    table = staffing_by_grid(project)
    assert len(table) == len(tiny_project.layer(s.GRIDS)) == 24
    assert table["target"].sum() == 24
    # total capacity is 8 volunteers x 2 + 1 = 17 places
    assert table["actual"].sum() == 17 and table["short"].sum() == 7 == len(result.short)
    staffed = table[table["actual"] > 0]
    assert staffed["leader_id"].notna().all() and table.loc[table["actual"] == 0, "leader_id"].isna().all()
    assert not tiny_project.tables  # the input project is not mutated
