"""GCJ-02 / BD-09 transforms against published vectors, and a real outline imported from GCJ-02."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo import schema as s
from geo.crs import (
    bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, parse_crs, wgs84_to_bd09, wgs84_to_gcj02,
)
from geo.errors import GeoInputError
from geo.io import load_layer

DATA = Path(__file__).parent / "data"
GEOD = Geod(ellps="WGS84")


def test_wgs84_to_gcj02__published_vector_tiananmen():
    lon, lat = wgs84_to_gcj02(np.array([116.404]), np.array([39.915]))
    assert lon[0] == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat[0] == pytest.approx(39.91640428150164, abs=1e-12)


def test_wgs84_to_gcj02__identity_outside_china():
    lon, lat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))  # Paris
    assert (lon[0], lat[0]) == (2.35, 48.85)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(min_value=73.7, max_value=134.9), st.floats(min_value=18.2, max_value=53.5))
def test_gcj02_to_wgs84__inverse_error_under_a_centimetre(lon, lat):
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    _, _, dist_m = GEOD.inv(lon, lat, wlon[0], wlat[0])
    assert dist_m < 0.01


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.floats(min_value=73.7, max_value=134.9), st.floats(min_value=18.2, max_value=53.5))
def test_bd09__round_trip_through_gcj02_and_wgs84(lon, lat):
    blon, blat = wgs84_to_bd09(np.array([lon]), np.array([lat]))
    wlon, wlat = bd09_to_wgs84(blon, blat)
    assert GEOD.inv(lon, lat, wlon[0], wlat[0])[2] < 0.01
    glon, glat = bd09_to_gcj02(*gcj02_to_bd09(np.array([lon]), np.array([lat])))
    assert GEOD.inv(lon, lat, glon[0], glat[0])[2] < 0.01


def test_offset__chongzhou_is_hundreds_of_metres_off():
    glon, glat = wgs84_to_gcj02(np.array([103.673]), np.array([30.630]))
    assert 300 < GEOD.inv(103.673, 30.630, glon[0], glat[0])[2] < 700


@pytest.mark.parametrize(("spec", "label"), [
    ("wgs84", "EPSG:4326"), ("CGCS2000", "EPSG:4490"), ("gcj02", "GCJ-02"), ("高德", "GCJ-02"),
    ("bd09", "BD-09"), ("EPSG:4544", "EPSG:4544"), ("4543", "EPSG:4543"),
])
def test_parse_crs__declarations(spec, label):
    assert parse_crs(spec).label == label


def test_parse_crs__unknown_declaration():
    with pytest.raises(GeoInputError) as err:
        parse_crs("mars")
    assert err.value.code == "unknown_crs"


def test_load_layer__real_chongzhou_outline_from_gcj02_lands_on_wgs84_original():
    mapping = {"code12": s.CODE}
    from_gcj = load_layer(DATA / "chongzhou_county_outline_amap_gcj02.geojson", s.TOWNS, crs="gcj02",
                          mapping=mapping)
    original = load_layer(DATA / "chongzhou_county_outline_wgs84.geojson", s.TOWNS, mapping=mapping)
    a = from_gcj.gdf.to_crs(s.METRIC_CRS).geometry.iloc[0]
    b = original.gdf.to_crs(s.METRIC_CRS).geometry.iloc[0]
    assert shapely.hausdorff_distance(a, b) < 3.0  # metres
    assert abs(a.area - b.area) / b.area < 1e-4
    raw = load_layer(DATA / "chongzhou_county_outline_amap_gcj02.geojson", s.TOWNS, mapping=mapping)
    assert shapely.hausdorff_distance(raw.gdf.to_crs(s.METRIC_CRS).geometry.iloc[0], b) > 200  # undeclared
