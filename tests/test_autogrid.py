"""Auto-gridding: exact tiling, the household band, barriers, big buildings, empty parents, determinism."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.autogrid import (
    NOTE_EMPTY_PARENT,
    NOTE_MERGED_ACROSS_BARRIER,
    NOTE_SINGLE_OVER,
    autogrid_community,
    bisect_groups,
    choose_group_count,
    partition_parent,
)
from geo.errors import GeoInputError

SQUARE = shapely.box(0, 0, 1000, 1000)


def grid_of_buildings(n: int = 20, households: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``n x n`` buildings on a regular lattice inside SQUARE, ``households`` each."""
    step = 1000 / n
    xs = np.arange(n) * step + step / 2
    xy = np.array([(x, y) for x in xs for y in xs])
    return xy, np.full(len(xy), households, dtype=float)


def assert_tiles(geoms: np.ndarray, parent: shapely.Geometry) -> None:
    assert shapely.coverage_is_valid(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(parent.area, rel=1e-9)
    assert shapely.union_all(geoms).symmetric_difference(parent).area < 1e-6 * parent.area
    assert all(g.geom_type == "Polygon" for g in geoms)  # contiguous


def test_partition__square_with_lattice_of_buildings_tiles_and_stays_in_band():
    xy, hh = grid_of_buildings()  # 400 buildings x 5 = 2000 households
    part = partition_parent(SQUARE, xy, hh)
    assert_tiles(part.geoms, SQUARE)
    assert part.households.sum() == 2000
    assert ((part.households >= 30) & (part.households <= 100)).all()
    # every building in exactly one grid, and the grid really contains it
    assert len(part.building_group) == len(xy)
    inside = shapely.covers(part.geoms[part.building_group], shapely.points(xy))
    assert inside.all()
    assert np.bincount(part.building_group, weights=hh).tolist() == part.households.tolist()


def test_partition__same_seed_same_output_and_input_unchanged():
    xy, hh = grid_of_buildings(12, 7)
    before = xy.copy()
    a = partition_parent(SQUARE, xy, hh, seed=5)
    b = partition_parent(SQUARE, xy, hh, seed=5)
    assert [g.wkb for g in a.geoms] == [g.wkb for g in b.geoms]
    assert (a.building_group == b.building_group).all()
    assert (xy == before).all()


def test_partition__barrier_line_is_never_crossed():
    xy, hh = grid_of_buildings()
    road = shapely.LineString([(480, -50), (480, 1050)])
    part = partition_parent(SQUARE, xy, hh, barriers=road)
    assert_tiles(part.geoms, SQUARE)
    for g in part.geoms:  # each grid lies on one side of the road
        west = shapely.intersection(g, shapely.box(-1, -1, 480, 1001)).area
        assert min(west, g.area - west) < 1e-6 * g.area
    assert ((part.households >= 30) & (part.households <= 100)).all()


def test_partition__small_piece_cut_off_by_barrier_is_merged_and_reported():
    xy, hh = grid_of_buildings()
    keep = xy[:, 0] > 100
    xy = np.vstack([xy[keep], [[50, 500]]])  # one 3-household building west of the road
    hh = np.append(hh[keep], 3)
    road = shapely.LineString([(100, -50), (100, 1050)])
    part = partition_parent(SQUARE, xy, hh, barriers=road)
    assert_tiles(part.geoms, SQUARE)
    merged = [n for n in part.notes if n["kind"] == NOTE_MERGED_ACROSS_BARRIER]
    assert len(merged) == 1
    assert merged[0]["households"] == 3
    assert (part.households >= 30).all()


def test_partition__single_huge_building_is_its_own_grid_and_reported():
    xy, hh = grid_of_buildings(10, 6)
    hh[55] = 240
    part = partition_parent(SQUARE, xy, hh)
    assert_tiles(part.geoms, SQUARE)
    big = part.building_group[55]
    assert part.households[big] == 240
    assert (part.building_group == big).sum() == 1
    assert part.single_over[big]
    assert any(n["kind"] == NOTE_SINGLE_OVER and n["households"] == 240 for n in part.notes)


def test_partition__empty_parent_is_one_grid_and_reported():
    part = partition_parent(SQUARE, np.zeros((0, 2)), np.zeros(0))
    assert len(part.geoms) == 1
    assert part.geoms[0].equals(SQUARE)
    assert part.notes[0]["kind"] == NOTE_EMPTY_PARENT


def test_partition__concave_parent_with_hole_still_tiles():
    parent = shapely.Polygon([(0, 0), (1000, 0), (1000, 1000), (600, 1000), (600, 300), (400, 300),
                              (400, 1000), (0, 1000)]).difference(shapely.box(100, 100, 200, 200))
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (3000, 2))
    xy = xy[shapely.contains_xy(parent, xy[:, 0], xy[:, 1])][:500]
    part = partition_parent(parent, xy, np.full(len(xy), 3.0))
    assert_tiles(part.geoms, parent)
    assert ((part.households >= 30) & (part.households <= 100)).all()


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"min_households": 100, "max_households": 30}, "autogrid.bad_band"),  # band upside down
    ({"min_households": 0, "max_households": 30}, "autogrid.bad_band"),  # zero minimum
])
def test_partition__bad_band__raises(kwargs, code):
    xy, hh = grid_of_buildings(4)
    with pytest.raises(GeoInputError) as err:
        partition_parent(SQUARE, xy, hh, **kwargs)
    assert err.value.code == code


