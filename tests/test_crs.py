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


# --- a declaration over a file's own label ---------------------------------------------------

FIELDKIT = DATA / "fieldkit"


@pytest.mark.parametrize(("label", "generic"), [
    ("EPSG:4326", True),  # GDAL/QGIS on any lon/lat layer
    ("OGC:CRS84", True),  # the legacy GeoJSON "crs" member
    ("EPSG:4490", False),  # CGCS2000: a specific national datum, not a generic label
    ("EPSG:4544", False),  # a CGCS2000 Gauss-Krüger zone
    ("EPSG:32648", False),  # UTM 48N
])
def test_is_generic_wgs84__labels(label, generic):
    from geo.crs import is_generic_wgs84

    assert is_generic_wgs84(label) is generic


def test_load_layer__declared_gcj02_wins_over_crs84_label_with_a_note():
    loaded = load_layer(FIELDKIT / "boundaries" / "towns_amap.geojson", s.TOWNS, crs="gcj02",
                        mapping={"镇街代码": s.CODE, "镇街名称": s.NAME})
    assert loaded.source_crs == "GCJ-02"
    notes = [f for f in loaded.findings if f["code"] == "io.crs_declared_over_label"]
    assert len(notes) == 1
    assert notes[0]["detail"] == "GCJ-02"
    assert 340 <= float(notes[0]["related_id"]) <= 375  # metres: the README's ~357 m


def test_load_layer__declaration_contradicting_a_projected_prj_is_still_refused(tmp_path):
    import shutil

    from geo.errors import CRSMismatchError

    path = tmp_path / "b.zip"
    shutil.copy(FIELDKIT / "boundaries" / "buildings_cgcs2000_gk.zip", path)
    for declared in ("gcj02", "EPSG:32648"):
        with pytest.raises(CRSMismatchError) as err:
            load_layer(path, s.HOUSEHOLDS, crs=declared)
        assert err.value.context["crs_a"] == "EPSG:4544"


def test_declaration_shift_m__gcj02_and_bd09_near_the_fieldkit():
    import geopandas as gpd

    from geo.crs import declaration_shift_m

    pts = gpd.GeoDataFrame(geometry=shapely.points([[104.05, 30.75], [104.10, 30.70]]), crs=s.STORAGE_CRS)
    wgs = parse_crs("wgs84")
    gcj = declaration_shift_m(pts, declared=parse_crs("gcj02"), labelled=wgs)
    bd = declaration_shift_m(pts, declared=parse_crs("bd09"), labelled=wgs)
    assert gcj.n == 2
    assert 300 < gcj.median_m <= gcj.max_m < 420
    assert 900 < bd.median_m <= bd.max_m < 1010
    assert declaration_shift_m(pts, declared=wgs, labelled=wgs).max_m == 0.0
