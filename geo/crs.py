"""Coordinate systems: parse what the user declares, GCJ-02/BD-09 offsets, metric CRS.

GCJ-02 (Amap/Tencent) and BD-09 (Baidu) are not in PROJ. They are implemented here
from the published (reverse-engineered) formula on Krasovsky parameters, vectorised
with numpy; inverses are iterative and accurate to well under a centimetre.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo.errors import GeoInputError
from geo.schema import METRIC_CRS, STORAGE_CRS

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its eccentricity squared
_BD_X_PI = np.pi * 3000.0 / 180.0

GCJ02 = "gcj02"
BD09 = "bd09"
OFFSET_SYSTEMS = (GCJ02, BD09)

_ALIASES = {
    "wgs84": "EPSG:4326", "wgs-84": "EPSG:4326", "wgs 84": "EPSG:4326", "gps": "EPSG:4326",
    "cgcs2000": "EPSG:4490", "cgcs-2000": "EPSG:4490",
    "gcj02": GCJ02, "gcj-02": GCJ02, "amap": GCJ02, "gaode": GCJ02, "高德": GCJ02, "火星": GCJ02,
    "bd09": BD09, "bd-09": BD09, "baidu": BD09, "百度": BD09,
    "utm48n": "EPSG:32648",
}


@dataclass(frozen=True)
class SourceCRS:
    """A declared source system: a PROJ CRS, or an offset system (gcj02/bd09) on WGS 84."""

    crs: pyproj.CRS | None
    offset: str | None = None

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. ``EPSG:4544`` or ``GCJ-02``."""
        if self.offset == GCJ02:
            return "GCJ-02"
        if self.offset == BD09:
            return "BD-09"
        assert self.crs is not None
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else self.crs.name


def parse_crs(spec: str | int | pyproj.CRS) -> SourceCRS:
    """Parse a user declaration (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``, ``EPSG:4544``, ``4544``).

    Raises
    ------
    GeoInputError
        With code ``unknown_crs`` when the declaration names no known system.
    """
    if isinstance(spec, pyproj.CRS):
        return SourceCRS(spec)
    text = str(spec).strip()
    alias = _ALIASES.get(text.lower())
    if alias in OFFSET_SYSTEMS:
        return SourceCRS(pyproj.CRS.from_epsg(4326), offset=alias)
    try:
        return SourceCRS(pyproj.CRS.from_user_input(alias or (int(text) if text.isdigit() else text)))
    except pyproj.exceptions.CRSError as exc:
        msg = f"unknown CRS declaration {text!r}"
        raise GeoInputError(msg, code="unknown_crs", crs=text) from exc


# --- GCJ-02 / BD-09 -----------------------------------------------------------------

