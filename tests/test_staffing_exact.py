"""Staffing is the optimum of the full problem: equal to an exact MILP built here from the raw inputs.

The reference knows nothing of candidate arcs, flows or potentials: one binary variable per
volunteer-grid pair allowed by the rules (max distance, skills, locks, one leadership,
capacities, targets), solved by HiGHS (``scipy.optimize.milp``) twice: most places filled,
then least cost among those. The cost of a pair is the module docstring's: rounded distance,
less the same-community discount, less the stability term for earlier pairs, never below 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import maximum_bipartite_matching

from geo import schema as s
from geo.staffing import StaffingOptions, solve_staffing

UTM = "EPSG:32648"  # the solver's metric CRS: distances are plain differences of coordinates
X0, Y0 = 400_000.0, 3_390_000.0
SKILLS = ("医疗", "法律")


@dataclass
class Case:
    """Raw inputs of one random instance (coordinates in metres from X0, Y0)."""

    vxy: np.ndarray
    gxy: np.ndarray
    capacity: np.ndarray
    target: np.ndarray
    micro: np.ndarray
    v_skills: list[set[str]]
    g_skills: list[set[str]]
    v_comm: list[str]
    g_comm: list[str]
    fixed: list[tuple[int, int]]  # (volunteer, grid) locked or manual rows
    previous: list[tuple[int, int]]  # earlier optimised rows
    options: StaffingOptions

    def frames(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
        vids = [f"V{i}" for i in range(len(self.vxy))]
        gids = [f"G{j}" for j in range(len(self.gxy))]
        vols = gpd.GeoDataFrame(
            {s.VOLUNTEER_ID: vids, s.CAPACITY: self.capacity, s.COMMUNITY_CODE: self.v_comm,
             s.SKILLS: [";".join(sorted(k)) for k in self.v_skills]},
            geometry=shapely.points(self.vxy + (X0, Y0)), crs=UTM)
        boxes = [shapely.box(X0 + x - 10, Y0 + y - 10, X0 + x + 10, Y0 + y + 10) for x, y in self.gxy]
        grids = gpd.GeoDataFrame(
            {s.CODE: gids, s.LEVEL: np.where(self.micro, s.LEVEL_MICRO, s.LEVEL_GENERAL),
             "target": self.target, s.COMMUNITY_CODE: self.g_comm,
             "required_skills": [";".join(sorted(k)) or None for k in self.g_skills]},
            geometry=boxes, crs=UTM)
        rows = [_row(vids[v], gids[g], method="manual" if k % 2 else "optimised", locked=not k % 2)
                for k, (v, g) in enumerate(self.fixed)]
        rows += [_row(vids[v], gids[g]) for v, g in self.previous]
        table = pd.DataFrame(rows, columns=list(s.ASSIGNMENT_COLUMNS))
        return vols, grids, table


def _row(vol: str, grid: str, *, method: str = "optimised", locked: bool = False) -> dict:
    return {s.VOLUNTEER_ID: vol, s.GRID_CODE: grid, s.ROLE: "member", s.METHOD: method, s.DISTANCE_M: 1.0,
            s.LOCKED: locked, s.VERSION: 1, s.UPDATED_AT: "2024-01-01", s.SCENARIO: s.DEFAULT_SCENARIO}


def random_case(seed: int) -> Case:
    """A small instance with every rule in play: sparse volunteers, skills, locks, capacities > 1."""
    rng = np.random.default_rng(seed)
    n_vol, n_grid = int(rng.integers(3, 16)), int(rng.integers(2, 13))
    size = float(rng.choice([1500.0, 4000.0, 10_000.0]))
    vxy = rng.uniform(0, size, (n_vol, 2))
    vxy[rng.random(n_vol) < 0.2] += size  # some live far away (sparse)
    gxy = rng.uniform(0, size, (n_grid, 2))

    def skills(n: int, p: float) -> list[set[str]]:
        return [{k for k in SKILLS if rng.random() < p} for _ in range(n)]

    pairs = [(int(v), int(g)) for v, g in zip(rng.integers(0, n_vol, 6), rng.integers(0, n_grid, 6))]
    pairs = list(dict.fromkeys(pairs))
    n_fixed = int(rng.integers(0, 3))
    options = StaffingOptions(
        max_distance_m=None if rng.random() < 0.3 else float(rng.uniform(500, 3 * size)),
        prefer_same_community=bool(rng.random() < 0.5),
        same_community_discount_m=float(rng.choice([100, 500])),
        one_leadership=bool(rng.random() < 0.6), stability_m=float(rng.choice([0, 200])),
        k_nearest=int(rng.integers(1, 3)), grid_k_nearest=int(rng.integers(1, 3)),
        all_arcs_limit=int(rng.choice([0, 300_000])))
    return Case(vxy=vxy, gxy=gxy, capacity=rng.integers(1, 4, n_vol), target=rng.integers(0, 4, n_grid),
                micro=rng.random(n_grid) < 0.7, v_skills=skills(n_vol, 0.4), g_skills=skills(n_grid, 0.2),
                v_comm=list(rng.choice(["C1", "C2"], n_vol)), g_comm=list(rng.choice(["C1", "C2"], n_grid)),
                fixed=pairs[:n_fixed], previous=pairs[n_fixed:], options=options)


def pair_costs(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """(allowed, cost) for every volunteer x grid pair, from the raw inputs and the documented rules."""
    o = case.options
    dist = np.hypot(case.vxy[:, None, 0] - case.gxy[None, :, 0], case.vxy[:, None, 1] - case.gxy[None, :, 1])
    allowed = np.array([[gs <= vs for gs in case.g_skills] for vs in case.v_skills])
    if o.max_distance_m is not None:
        allowed &= dist <= o.max_distance_m
    for v, g in case.fixed:
        allowed[v, g] = False
    cost = np.rint(dist)
    if o.prefer_same_community:
        same = np.array(case.v_comm)[:, None] == np.array(case.g_comm)[None, :]
        cost -= o.same_community_discount_m * same
    for v, g in set(case.previous) - set(case.fixed):
        cost[v, g] -= o.stability_m
    return allowed, np.maximum(cost, 0)


def exact_optimum(case: Case) -> tuple[int, float]:
    """(places filled, least total cost among the fullest) by a two-stage HiGHS MILP."""
    allowed, cost = pair_costs(case)
    v_idx, g_idx = np.nonzero(allowed)
    n = len(v_idx)
    if not n:
        return 0, 0.0
    fixed_v = np.bincount([v for v, _ in case.fixed], minlength=len(case.vxy))
    fixed_g = np.bincount([g for _, g in case.fixed], minlength=len(case.gxy))
    cols = np.arange(n)
    rows = [sp.csr_matrix((np.ones(n), (v_idx, cols)), shape=(len(case.vxy), n)),
            sp.csr_matrix((np.ones(n), (g_idx, cols)), shape=(len(case.gxy), n))]
    upper = [np.maximum(case.capacity - fixed_v, 0), np.maximum(case.target - fixed_g, 0)]
    if case.options.one_leadership:
        micro = case.micro[g_idx]
        fixed_micro = np.bincount([v for v, g in case.fixed if case.micro[g]], minlength=len(case.vxy))
        rows.append(sp.csr_matrix((np.ones(micro.sum()), (v_idx[micro], cols[micro])),
                                  shape=(len(case.vxy), n)))
        upper.append(np.maximum(1 - fixed_micro, 0))
    limits = LinearConstraint(sp.vstack(rows), -np.inf, np.concatenate(upper))
    first = milp(-np.ones(n), constraints=[limits], integrality=np.ones(n), bounds=Bounds(0, 1))
    filled = round(-first.fun)
    fill = LinearConstraint(np.ones((1, n)), filled, filled)
    second = milp(cost[v_idx, g_idx], constraints=[limits, fill], integrality=np.ones(n), bounds=Bounds(0, 1))
    assert first.status == 0 and second.status == 0
    return filled, float(round(second.fun))


def achieved(case: Case, result) -> tuple[int, float]:
    """(places filled, total cost) of the solver's new rows, costed and checked by the rules here."""
    allowed, cost = pair_costs(case)
    a = result.assignments
    new = a[(a[s.METHOD] == "optimised") & ~a[s.LOCKED]]
    kept = a[(a[s.METHOD] != "optimised") | a[s.LOCKED]]
    assert set(zip(kept[s.VOLUNTEER_ID], kept[s.GRID_CODE])) == {(f"V{v}", f"G{g}") for v, g in case.fixed}
    v = new[s.VOLUNTEER_ID].str[1:].astype(int).to_numpy()
    g = new[s.GRID_CODE].str[1:].astype(int).to_numpy()
    assert allowed[v, g].all(), "a pair the rules forbid"
    every_v = np.concatenate([v, [p for p, _ in case.fixed]]).astype(int)
    every_g = np.concatenate([g, [q for _, q in case.fixed]]).astype(int)
    assert (np.bincount(v, minlength=len(case.vxy)) <= np.maximum(
        case.capacity - np.bincount([p for p, _ in case.fixed], minlength=len(case.vxy)), 0)).all()
    assert (np.bincount(g, minlength=len(case.gxy)) <= np.maximum(
        case.target - np.bincount([q for _, q in case.fixed], minlength=len(case.gxy)), 0)).all()
    if case.options.one_leadership:
        in_micro = np.bincount(every_v[case.micro[every_g]], minlength=len(case.vxy))
        fixed_micro = np.bincount([p for p, q in case.fixed if case.micro[q]], minlength=len(case.vxy))
        assert (in_micro <= np.maximum(fixed_micro, 1)).all(), "a person in two micro-grids"
    return len(new), float(cost[v, g].sum())


