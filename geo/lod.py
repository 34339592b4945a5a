"""Level of detail for the web map: each view draws one level, simplified for its zoom, unit by unit.

The city view draws the towns, a town view that town's communities, a community view its
grids (and points). Each level's polygons are simplified with ``shapely.coverage_simplify``
(topology-preserving: neighbours that share an edge keep sharing it) at the tolerance of the
view that draws them, and only the features of the one unit shown are simplified and sent,
so a view's payload and build time follow the size of that unit, not of the city.

Which features a view holds is ``geo.explore.view_units``; this module only thins their
geometry. Callers cache the result per project revision and unit (``ui.cached``). The
project passed in may be a whole project or only the unit's part of it (a partial read of a
store, ``geo.store.open_store(path).load(town=..., community=...)``): nothing here reads
outside the unit it is asked for.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.crs import round_coordinates
from geo.explore import CITY, COMMUNITY, GRID, TOWN, Selection, view_units
from geo.project import Project

# tolerance (metres) per map view: about one screen pixel at the zoom the view opens at (a county's)
TOLERANCE_M = {CITY: 60.0, TOWN: 15.0, COMMUNITY: 3.0}
PIXELS_ACROSS = 1200  # a view opens fitted to a map about this wide: places wider than a county, a coarser pixel
DECIMALS = 5  # 1e-5 degrees ≈ 1 m at Chongzhou's latitude
POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon

# the level each view draws (the units a click in it selects), for the legend and tests
VIEW_LEVEL = {CITY: TOWN, TOWN: COMMUNITY, COMMUNITY: GRID}


def simplify_coverage(gdf: gpd.GeoDataFrame, *, tolerance_m: float, decimals: int = DECIMALS,
                      simplify_boundary: bool = True) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared edges identical, then round coordinates.

    Parameters
    ----------
    gdf
        Polygons in any CRS (usually the storage CRS, WGS 84); neighbours that share
        an edge keep sharing it (``shapely.coverage_simplify``), so no slivers open.
    tolerance_m
        Simplification tolerance in metres (applied in ``geo.schema.METRIC_CRS``). ``0`` only rounds.
    decimals
        Decimal places kept on the output lon/lat (5 ≈ 1 m).
    simplify_boundary
        ``False`` keeps the outer boundary of ``gdf`` as it is (only rounded): a part of a
        larger coverage (one unit's children) then still fits its neighbours outside it.

    Returns
    -------
    A new GeoDataFrame in WGS 84 with the input index and columns. Null or empty
    geometries stay as they are; non-polygons are only rounded.
    """
    out = gdf.to_crs(s.STORAGE_CRS) if gdf.crs is not None else gdf.set_crs(s.STORAGE_CRS)
    if out.empty:
        return out.copy()
    geoms = out.geometry.to_numpy()
    if tolerance_m > 0:
        metric = gdf.to_crs(s.METRIC_CRS).geometry.to_numpy() if gdf.crs is not None else geoms
        is_poly = np.isin(shapely.get_type_id(metric), POLYGON_TYPES)
        if is_poly.any():
            simplified = shapely.coverage_simplify(metric[is_poly], tolerance_m, simplify_boundary=simplify_boundary)
            back = gpd.GeoSeries(simplified, crs=s.METRIC_CRS).to_crs(s.STORAGE_CRS).to_numpy()
            geoms = geoms.copy()
            geoms[is_poly] = back
    geoms = round_coordinates(geoms, decimals=decimals)
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=s.STORAGE_CRS))


def simplify_levels(grids: gpd.GeoDataFrame, *, tolerance_m: float,
                    simplify_boundary: bool = True) -> gpd.GeoDataFrame:
    """``simplify_coverage`` per grid level (each level is a coverage of its own; nested levels overlap)."""
    if s.LEVEL not in grids or len(grids) == 0:
        return simplify_coverage(grids, tolerance_m=tolerance_m, simplify_boundary=simplify_boundary)
    parts = [simplify_coverage(part, tolerance_m=tolerance_m, simplify_boundary=simplify_boundary)
             for _, part in grids.groupby(s.LEVEL, sort=False)]
    return pd.concat(parts).loc[grids.index]


def view_tolerance_m(units: dict[str, gpd.GeoDataFrame], *, view: str) -> float:
    """The simplification tolerance (metres) of a view holding ``units``: ``TOLERANCE_M`` of the view, or
    one pixel of a map ``PIXELS_ACROSS`` wide fitted to the units when that is coarser (a city's towns)."""
    extents = [gdf.to_crs(s.METRIC_CRS).total_bounds for gdf in units.values()
               if len(gdf) and gdf.crs is not None and gdf.geometry.notna().any()]
    if not extents:
        return TOLERANCE_M[view]
    box = np.array(extents)
    across_m = max(box[:, 2].max() - box[:, 0].min(), box[:, 3].max() - box[:, 1].min())
    return max(TOLERANCE_M[view], float(across_m) / PIXELS_ACROSS)


def view_layers(project: Project, selection: Selection) -> dict[str, gpd.GeoDataFrame]:
    """The features of ``selection``'s view (``geo.explore.view_units``), polygons simplified for its zoom.

    Each role's polygons are simplified as one coverage at the view's tolerance: the towns
    in the city view, the town's communities in a town view, the community's grids (per
    level) in a community view, and the selected unit's outline on its own (``view_tolerance_m``:
    a city wider than a county is drawn with its own coarser pixel). A view never
    draws two units' children side by side, so each unit is simplified alone (cached per
    unit by the app) and the cost follows the unit, not the city. Points and governance projects are
    sent as they are.
    """
    units = view_units(project, selection)
    tol = view_tolerance_m(units, view=selection.view)
    out: dict[str, gpd.GeoDataFrame] = {}
    for role, gdf in units.items():
        if role in ("volunteers", "service_points", "gov_projects"):  # points, or areas that may overlap
            out[role] = gdf
        elif role == "grids":
            out[role] = simplify_levels(gdf, tolerance_m=tol)
        else:
            out[role] = simplify_coverage(gdf, tolerance_m=tol)
    return out