def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def is_in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The rough box inside which the GCJ-02 offset is applied (outside it is identity)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lon/lat (degrees) to GCJ-02; identity outside China."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = is_in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, *, tol_deg: float = 1e-10,
                   max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS 84 by fixed-point iteration of the forward formula (error < 1 mm)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < tol_deg) and np.all(np.abs(dlat) < tol_deg):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (Baidu's published formula)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to GCJ-02 (the closed-form approximation refined by fixed-point iteration)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    glon, glat = lon - 0.0065, lat - 0.006
    for _ in range(10):
        blon, blat = gcj02_to_bd09(glon, glat)
        glon, glat = glon - (blon - lon), glat - (blat - lat)
    return glon, glat


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to WGS 84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS = {GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}
_FROM_WGS = {GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def _transform_geoms(geoms: np.ndarray, func) -> np.ndarray:
    def xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, xy)


def to_storage_crs(gdf: gpd.GeoDataFrame, source: SourceCRS) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` (coordinates in ``source``) in the storage CRS (WGS 84).

    Offset systems are removed with the inverse formula; PROJ systems are reprojected.
    """
    if source.offset is not None:
        out = gdf.set_crs(STORAGE_CRS, allow_override=True)
        return out.set_geometry(_transform_geoms(out.geometry.values, _TO_WGS[source.offset]), crs=STORAGE_CRS)
    assert source.crs is not None
    return gdf.set_crs(source.crs, allow_override=True).to_crs(STORAGE_CRS)


def to_offset_system(gdf: gpd.GeoDataFrame, offset: str) -> gpd.GeoDataFrame:
    """Return a copy of a WGS 84 ``gdf`` shifted into GCJ-02 or BD-09 (for display or export only)."""
    wgs = gdf.to_crs(STORAGE_CRS)
    return wgs.set_geometry(_transform_geoms(wgs.geometry.values, _FROM_WGS[offset]), crs=STORAGE_CRS)


def to_metric_crs(gdf: gpd.GeoDataFrame, *, crs_metric: str | pyproj.CRS = METRIC_CRS) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to a metric CRS (UTM 48N by default, which covers Chongzhou)."""
    if gdf.crs is None:
        from geo.errors import MissingCRSError

        msg = "layer has no CRS; declare one before metric work"
        raise MissingCRSError(msg, file="(layer)")
    return gdf.to_crs(crs_metric)


def metric_crs_for(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The UTM zone for the data's centre (EPSG:32648 for Chongzhou)."""
    return gdf.to_crs(STORAGE_CRS).estimate_utm_crs()


def require_projected(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Raise when ``gdf`` is not in a projected (metric) CRS."""
    if gdf.crs is None or not gdf.crs.is_projected:
        msg = f"{what} needs a projected CRS, got {gdf.crs}"
        raise GeoInputError(msg, code="geographic_crs_for_metric", what=what, crs=str(gdf.crs))


# --- declarations over a file's own label ------------------------------------------------

_GENERIC_WGS84 = (pyproj.CRS.from_epsg(4326), pyproj.CRS.from_user_input("OGC:CRS84"))


def is_generic_wgs84(crs: pyproj.CRS | None) -> bool:
    """True for the plain WGS 84 lon/lat label (EPSG:4326, OGC CRS84) GDAL and QGIS write on any lon/lat layer.

    Such a label says "degrees" and nothing more: Amap (GCJ-02) and Baidu (BD-09) exports carry it too.
    """
    if crs is None:
        return False
    crs = pyproj.CRS.from_user_input(crs)
    return any(crs.equals(g, ignore_axis_order=True) for g in _GENERIC_WGS84)


def declaration_wins_over_label(declared: SourceCRS | None, file_crs: pyproj.CRS | None) -> bool:
    """True when a declared offset system (GCJ-02/BD-09) should be used instead of a generic WGS 84 label.

    A specific label (a projected ``.prj``, CGCS2000 Gauss–Krüger, UTM ...) is never overridden.
    """
    return declared is not None and declared.offset is not None and is_generic_wgs84(file_crs)


@dataclass(frozen=True)
class Shift:
    """How far a declaration moves the data compared with reading it as labelled (metres, geodesic)."""

    median_m: float
    max_m: float
    n: int


def declaration_shift_m(gdf: gpd.GeoDataFrame, *, declared: SourceCRS, labelled: SourceCRS,
                        max_vertices: int = 5000) -> Shift:
    """The shift (median/max, metres) between reading ``gdf``'s coordinates as ``labelled`` and as ``declared``.

    ``gdf`` holds the file's raw coordinate numbers (before any conversion). Vertices are
    sampled evenly up to ``max_vertices``. An empty layer gives a zero shift with ``n=0``.
    For the import wizard's preview: "declaring GCJ-02 moves this layer by about 357 m".
    """
    coords = shapely.get_coordinates(gdf.geometry.to_numpy())
    if len(coords) == 0:
        return Shift(0.0, 0.0, 0)
    if len(coords) > max_vertices:
        coords = coords[np.linspace(0, len(coords) - 1, max_vertices).astype(int)]
    points = gpd.GeoDataFrame(geometry=shapely.points(coords), crs=STORAGE_CRS)
    a = to_storage_crs(points, labelled).geometry
    b = to_storage_crs(points, declared).geometry
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist = geod.inv(a.x.to_numpy(), a.y.to_numpy(), b.x.to_numpy(), b.y.to_numpy())
    dist = np.abs(np.asarray(dist, dtype=float))
    return Shift(float(np.median(dist)), float(dist.max()), len(dist))


def round_coordinates(geoms: np.ndarray, *, decimals: int) -> np.ndarray:
    """Round every coordinate of ``geoms`` (any CRS) to ``decimals`` places (7 ≈ 1 cm, 5 ≈ 1 m in degrees).

    Plain rounding, vertex by vertex: idempotent and deterministic (vertex order is kept,
    so the same layer always yields the same payload). Shared vertices stay shared. The one
    rounding of coordinates: the web map and the GeoJSON export both use it.
    """
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, decimals))
