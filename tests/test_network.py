"""Walking-network distances and service areas on small hand-made networks (metres)."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import schema as s
from geo.coverage import service_reach
from geo.errors import MissingCRSError, UnsupportedGeometryError
from geo.network import network_from_lines, read_network
from tests.factories import UTM, X0, Y0

# an L-shaped road: east 1000 m, then north 1000 m
L_ROAD = np.array([shapely.LineString([(0, 0), (1000, 0), (1000, 1000)])])


def test_network_distance__l_shaped_road_walks_round_the_corner():
    net = network_from_lines(L_ROAD)
    targets = np.array([[1000, 1000], [1000, 500], [500, 10]], dtype=float)
    walked = net.distances(np.array([[0.0, 0.0]]), targets, max_distance_m=5000)
    np.testing.assert_allclose(walked, [2000, 1500, 510])  # 510 = 500 along + 10 access
    straight = np.hypot(targets[:, 0], targets[:, 1])
    assert walked[0] > straight[0] * 1.4  # the diagonal 1414 m is not walkable


def test_network_distance__beyond_the_maximum_or_far_from_the_road_is_unreachable():
    net = network_from_lines(L_ROAD, max_snap_m=300)
    walked = net.distances(np.array([[0.0, 0.0]]), np.array([[1000, 1000], [600, 600]], dtype=float),
                           max_distance_m=1200)
    assert np.isinf(walked).all()  # 2000 m > 1200 m; the second point is 400 m from any road


def test_network_distance__site_in_the_middle_of_a_long_segment_reaches_both_ways():
    net = network_from_lines(np.array([shapely.LineString([(0, 0), (2000, 0)])]))
    walked = net.distances(np.array([[1000.0, 0.0]]), np.array([[900, 0], [1250, 0]], dtype=float),
                           max_distance_m=300)
    np.testing.assert_allclose(walked, [100, 250])


def test_network_distance__nearest_of_several_sites_wins():
    net = network_from_lines(L_ROAD)
    walked = net.distances(np.array([[0.0, 0.0], [1000.0, 1000.0]]), np.array([[1000.0, 200.0]]),
                           max_distance_m=5000)
    assert walked[0] == pytest.approx(800)


@pytest.mark.parametrize(("node_crossings", "expected"), [
    (True, 1000.0),  # the crossing is a junction: 500 east + 500 north
    (False, math.inf),  # no shared vertex: the roads are not connected
])
def test_network__crossing_lines_become_junctions_when_noded(node_crossings, expected):
    cross = np.array([shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(500, -500), (500, 500)])])
    net = network_from_lines(cross, node_crossings=node_crossings, max_snap_m=1)
    walked = net.distances(np.array([[0.0, 0.0]]), np.array([[500.0, 500.0]]), max_distance_m=5000)
    assert walked[0] == pytest.approx(expected)


def test_network__parallel_duplicate_roads_keep_the_shorter_edge():
    roads = np.array([shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(0, 0), (100, 0)]),
                      shapely.LineString([(100, 0), (200, 0)])])
    net = network_from_lines(roads, node_crossings=False)
    walked = net.distances(np.array([[0.0, 0.0]]), np.array([[200.0, 0.0]]), max_distance_m=1000)
    assert walked[0] == pytest.approx(200)  # coo would have summed the duplicate into 200 + 100


def test_service_area__reachable_length_and_corridor_width():
    net = network_from_lines(L_ROAD, corridor_m=20)
    lines = net.reachable_lines(np.array([[900.0, 0.0]]), 300)
    assert shapely.length(lines).sum() == pytest.approx(600)  # 300 back west, 100 east + 200 north
    area = net.service_area(np.array([[500.0, 0.0]]), 300)
    # a 600 m straight stretch buffered 20 m either side with round ends
    assert area.area == pytest.approx(600 * 40 + math.pi * 20**2, rel=2e-2)
    assert net.service_area(np.zeros((0, 2)), 300) is None


def test_network_coverage__households_use_walking_not_straight_distance(tiny_project):
    # workstation of community 001 at (500, 500); a road from it east to (900, 500) then north
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 500, Y0 + 500), (X0 + 900, Y0 + 500),
                                                          (X0 + 900, Y0 + 900)])], crs=UTM)
    net = network_from_lines(road.geometry, corridor_m=50)
    hh = gpd.GeoDataFrame({s.CODE: ["H1"], s.HOUSEHOLDS_N: [10]}, geometry=[shapely.Point(X0 + 850, Y0 + 750)],
                          crs=UTM).to_crs(s.STORAGE_CRS)
    project = tiny_project.with_layer(s.HOUSEHOLDS, hh)
    grid = "510184001001-G2-M2"  # x 500..1000, y 500..1000 holds the household
    straight = service_reach(project, radii_m=[500], categories=["生活"]).set_index(s.GRID_CODE)
    walked = service_reach(project, radii_m=[500], categories=["生活"], network=net).set_index(s.GRID_CODE)
    assert straight.loc[grid, "households_share"] == 1.0  # 430 m in a straight line
    assert walked.loc[grid, "households_share"] == 0.0  # but 400 + 250 + 50 (access) = 700 m on foot
    assert 0 < walked.loc[grid, "area_share"] < straight.loc[grid, "area_share"]


def test_read_network__from_a_geopackage_in_wgs84(tmp_path):
    path = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])], crs=UTM).to_crs(
        s.STORAGE_CRS).to_file(path)
    net = read_network(path)
    assert net.length_m == pytest.approx(1000, rel=1e-3)


def test_read_network__refuses_points_and_missing_crs(tmp_path):
    pts = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=UTM).to_file(pts)
    with pytest.raises(UnsupportedGeometryError) as err:
        read_network(pts)
    assert err.value.context["ids"] == [0]
    nocrs = tmp_path / "nocrs.geojson"
    nocrs.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                     '"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}')
    import pyogrio

    if pyogrio.read_info(nocrs)["crs"] is None:
        with pytest.raises(MissingCRSError):
            read_network(nocrs)
