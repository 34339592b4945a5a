"""Coverage: service reach per grid, households share, staffing, roll-ups, gaps, CLI."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import schema as s
from geo.coverage import category_masks, rank_worst_grids, reach_area_shares, service_reach, with_coverage
from geo.errors import InvalidGeometryError
from geo.project import load_project, save_project
from tests.factories import UTM, X0, Y0

SQUARE = shapely.box(0, 0, 1000, 1000)  # 1 km2 in metres
TOL = 1e-3  # buffers are inscribed 128-gons: area low by < 0.05 %


def _segment_area(r: float, d: float) -> float:
    """Area of the part of a disc of radius r beyond a chord at distance d from its centre."""
    return r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)


@pytest.mark.parametrize(("site", "radius", "expected"), [
    ((0, 0), 300, math.pi * 300**2 / 4 / 1e6),  # corner: a quarter disc
    ((500, 0), 300, math.pi * 300**2 / 2 / 1e6),  # middle of an edge: half a disc
    ((500, -100), 300, _segment_area(300, 100) / 1e6),  # outside, 100 m away: a circular segment
    ((500, 500), 300, math.pi * 300**2 / 1e6),  # centre: a whole disc
    ((500, 500), 800, 1.0),  # every vertex within 707 m of the centre: fully inside
    ((500, -400), 300, 0.0),  # 400 m away: out of reach
])
def test_reach_area_share__square_grid_and_point_at_known_distance(site, radius, expected):
    share = reach_area_shares(np.array([SQUARE]), np.array([site], dtype=float), radius)
    assert share[0] == pytest.approx(expected, rel=TOL, abs=1e-12)


def test_reach_area_share__overlapping_discs_are_counted_once():
    one = reach_area_shares(np.array([SQUARE]), np.array([[0.0, 0.0]]), 300)
    two = reach_area_shares(np.array([SQUARE]), np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0]]), 300)
    assert one[0] < two[0] < one[0] * 1.05


def test_reach_area_share__matches_naive_union_then_intersect():
    rng = np.random.default_rng(7)
    grids = np.array([shapely.box(x, y, x + 300, y + 250) for x in range(0, 3000, 300) for y in range(0, 2500, 250)])
    sites = rng.uniform(0, 3000, (25, 2))
    for radius in (150, 400):
        fast = reach_area_shares(grids, sites, radius)
        union = shapely.union_all(shapely.buffer(shapely.points(sites), radius, quad_segs=32))
        naive = shapely.area(shapely.intersection(grids, union)) / shapely.area(grids)
        inside_disc = fast == 1.0  # the fast path uses the exact disc there, the naive one the polygon
        np.testing.assert_allclose(fast[~inside_disc], naive[~inside_disc], atol=1e-9)
        np.testing.assert_allclose(naive[inside_disc], 1.0, atol=TOL)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(-500, 1500), st.floats(-500, 1500)), min_size=1, max_size=6),
       st.lists(st.floats(10, 1500), min_size=2, max_size=4))
def test_reach_area_share__never_falls_as_radius_grows_and_stays_in_0_1(sites, radii):
    grids = np.array([shapely.box(0, 0, 500, 500), shapely.box(500, 0, 1000, 500),
                      shapely.Polygon([(0, 500), (1000, 500), (500, 1000)])])
    shares = [reach_area_shares(grids, np.array(sites), r) for r in sorted(radii)]
    for small, large in zip(shares, shares[1:]):
        assert np.all(large >= small - 1e-12)
    assert all(np.all((sh >= 0) & (sh <= 1)) for sh in shares)


def test_category_masks__semicolon_list_type_fallback_and_point_types():
    points = gpd.GeoDataFrame({s.POINT_ID: ["a", "b", "c"], s.POINT_TYPE: ["社区工作站", "快递物流服务点", "社区花园"],
                               s.CATEGORY: ["政务;生活", None, "群团"]},
                              geometry=shapely.points([(0, 0)] * 3), crs=UTM)
    masks = category_masks(points)
    assert masks["政务"].tolist() == [True, False, False]
    assert masks["生活"].tolist() == [True, True, False]  # b falls back to its type's categories
    assert masks["群团"].tolist() == [False, False, True]  # c's explicit category wins over its type
    assert masks["产业"].tolist() == [False, False, False]
    assert masks["快递物流服务点"].tolist() == [False, True, False]


def test_service_reach__one_row_per_grid_category_radius_with_stable_columns(tiny_project):
    cov = service_reach(tiny_project, radii_m=[300, 500])
    keys = set(category_masks(tiny_project.layer(s.SERVICE_POINTS)))
    assert tuple(cov.columns) == s.COVERAGE_COLUMNS
    assert len(cov) == len(tiny_project.layer(s.GRIDS)) * len(keys) * 2
    assert cov[s.CATEGORY].nunique() == len(keys)
    micro = cov[cov[s.GRID_CODE].str.endswith("-M1") & (cov[s.CATEGORY] == "生活") & (cov["radius_m"] == 300)]
    # each micro-grid has the community-centre workstation at one corner: a quarter disc of 300 m
    np.testing.assert_allclose(micro["area_share"], math.pi * 300**2 / 4 / 250_000, rtol=TOL)
    assert cov["households_share"].isna().all()  # the tiny project has no household points


def _with_households(project, xy_counts):
    xy = [(X0 + x, Y0 + y) for x, y, _ in xy_counts]
    hh = gpd.GeoDataFrame({s.CODE: [f"H{i}" for i in range(len(xy))], s.HOUSEHOLDS_N: [c for *_, c in xy_counts]},
                          geometry=shapely.points(xy), crs=UTM).to_crs(s.STORAGE_CRS)
    return project.with_layer(s.HOUSEHOLDS, hh)


def test_service_reach__households_share_weights_points_by_household_count(tiny_project):
    # micro-grid 001-G1-M1 is x 0..500, y 0..500; the workstation is at (500, 500)
    project = _with_households(tiny_project, [(400, 400, 30), (100, 100, 10)])  # 141 m and 566 m away
    cov = service_reach(project, radii_m=[300, 600], categories=["生活"])
    by = cov.set_index([s.GRID_CODE, "radius_m"])["households_share"]
    assert by[("510184001001-G1-M1", 300.0)] == pytest.approx(30 / 40)
    assert by[("510184001001-G1-M1", 600.0)] == pytest.approx(1.0)
    assert by[("510184001001-G1", 300.0)] == pytest.approx(30 / 40)  # the general grid holds the same points
    assert np.isnan(by[("510184001001-G2-M1", 300.0)])  # no household point there


def test_service_reach__grid_without_geometry_is_refused_with_its_code(tiny_project):
    grids = tiny_project.layer(s.GRIDS).copy()
    grids.loc[grids.index[3], "geometry"] = None
    with pytest.raises(InvalidGeometryError) as err:
        service_reach(tiny_project.with_layer(s.GRIDS, grids))
    assert err.value.context["ids"] == [str(grids[s.CODE].iloc[3])]


def test_rank_worst_grids__least_covered_first_ties_by_code(tiny_project):
    cov = service_reach(tiny_project, radii_m=[500])
    worst = rank_worst_grids(cov, category="生活", radius_m=500, limit=3)
    assert len(worst) == 3
    assert worst[s.GRID_CODE].tolist() == sorted(worst[s.GRID_CODE])
    best_share = cov[(cov[s.CATEGORY] == "生活")]["area_share"].max()
    assert worst["area_share"].iloc[0] <= best_share


def test_with_coverage__tables_survive_a_save_and_load(tiny_project, tmp_path):
    cov = service_reach(tiny_project, radii_m=[300])
    project = with_coverage(tiny_project, cov, meta={"distance": "euclidean"})
    path = tmp_path / "p.gpkg"
    save_project(project, path)
    loaded = load_project(path)
    assert list(loaded.table(s.COVERAGE).columns) == list(s.COVERAGE_COLUMNS)
    assert len(loaded.table(s.COVERAGE)) == len(cov)
    assert not {"coverage_rollup", "staffing"} & set(loaded.tables)  # derived when read, never stale
    assert loaded.meta["coverage"]["distance"] == "euclidean"
