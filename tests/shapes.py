"""A named catalogue of tricky geometries (shapely style), in UTM 48N metres near Chongzhou.

Each entry is built by code; ``as_lonlat`` moves one to WGS 84 for files that need degrees.
"""
from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

X0, Y0 = 400_000.0, 3_390_000.0  # near Chongzhou in EPSG:32648


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """An axis-aligned box offset from the catalogue origin (metres)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


SHAPES = {
    # a plain 100 m square, counter-clockwise exterior: the control case
    "square": box(0, 0, 100, 100),
    # the same square with a clockwise exterior: valid, only the winding is "wrong"
    "square_cw": shapely.Polygon(list(box(0, 0, 100, 100).exterior.coords)[::-1]),
    # bow-tie: the ring crosses itself at the centre (Self-intersection)
    "bow_tie": shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100), (X0, Y0)]),
    # zero-area sliver: a ring that folds back on itself
    "sliver": shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 50, Y0), (X0, Y0)]),
    # a hole touching its shell at one point: valid (OGC allows a single touch)
    "hole_touching_shell": shapely.Polygon(
        list(box(0, 0, 100, 100).exterior.coords),
        [[(X0, Y0 + 50), (X0 + 50, Y0 + 25), (X0 + 50, Y0 + 75), (X0, Y0 + 50)]]),
    # a hole outside its shell: invalid (Hole lies outside shell)
    "hole_outside_shell": shapely.Polygon(
        list(box(0, 0, 100, 100).exterior.coords), [list(box(200, 0, 250, 50).exterior.coords)]),
    # two separate squares as one feature: valid MultiPolygon (a grid split by a road)
    "multipolygon": shapely.MultiPolygon([box(0, 0, 100, 100), box(200, 0, 300, 100)]),
    # an empty polygon
    "empty": shapely.Polygon(),
    # a square with a height on every vertex
    "square_3d": shapely.force_3d(box(0, 0, 100, 100), 500.0),
    # a line where a polygon is expected
    "line": shapely.LineString([(X0, Y0), (X0 + 100, Y0 + 100)]),
}

_TO_WGS = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)


def as_lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    """The geometry transformed from UTM 48N to WGS 84 lon/lat (z kept)."""
    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = _TO_WGS.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat, coords[:, 2:]])

    return shapely.transform(geom, move, include_z=bool(shapely.has_z(geom)))