def test_partition__building_outside_parent__raises_with_its_row():
    xy, hh = grid_of_buildings(4)
    xy = np.vstack([xy, [[2000, 2000]]])
    with pytest.raises(GeoInputError) as err:
        partition_parent(SQUARE, xy, np.append(hh, 1))
    assert err.value.code == "autogrid.points_outside"
    assert err.value.context["ids"] == [16]


def test_partition__negative_households__raises():
    xy, hh = grid_of_buildings(4)
    hh[3] = -1
    with pytest.raises(GeoInputError) as err:
        partition_parent(SQUARE, xy, hh)
    assert err.value.code == "autogrid.bad_households"


@pytest.mark.parametrize(("total", "expected"), [
    (80, 1),  # fits in one grid
    (650, 10),  # 650 / 65 (band middle)
    (130, 2),  # two of 65
])
def test_choose_group_count__aims_at_band_middle(total, expected):
    assert choose_group_count(total, 30, 100) == expected


def test_bisect_groups__sums_in_band_for_uniform_weights():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, (300, 2))
    labels = bisect_groups(xy, np.full(300, 4.0), lo=30, hi=100)
    sums = np.bincount(labels, weights=np.full(300, 4.0))
    assert ((sums >= 30) & (sums <= 100)).all()


def test_autogrid_community__general_grids_are_unions_of_their_micro_grids():
    xy, hh = grid_of_buildings(30, 4)  # 3600 households
    bld = gpd.GeoDataFrame({s.HOUSEHOLDS_N: hh}, geometry=shapely.points(xy), crs=s.METRIC_CRS)
    grids, building_grid, report = autogrid_community(SQUARE, bld, community_code="510184001018",
                                                      town_code="510184001000")
    general = grids[grids[s.LEVEL] == s.LEVEL_GENERAL]
    micro = grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    assert_tiles(general.geometry.values, SQUARE)
    assert_tiles(micro.geometry.values, SQUARE)
    for _, g in general.iterrows():
        kids = micro[micro[s.PARENT_CODE] == g[s.CODE]]
        assert kids[s.HOUSEHOLDS_N].sum() == g[s.HOUSEHOLDS_N]
        assert shapely.union_all(kids.geometry.values).symmetric_difference(g.geometry).area < 1e-6
    assert ((general[s.HOUSEHOLDS_N] >= 300) & (general[s.HOUSEHOLDS_N] <= 500)).all()
    assert report["micro"]["share_in_band"] == 1.0
    assert building_grid.index.equals(bld.index)
    assert set(building_grid) <= set(micro[s.CODE])
    assert grids[s.ILLUSTRATIVE].all()


def test_autogrid_project__removes_assignments_to_replaced_grids_and_counts_them():
    from geo.autogrid import autogrid_project
    from geo.project import new_project
    from tests.factories import tiny_layers

    layers = tiny_layers()
    project = new_project()
    for name, gdf in layers.items():
        project = project.with_layer(name, gdf)
    comm = layers[s.COMMUNITIES].to_crs(s.METRIC_CRS).geometry.iloc[0]
    x0, y0, x1, y1 = comm.bounds
    xs, ys = np.meshgrid(np.linspace(x0 + 20, x1 - 20, 8), np.linspace(y0 + 20, y1 - 20, 8))
    hh = gpd.GeoDataFrame({s.CODE: [f"B{i}" for i in range(64)], s.HOUSEHOLDS_N: 10},
                          geometry=gpd.points_from_xy(xs.ravel(), ys.ravel()), crs=s.METRIC_CRS)
    project = project.with_layer(s.HOUSEHOLDS, hh.to_crs(s.STORAGE_CRS))
    code = layers[s.COMMUNITIES][s.CODE].iloc[0]
    other = layers[s.COMMUNITIES][s.CODE].iloc[1]
    rows = pd.DataFrame({s.VOLUNTEER_ID: ["V1", "V2"], s.GRID_CODE: [f"{code}-G1-M1", f"{other}-G1-M1"],
                         s.ROLE: "leader", s.LOCKED: [True, False]})
    new, report = autogrid_project(project.with_table(s.ASSIGNMENTS, rows), community_codes=[code])
    assert report["dropped_assignments"] == 1  # the locked row on a replaced grid goes too
    assert new.table(s.ASSIGNMENTS)[s.GRID_CODE].tolist() == [f"{other}-G1-M1"]
