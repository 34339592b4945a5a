"""Per-zoom simplification of boundary layers for the web map: shared edges kept, coordinates rounded."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import round_coordinates
from geo.schema import METRIC_CRS, STORAGE_CRS

# tolerance (metres) per map view; chosen so a view's polygons stay under a few MB
TOLERANCE_M = {"city": 60.0, "town": 15.0, "community": 3.0}
DECIMALS = 5  # 1e-5 degrees ≈ 1 m at Chongzhou's latitude


def simplify_coverage(gdf: gpd.GeoDataFrame, *, tolerance_m: float,
                      decimals: int = DECIMALS) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared edges identical, then round coordinates.

    Parameters
    ----------
    gdf
        Polygons in any CRS (usually the storage CRS, WGS 84); neighbours that share
        an edge keep sharing it (``shapely.coverage_simplify``), so no slivers open.
    tolerance_m
        Simplification tolerance in metres (applied in UTM 48N, EPSG:32648).
        ``0`` only rounds.
    decimals
        Decimal places kept on the output lon/lat (5 ≈ 1 m).

    Returns
    -------
    A new GeoDataFrame in WGS 84 with the input index and columns. Null or empty
    geometries stay as they are; non-polygons are only rounded.
    """
    out = gdf.to_crs(STORAGE_CRS) if gdf.crs is not None else gdf.set_crs(STORAGE_CRS)
    if out.empty:
        return out.copy()
    geoms = out.geometry.to_numpy()
    if tolerance_m > 0:
        metric = gdf.to_crs(METRIC_CRS).geometry.to_numpy() if gdf.crs is not None else geoms
        is_poly = shapely.get_type_id(metric) >= 0
        is_poly &= np.isin(shapely.get_type_id(metric), (3, 6))
        if is_poly.any():
            simplified = shapely.coverage_simplify(metric[is_poly], tolerance_m, simplify_boundary=True)
            back = gpd.GeoSeries(simplified, crs=METRIC_CRS).to_crs(STORAGE_CRS).to_numpy()
            geoms = geoms.copy()
            geoms[is_poly] = back
    geoms = round_coordinates(geoms, decimals=decimals)
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=STORAGE_CRS))