def _check(seed: int) -> None:
    case = random_case(seed)
    vols, grids, table = case.frames()
    result = solve_staffing(vols, grids, assignments=table, options=case.options)
    assert achieved(case, result) == exact_optimum(case), f"seed {seed}, {case.options}, {result.stats}"
    assert result.stats["proof"] in ("all_arcs", "reduced_costs")
    assert result.stats["filled"] == len(result.assignments)


@pytest.mark.parametrize("seed", range(20))
def test_solve_staffing__equals_exact_milp_on_random_instances(seed):
    _check(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20, 240))
def test_solve_staffing__equals_exact_milp_on_many_random_instances(seed):
    _check(seed)


def _pruning_trap(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """300 micro-grids in a 1 km disc; 30 volunteers at its centre, 403 on a 4 km ring around it.

    Every grid's 10 nearest volunteers are the 30 at the centre, and the ring volunteers' 10
    nearest grids are on the disc's rim: a 10-nearest candidate set cannot staff the inside.
    """
    angle, radius = rng.uniform(0, 2 * np.pi, 300), 1000 * np.sqrt(rng.uniform(0, 1, 300))
    gxy = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    ring = np.linspace(0, 2 * np.pi, 403, endpoint=False)
    vxy = np.vstack([rng.normal(0, 30, (30, 2)), 4000 * np.column_stack([np.cos(ring), np.sin(ring)])])
    return vxy, gxy


def _max_matching(v: np.ndarray, g: np.ndarray, n_vol: int, n_grid: int) -> int:
    graph = sp.csr_matrix((np.ones(len(v)), (g, v)), shape=(n_grid, n_vol))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def test_solve_staffing__one_leadership_staffs_every_grid_a_matching_can():
    """The issue's "33 of 300 grids empty while 133 volunteers sit idle" shape."""
    vxy, gxy = _pruning_trap(np.random.default_rng(12))
    dist = np.hypot(vxy[:, None, 0] - gxy[None, :, 0], vxy[:, None, 1] - gxy[None, :, 1])
    in_reach = np.nonzero(dist <= 5000)
    assert _max_matching(*in_reach, len(vxy), len(gxy)) == 300  # a plain matching staffs every grid
    near_v = np.argsort(dist, axis=0)[:10].T.ravel()  # each grid's 10 nearest volunteers
    near_g = np.argsort(dist, axis=1)[:, :10].ravel()  # each volunteer's 10 nearest grids
    pruned = (np.r_[near_v, np.repeat(np.arange(len(vxy)), 10)], np.r_[np.repeat(np.arange(300), 10), near_g])
    assert _max_matching(*pruned, len(vxy), len(gxy)) < 250  # the 10-nearest arcs alone cannot

    case = _trap_case(12, StaffingOptions(max_distance_m=5000, one_leadership=True))
    vols, grids, table = case.frames()
    outcomes = {}
    for limit in (0, 300_000):  # grown by reduced costs; every arc within 5 km
        opts = StaffingOptions(max_distance_m=5000, one_leadership=True, all_arcs_limit=limit)
        result = solve_staffing(vols, grids, assignments=table, options=opts)
        assert result.short.empty and result.stats["filled"] == 300
        outcomes[result.stats["proof"]] = achieved(case, result)
    assert outcomes["reduced_costs"] == outcomes["all_arcs"]


def _trap_case(seed: int, options: StaffingOptions) -> Case:
    vxy, gxy = _pruning_trap(np.random.default_rng(seed))
    return Case(vxy=vxy, gxy=gxy, capacity=np.ones(len(vxy), int), target=np.ones(len(gxy), int),
                micro=np.ones(len(gxy), bool), v_skills=[set()] * len(vxy), g_skills=[set()] * len(gxy),
                v_comm=["C1"] * len(vxy), g_comm=["C1"] * len(gxy), fixed=[], previous=[], options=options)


def test_solve_staffing__reduced_cost_proof_grows_the_first_candidate_set():
    case = _trap_case(5, StaffingOptions(one_leadership=True, all_arcs_limit=0))  # no max distance
    vols, grids, _ = case.frames()
    result = solve_staffing(vols, grids, options=case.options)
    assert result.stats["proof"] == "reduced_costs" and result.stats["rounds"] > 1
    assert result.stats["filled"] == 300 and result.stats["arcs"] < len(vols) * len(grids) / 4


def test_solve_staffing__stats_say_how_the_optimum_was_proven():
    case = random_case(3)
    vols, grids, _ = case.frames()
    small = solve_staffing(vols, grids, options=StaffingOptions(all_arcs_limit=10_000))
    grown = solve_staffing(vols, grids,
                           options=StaffingOptions(all_arcs_limit=0, k_nearest=1, grid_k_nearest=1))
    assert small.stats["proof"] == "all_arcs" and small.stats["rounds"] == 1
    assert grown.stats["proof"] == "reduced_costs" and grown.stats["rounds"] >= 1
    assert (small.stats["filled"], small.stats["cost"]) == (grown.stats["filled"], grown.stats["cost"])


@pytest.mark.slow
def test_demo_project__nobody_leads_two_micro_grids(demo_project_file):
    from geo.edits import find_violations
    from geo.project import load_project

    project = load_project(demo_project_file)
    rows = project.table(s.ASSIGNMENTS)
    grids = project.layer(s.GRIDS)
    level = pd.Series(grids[s.LEVEL].to_numpy(), index=grids[s.CODE].astype(str).to_numpy())
    in_micro = rows[rows[s.GRID_CODE].astype(str).map(level).eq(s.LEVEL_MICRO).to_numpy()]
    leads = in_micro.loc[in_micro[s.ROLE] == "leader", s.VOLUNTEER_ID].astype(str).value_counts()
    assert len(in_micro) > 3000 and leads.max() == 1  # the demo's micro-grids are led, each by its own person
    assert in_micro[s.VOLUNTEER_ID].astype(str).value_counts().max() == 1  # one_leadership: one micro each
    assert find_violations(project).empty
