"""The synthetic city (geo.citygen): counts at a scale, a nested valid coverage, codes, points, the cache."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.citygen import (
    DISTRICT_CODE, build_city, build_units, city_summary, household_files, load_city_project, read_city_layer,
    target_counts,
)

from tests.factories import SMALL_CITY_SCALE

SCALE = SMALL_CITY_SCALE  # the city the session-wide `city_root` fixture builds (tests/conftest.py)


@pytest.fixture(scope="module")
def city(city_root):
    return load_city_project(scale=SCALE, root=city_root)


def test_build_city__counts_near_the_targets_at_the_scale(city_root):
    counts = city_summary(scale=SCALE, root=city_root)["counts"]
    target = target_counts(SCALE)
    for key in ("towns", "communities", "general_grids", "micro_grids", "households"):
        assert abs(counts[key] - target[key]) <= 0.25 * target[key], key
    assert counts["volunteers"] == target["volunteers"] and counts["service_points"] == target["service_points"]


def test_build_units__is_deterministic():
    first, _, _ = build_units(scale=0.002)
    again, _, _ = build_units(scale=0.002)
    for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        pd.testing.assert_frame_equal(first[name].to_wkb(), again[name].to_wkb())


def test_city_levels__each_a_valid_coverage_tiling_its_parents(city):
    grids = city.layer(s.GRIDS)
    levels = {
        "towns": city.layer(s.TOWNS).geometry.values,
        "communities": city.layer(s.COMMUNITIES).geometry.values,
        "general": grids[grids[s.LEVEL] == s.LEVEL_GENERAL].geometry.values,
        "micro": grids[grids[s.LEVEL] == s.LEVEL_MICRO].geometry.values,
    }
    areas = {}
    for name, geoms in levels.items():
        assert shapely.is_valid(geoms).all(), name
        assert shapely.coverage_is_valid(geoms), name  # no overlap, no T-junction
        areas[name] = shapely.area(geoms).sum()
        assert shapely.area(shapely.coverage_union_all(geoms)) == pytest.approx(areas[name], rel=1e-9)
    assert len({round(a, 9) for a in areas.values()}) == 1  # every level tiles the same city, no gap


def test_city_codes__follow_the_field_kit_pattern(city):
    towns, comms, grids = city.layer(s.TOWNS), city.layer(s.COMMUNITIES), city.layer(s.GRIDS)
    assert towns[s.CODE].str.fullmatch(r"5199\d{5}000").all()
    assert (towns[DISTRICT_CODE] == towns[s.CODE].str[:6]).all()
    assert comms[s.CODE].str.fullmatch(r"\d{12}").all()
    assert (comms[s.CODE].str[:9] == comms[s.TOWN_CODE].str[:9]).all()
    general, micro = grids[grids[s.LEVEL] == s.LEVEL_GENERAL], grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    assert (general[s.CODE].str[:12] == general[s.COMMUNITY_CODE]).all() and (general[s.CODE].str.len() == 14).all()
    assert (micro[s.CODE].str[:14] == micro[s.PARENT_CODE]).all() and (micro[s.CODE].str.len() == 16).all()
    assert grids[s.CODE].is_unique


def test_city_micro_grids__inside_their_general_grid(city):
    grids = city.layer(s.GRIDS)
    general = grids[grids[s.LEVEL] == s.LEVEL_GENERAL].set_index(s.CODE).geometry
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    parents = general.reindex(micro[s.PARENT_CODE]).values
    assert shapely.covers(parents, micro.geometry.values).all()


def test_city_households__one_point_per_household_summing_to_the_grids(city):
    households, grids = city.layer(s.HOUSEHOLDS), city.layer(s.GRIDS)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    assert (households[s.HOUSEHOLDS_N] == 1).all() and households[s.CODE].is_unique
    assert len(households) == micro[s.HOUSEHOLDS_N].sum()
    assert micro[s.HOUSEHOLDS_N].between(30, 100).all()


def test_city_points__some_exactly_on_shared_grid_corners(city):
    grids = city.layer(s.GRIDS)
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO].geometry.values
    tree = shapely.STRtree(micro)
    for layer in (s.HOUSEHOLDS, s.SERVICE_POINTS):
        pidx, _ = tree.query(city.layer(layer).geometry.values, predicate="intersects")
        assert (np.bincount(pidx) > 1).sum() > 0, layer  # covered by two or more micro-grids


def test_city_layers__schema_columns_and_wgs84(city):
    for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS, s.HOUSEHOLDS, s.VOLUNTEERS, s.SERVICE_POINTS):
        required = s.REQUIRED[layer]
        gdf = city.layer(layer)
        assert set(required) <= set(gdf.columns), layer
        assert gdf.crs.to_epsg() == 4326, layer
    minx, miny, maxx, maxy = city.layer(s.TOWNS).total_bounds
    assert 103.5 < minx < maxx < 104.7 and 30.2 < miny < maxy < 31.2  # around Chengdu
    points = city.layer(s.SERVICE_POINTS)
    assert set(s.CATEGORIES) <= set(";".join(points[s.CATEGORY]).split(";"))


def test_build_city__reuses_the_cache(city_root):
    summary = build_city(scale=SCALE, root=city_root) / "summary.json"
    stamp = summary.stat().st_mtime_ns
    assert build_city(scale=SCALE, root=city_root) / "summary.json" == summary
    assert summary.stat().st_mtime_ns == stamp
    files = household_files(scale=SCALE, root=city_root)
    assert len(files) == len(read_city_layer(s.TOWNS, scale=SCALE, root=city_root))  # one file per town
