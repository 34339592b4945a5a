"""Coordinate sanity warnings: swapped lat/lon, projected numbers in a geographic file, far-away points.

These are warnings, never corrections: the planner decides (refuse rather than guess).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo import schema as s
from geo.crs import SourceCRS
from geo.validate import WARNING, feature_ids, finding

# China's extent in degrees (a generous box around the mainland and islands)
CHINA_LON = (73.66, 135.05)
CHINA_LAT = (3.86, 53.55)


def _xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A representative x/y per feature (NaN for missing/empty geometries)."""
    geoms = gdf.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if present.any():
        pts = shapely.point_on_surface(geoms[present]) if not np.all(shapely.get_type_id(geoms[present]) == 0) \
            else geoms[present]
        x[present] = shapely.get_x(pts)
        y[present] = shapely.get_y(pts)
    return x, y, present


def find_coordinate_problems(gdf: gpd.GeoDataFrame, source: SourceCRS, *, layer: str,
                             file: str = "") -> list[dict]:
    """Warnings about raw coordinates (in ``source``, before conversion).

    For geographic sources: features whose lon/lat look swapped (lon within China's
    latitude range and lat within its longitude range), and numbers far beyond
    ±180/±90 that look like projected metres (a wrong CRS declaration).
    """
    is_geographic = source.offset is not None or (source.crs is not None and source.crs.is_geographic)
    if not is_geographic or gdf.empty:
        return []
    x, y, present = _xy(gdf)
    rows = []
    swapped = present & (x >= CHINA_LAT[0]) & (x <= CHINA_LAT[1]) & (y >= CHINA_LON[0]) & (y <= CHINA_LON[1])
    if swapped.any():
        ids = feature_ids(gdf, layer, swapped)
        rows.append(finding(WARNING, "sanity.swapped_latlon", layer, ", ".join(ids[:10]), file=file,
                            detail=len(ids)))
    projected = present & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    if projected.any():
        ids = feature_ids(gdf, layer, projected)
        rows.append(finding(WARNING, "sanity.projected_numbers", layer, ", ".join(ids[:10]), file=file,
                            detail=source.label))
    return rows


def find_outside_china(gdf: gpd.GeoDataFrame, *, layer: str, file: str = "") -> list[dict]:
    """Warn about features (in the storage CRS) whose representative point lies outside China's box."""
    if gdf.empty:
        return []
    x, y, present = _xy(gdf.to_crs(s.STORAGE_CRS))
    outside = present & ~((x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1]))
    if not outside.any():
        return []
    ids = feature_ids(gdf, layer, outside)
    return [finding(WARNING, "sanity.outside_china", layer, ", ".join(ids[:10]), file=file, detail=len(ids))]


DEFAULT_FAR_M = 20_000.0  # a point this far outside the project area is in another place (or CRS)


def area_of(layers: dict[str, gpd.GeoDataFrame]) -> shapely.Geometry | None:
    """The project area in WGS 84: the convex hull of the top polygon layer present (towns, communities, grids)."""
    for layer in (s.TOWNS, s.COMMUNITIES, s.GRIDS):
        gdf = layers.get(layer)
        if gdf is not None and len(gdf):
            geoms = gdf.to_crs(s.STORAGE_CRS).geometry.to_numpy()
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            if len(geoms):
                return shapely.convex_hull(shapely.union_all(shapely.envelope(geoms)))
    return None


def far_from_area(gdf: gpd.GeoDataFrame, area: shapely.Geometry, *, far_m: float = DEFAULT_FAR_M) -> np.ndarray:
    """Mask of features (storage CRS) whose representative point lies more than ``far_m`` metres outside ``area``."""
    if gdf.empty:
        return np.zeros(0, dtype=bool)
    x, y, present = _xy(gdf.to_crs(s.STORAGE_CRS))
    pts = gpd.GeoSeries(shapely.points(np.where(present, x, 0), np.where(present, y, 0)), crs=s.STORAGE_CRS)
    local = gpd.GeoSeries([area], crs=s.STORAGE_CRS).estimate_utm_crs()
    dist = pts.to_crs(local).distance(gpd.GeoSeries([area], crs=s.STORAGE_CRS).to_crs(local).iloc[0]).to_numpy()
    return present & ~(np.isfinite(dist) & (dist <= far_m))


def find_far_from_area(gdf: gpd.GeoDataFrame, area: shapely.Geometry | None, *, layer: str, file: str = "",
                       far_m: float = DEFAULT_FAR_M) -> list[dict]:
    """A warning listing the features (storage CRS) more than ``far_m`` metres outside the project ``area``."""
    if area is None or gdf.empty:
        return []
    far = far_from_area(gdf, area, far_m=far_m)
    if not far.any():
        return []
    ids = feature_ids(gdf, layer, far)
    return [finding(WARNING, "sanity.far_from_area", layer, ", ".join(ids[:10]), file=file, detail=len(ids),
                    related_id=f"{far_m / 1000:g}")]
