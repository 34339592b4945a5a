"""Staffing is the optimum of the full problem: equal to an exact MILP built here from the raw inputs.

The reference knows nothing of candidate arcs, flows or potentials: one binary variable per
volunteer-grid pair allowed by the rules (max distance, skills, locks, one leadership,
capacities, targets), solved by HiGHS (``scipy.optimize.milp``) twice: most places filled,
then least cost among those. The cost of a pair is the module docstring's: rounded distance,
less the same-community discount, less the stability term for earlier pairs, never below 0.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

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
    party: np.ndarray | None = None  # bool per volunteer (党员)
    tier: list | None = None  # per volunteer: None or one of s.TIERS (下沉 cadres)
    priority: np.ndarray | None = None  # bool per grid
    coverage: np.ndarray | None = None  # share (0-1, NaN unknown) per grid

    def __post_init__(self) -> None:
        n_vol, n_grid = len(self.vxy), len(self.gxy)
        self.party = np.zeros(n_vol, bool) if self.party is None else self.party
        self.tier = [None] * n_vol if self.tier is None else self.tier
        self.priority = np.zeros(n_grid, bool) if self.priority is None else self.priority
        self.coverage = np.full(n_grid, np.nan) if self.coverage is None else self.coverage

    def frames(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
        vids = [f"V{i}" for i in range(len(self.vxy))]
        gids = [f"G{j}" for j in range(len(self.gxy))]
        vols = gpd.GeoDataFrame(
            {s.VOLUNTEER_ID: vids, s.CAPACITY: self.capacity, s.COMMUNITY_CODE: self.v_comm,
             s.SKILLS: [";".join(sorted(k)) for k in self.v_skills],
             s.PARTY_MEMBER: self.party, s.TIER: self.tier},
            geometry=shapely.points(self.vxy + (X0, Y0)), crs=UTM)
        boxes = [shapely.box(X0 + x - 10, Y0 + y - 10, X0 + x + 10, Y0 + y + 10) for x, y in self.gxy]
        grids = gpd.GeoDataFrame(
            {s.CODE: gids, s.LEVEL: np.where(self.micro, s.LEVEL_MICRO, s.LEVEL_GENERAL),
             "target": self.target, s.COMMUNITY_CODE: self.g_comm,
             "required_skills": [";".join(sorted(k)) or None for k in self.g_skills],
             "priority": self.priority, "coverage": self.coverage},
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
        all_arcs_limit=int(rng.choice([0, 300_000])),
        same_community_only=bool(rng.random() < 0.2),
        party_member_per_micro=bool(rng.random() < 0.4), party_missing_m=float(rng.choice([300, 3000])),
        cadres_per_grid_max=None if rng.random() < 0.6 else int(rng.integers(0, 3)),
        city_cadres_to_low_coverage=bool(rng.random() < 0.4), city_coverage_bonus_m=float(rng.choice([500, 2000])),
        priority_bonus_m=float(rng.choice([0, 400])),
        block_grids=int(rng.choice([2, 3, 5, 20_000])))
    rules = {"party": rng.random(n_vol) < 0.4,
             "tier": [None if t == "" else str(t) for t in rng.choice(["", "", *s.TIERS], n_vol)],
             "priority": rng.random(n_grid) < 0.3,
             "coverage": np.where(rng.random(n_grid) < 0.2, np.nan, rng.uniform(0, 1, n_grid))}
    return Case(**rules, vxy=vxy, gxy=gxy, capacity=rng.integers(1, 4, n_vol), target=rng.integers(0, 4, n_grid),
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
    if o.same_community_only:
        allowed &= np.array(case.v_comm)[:, None] == np.array(case.g_comm)[None, :]
    for v, g in case.fixed:
        allowed[v, g] = False
    cost = np.rint(dist) - np.rint(o.priority_bonus_m * case.priority)[None, :]
    if o.city_cadres_to_low_coverage:  # 市 cadres: cheaper into grids with less coverage (unknown = none)
        gap = 1.0 - np.nan_to_num(case.coverage, nan=1.0)
        city = np.array([t == s.TIERS[0] for t in case.tier])
        cost -= city[:, None] * np.rint(o.city_coverage_bonus_m * gap)[None, :]
    if o.prefer_same_community:
        same = np.array(case.v_comm)[:, None] == np.array(case.g_comm)[None, :]
        cost -= o.same_community_discount_m * same
    for v, g in set(case.previous) - set(case.fixed):
        cost[v, g] -= o.stability_m
    return allowed, np.maximum(cost, 0)


def party_places(case: Case) -> np.ndarray:
    """1 per micro-grid that still needs a party member (rule on, a place left, none among its fixed rows)."""
    if not case.options.party_member_per_micro:
        return np.zeros(len(case.gxy), int)
    fixed_g = np.bincount([g for _, g in case.fixed], minlength=len(case.gxy))
    fixed_party = np.bincount([g for v, g in case.fixed if case.party[v]], minlength=len(case.gxy))
    return (case.micro & (case.target - fixed_g >= 1) & (fixed_party == 0)).astype(int)


def _cadre(case: Case) -> np.ndarray:
    return np.array([t in s.TIERS for t in case.tier], dtype=bool)


def exact_optimum(case: Case) -> tuple[int, float]:
    """(places filled, least total cost among the fullest) by a two-stage HiGHS MILP.

    Variables: ``x[v, g]`` (v serves g) for every allowed pair, and with the party rule
    ``y[v, g]`` (party member v holds g's party-member place). The cost of the second stage
    is the pairs' costs plus ``party_missing_m`` per party place left without a party member.
    With a cadre cap, the cadres of a grid less the one holding its party place are at most N.
    """
    allowed, cost = pair_costs(case)
    o = case.options
    v_idx, g_idx = np.nonzero(allowed)
    n, nv, ng = len(v_idx), len(case.vxy), len(case.gxy)
    places = party_places(case)
    if not n:
        return 0, float(o.party_missing_m * places.sum())
    ys = np.flatnonzero(case.party[v_idx] & (places[g_idx] > 0))
    m, width = len(ys), n + len(ys)
    fixed_v = np.bincount([v for v, _ in case.fixed], minlength=nv)
    fixed_g = np.bincount([g for _, g in case.fixed], minlength=ng)
    cols = np.arange(n)

    def rows(index: np.ndarray, col: np.ndarray, n_rows: int, value: float | np.ndarray = 1.0) -> sp.csr_matrix:
        return sp.csr_matrix((np.broadcast_to(value, len(col)).astype(float), (index, col)), shape=(n_rows, width))

    a, upper = [rows(v_idx, cols, nv), rows(g_idx, cols, ng)], \
        [np.maximum(case.capacity - fixed_v, 0), np.maximum(case.target - fixed_g, 0)]
    if o.one_leadership:
        micro = case.micro[g_idx]
        fixed_micro = np.bincount([v for v, g in case.fixed if case.micro[g]], minlength=nv)
        a.append(rows(v_idx[micro], cols[micro], nv))
        upper.append(np.maximum(1 - fixed_micro, 0))
    if m:  # y <= x; one party place per grid
        a.append(rows(np.arange(m), n + np.arange(m), m) - rows(np.arange(m), ys, m))
        upper.append(np.zeros(m))
        a.append(rows(g_idx[ys], n + np.arange(m), ng))
        upper.append(places)
    if o.cadres_per_grid_max is not None:
        cadre = _cadre(case)
        fixed_cadres = np.bincount([g for v, g in case.fixed if cadre[v]], minlength=ng)
        on = cadre[v_idx]
        block = rows(g_idx[on], cols[on], ng)
        if m:
            in_slot = cadre[v_idx[ys]]
            block = block - rows(g_idx[ys][in_slot], n + np.flatnonzero(in_slot), ng)
        a.append(block)
        upper.append(np.maximum(o.cadres_per_grid_max - fixed_cadres, 0))
    limits = LinearConstraint(sp.vstack(a), -np.inf, np.concatenate(upper))
    integral, bounds = np.ones(width), Bounds(0, 1)
    first = milp(np.r_[-np.ones(n), np.zeros(m)], constraints=[limits], integrality=integral, bounds=bounds)
    filled = round(-first.fun)
    fill = LinearConstraint(np.r_[np.ones(n), np.zeros(m)][None, :], filled, filled)
    second = milp(np.r_[cost[v_idx, g_idx], np.full(m, -o.party_missing_m)], constraints=[limits, fill],
                  integrality=integral, bounds=bounds)
    assert first.status == 0 and second.status == 0
    return filled, float(round(second.fun + o.party_missing_m * places.sum()))


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
    places = party_places(case)
    with_party = np.bincount(g[case.party[v]], minlength=len(case.gxy)) > 0
    if case.options.cadres_per_grid_max is not None:
        cadre = _cadre(case)
        party_cadre = np.bincount(g[cadre[v] & case.party[v]], minlength=len(case.gxy)) > 0
        fixed_cadres = np.bincount([q for p, q in case.fixed if cadre[p]], minlength=len(case.gxy))
        new_cadres = np.bincount(g[cadre[v]], minlength=len(case.gxy))
        cap = np.maximum(case.options.cadres_per_grid_max - fixed_cadres, 0) + (places & party_cadre)
        assert (new_cadres <= cap).all(), "more 下沉 cadres in a grid than the cap"
    missing = int((places.astype(bool) & ~with_party).sum())
    return len(new), float(cost[v, g].sum() + case.options.party_missing_m * missing)


def _check(seed: int) -> None:
    case = random_case(seed)
    vols, grids, table = case.frames()
    result = solve_staffing(vols, grids, assignments=table, options=case.options)
    assert achieved(case, result) == exact_optimum(case), f"seed {seed}, {case.options}, {result.stats}"
    assert result.stats["proof"] in ("all_arcs", "reduced_costs", "components")
    assert result.stats["decomposition"] in ("none", "blocks", "communities")
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
@pytest.mark.parametrize("scenario", [s.DEFAULT_SCENARIO, "战时"])
def test_demo_project__nobody_leads_two_micro_grids(demo_project_file, scenario):
    from geo.edits import find_violations
    from geo.project import load_project

    project = load_project(demo_project_file).with_active_scenario(scenario)
    rows = project.assignments()
    grids = project.layer(s.GRIDS)
    level = pd.Series(grids[s.LEVEL].to_numpy(), index=grids[s.CODE].astype(str).to_numpy())
    in_micro = rows[rows[s.GRID_CODE].astype(str).map(level).eq(s.LEVEL_MICRO).to_numpy()]
    leads = in_micro.loc[in_micro[s.ROLE] == "leader", s.VOLUNTEER_ID].astype(str).value_counts()
    assert len(in_micro) > 3000 and leads.max() == 1  # the demo's micro-grids are led, each by its own person
    assert in_micro[s.VOLUNTEER_ID].astype(str).value_counts().max() == 1  # one_leadership: one micro each
    rules = set(find_violations(project)["rule"])
    assert not rules if scenario == s.DEFAULT_SCENARIO else rules <= {"short", "no_leader"}  # 战时 asks for more


@pytest.mark.parametrize("same_community_only", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_solve_staffing__decomposed_equals_the_whole_problem(seed, same_community_only):
    """Per block (or community) and monolithic runs reach the MILP's optimum, and say how they proved it."""
    rng = np.random.default_rng(100 + seed)
    n_vol, n_grid = 40, 16
    case = Case(vxy=rng.uniform(0, 3000, (n_vol, 2)), gxy=rng.uniform(0, 3000, (n_grid, 2)),
                capacity=rng.integers(1, 3, n_vol), target=rng.integers(1, 3, n_grid),
                micro=rng.random(n_grid) < 0.7, v_skills=[set()] * n_vol, g_skills=[set()] * n_grid,
                v_comm=list(rng.choice(["C1", "C2", "C3"], n_vol)), g_comm=list(rng.choice(["C1", "C2", "C3"], n_grid)),
                fixed=[], previous=[], party=rng.random(n_vol) < 0.3,
                options=StaffingOptions(one_leadership=True, party_member_per_micro=True, party_missing_m=800,
                                        same_community_only=same_community_only, all_arcs_limit=0))
    vols, grids, _ = case.frames()
    reference = exact_optimum(case)
    whole = solve_staffing(vols, grids, options=case.options)
    blocks = solve_staffing(vols, grids, options=replace(case.options, block_grids=4, workers=1 + seed % 2))
    assert achieved(case, whole) == achieved(case, blocks) == reference
    assert whole.stats["decomposition"] == "none" and blocks.stats["blocks"] >= 2
    expected = ("communities", "components") if same_community_only else ("blocks", "reduced_costs")
    assert (blocks.stats["decomposition"], blocks.stats["proof"]) == expected


RULES = {
    "party member per micro-grid": {"party_member_per_micro": True, "party_missing_m": 1500.0},
    "下沉 cadres at most 1 per grid": {"cadres_per_grid_max": 1},
    "city cadres to low coverage": {"city_cadres_to_low_coverage": True, "city_coverage_bonus_m": 3000.0},
    "priority grids": {"priority_bonus_m": 800.0},
    "same community only": {"same_community_only": True},
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rule", list(RULES))
def test_each_rule__equals_exact_milp(rule, seed):
    """Each tier/party rule on its own, on random instances: the solver's optimum is the MILP's."""
    case = random_case(300 + seed)
    plain = StaffingOptions(max_distance_m=case.options.max_distance_m, one_leadership=case.options.one_leadership,
                            all_arcs_limit=case.options.all_arcs_limit)
    case = replace(case, options=replace(plain, **RULES[rule]))
    vols, grids, table = case.frames()
    result = solve_staffing(vols, grids, assignments=table, options=case.options)
    assert achieved(case, result) == exact_optimum(case), f"{rule}, seed {seed}"
