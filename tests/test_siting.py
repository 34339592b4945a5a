"""Where to add service points: the MCLP solvers against brute force and random placement."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geo import schema as s
from geo.errors import GeoInputError
from geo.siting import coverage_matrix, covered_weight, merge_identical_demand, solve_mclp, suggest_sites


def _random_case(seed: int, n_demand: int = 40, n_cand: int = 9):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (n_demand, 2))
    cand = rng.uniform(0, 1000, (n_cand, 2))
    weights = rng.integers(1, 60, n_demand).astype(float)
    return coverage_matrix(demand, cand, 250), weights


@pytest.mark.parametrize("seed", range(6))
def test_mclp_milp__matches_brute_force_on_tiny_cases(seed):
    cover, weights = _random_case(seed)
    brute = max(covered_weight(cover, weights, np.array(c)) for c in itertools.combinations(range(9), 3))
    exact = solve_mclp(cover, weights, 3, method="milp")
    assert exact.covered == pytest.approx(brute)
    assert exact.gap == pytest.approx(0.0, abs=1e-6)
    assert len(exact.chosen) <= 3


@pytest.mark.parametrize("seed", range(6))
def test_mclp_greedy__never_beats_the_optimum_and_its_bound_holds(seed):
    cover, weights = _random_case(seed)
    optimum = solve_mclp(cover, weights, 3, method="milp").covered
    greedy = solve_mclp(cover, weights, 3, method="greedy")
    assert greedy.covered <= optimum + 1e-9
    assert greedy.upper_bound >= optimum - 1e-6
    assert greedy.covered >= (1 - 1 / np.e) * optimum  # the classic greedy guarantee


def test_mclp__auto_switches_to_greedy_beyond_the_size_limit():
    cover, weights = _random_case(0)
    pairs = merge_identical_demand(cover, weights)[0].nnz  # the limit applies after merging
    assert solve_mclp(cover, weights, 2, max_exact_pairs=pairs - 1).method == "greedy"
    assert solve_mclp(cover, weights, 2, max_exact_pairs=pairs).method == "milp"


def test_merge_identical_demand__keeps_the_optimum():
    cover, weights = _random_case(2)
    doubled = sp.vstack([cover, cover]).tocsc()
    merged, merged_w = merge_identical_demand(doubled, np.concatenate([weights, weights]))
    assert merged.shape[0] <= cover.shape[0]  # every duplicated row merged away
    assert merged_w.sum() == pytest.approx(2 * weights[np.diff(cover.tocsr().indptr) > 0].sum())
    assert solve_mclp(doubled, np.concatenate([weights, weights]), 3).covered == pytest.approx(
        2 * solve_mclp(cover, weights, 3).covered)


def test_mclp__suggestions_beat_random_placement():
    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 5000, (6, 2))  # six villages, demand clustered around them
    demand = np.vstack([c + rng.normal(0, 120, (60, 2)) for c in centres])
    weights = rng.integers(1, 20, len(demand)).astype(float)
    cover = coverage_matrix(demand, demand, 300)
    best = solve_mclp(cover, weights, 4)
    random_values = [covered_weight(cover, weights, rng.choice(len(demand), 4, replace=False)) for _ in range(200)]
    assert best.covered > max(random_values)
    assert best.covered > 1.5 * np.mean(random_values)


def test_suggest_sites__tiny_project_gets_points_in_wgs84_ranked_by_gain(tiny_project):
    points, result = suggest_sites(tiny_project, category="群团", n_sites=2, radius_m=500)
    assert len(points) == 2 and points.crs.to_epsg() == 4326
    assert points["rank"].tolist() == [1, 2]
    assert points["households_gained"].iloc[0] >= points["households_gained"].iloc[1] > 0
    assert points["households_gained"].sum() == pytest.approx(result.covered)
    assert 0 < result.covered <= result.total == pytest.approx(16 * 40)  # no 群团 point exists yet
    grids = tiny_project.layer(s.GRIDS)
    assert points.within(grids.union_all().buffer(1e-6)).all()


def test_suggest_sites__existing_reach_is_not_counted_again(tiny_project):
    _, result = suggest_sites(tiny_project, category="生活", n_sites=1, radius_m=1000)
    assert result.total == 0 and result.covered == 0  # the workstations already reach everything


def test_suggest_sites__refuses_a_non_positive_count(tiny_project):
    with pytest.raises(GeoInputError) as err:
        suggest_sites(tiny_project, category="生活", n_sites=0, radius_m=500)
    assert err.value.code == "coverage.bad_suggest"
