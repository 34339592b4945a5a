"""Walking-network distances on user-supplied road/path lines (EPSG:32648, metres).

The lines are noded where they cross (``node_crossings``; a bridge without a stair
then wrongly becomes a junction: pass ``node_crossings=False`` for such data), cut
into straight segments and turned into an undirected graph whose nodes are the
segment ends rounded to ``snap_m``. A point (service point or household) joins the
network at its projection on the nearest segment, if that is within ``max_snap_m``;
the straight access leg counts as walking. Distances from many service points at
once are one multi-source Dijkstra (``scipy.sparse.csgraph``) from a virtual source.

The *service area* of a radius is the reachable part of the network (partial
segments included) buffered by ``corridor_m`` on each side: the land a walker on
those paths can reach, a documented approximation of the area within walking
distance.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from geo.crs import to_metric_crs
from geo.errors import EmptyLayerError, GeoInputError, MissingCRSError, UnsupportedGeometryError

DEFAULT_CORRIDOR_M = 50.0
DEFAULT_MAX_SNAP_M = 300.0
DEFAULT_SNAP_M = 0.5
_EPS = 1e-9


@dataclass(frozen=True)
class _Pieces:
    """Graph edges as straight pieces: ends ``a``/``b`` (node ids), coordinates and lengths."""

    a: np.ndarray
    b: np.ndarray
    xy: np.ndarray  # (n, 4): x0, y0, x1, y1
    length: np.ndarray
    n_nodes: int

    def lines(self) -> np.ndarray:
        return shapely.linestrings(self.xy.reshape(-1, 2, 2))


@dataclass(frozen=True)
class WalkNetwork:
    """A walking network of straight segments in a metric CRS.

    Build it with ``network_from_lines`` or ``read_network``.
    """

    seg_xy: np.ndarray  # (m, 4)
    seg_u: np.ndarray
    seg_v: np.ndarray
    n_nodes: int
    corridor_m: float = DEFAULT_CORRIDOR_M
    max_snap_m: float = DEFAULT_MAX_SNAP_M

    @property
    def length_m(self) -> float:
        """Total length of the network in metres."""
        xy = self.seg_xy
        return float(np.hypot(xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1]).sum())

    def _segments(self) -> np.ndarray:
        return shapely.linestrings(self.seg_xy.reshape(-1, 2, 2))

    def _snap(self, xy: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest line per point within ``max_snap_m``: (point index, line index, fraction, distance)."""
        pts = shapely.points(xy)
        (p_idx, l_idx), dist = shapely.STRtree(lines).query_nearest(
            pts, max_distance=self.max_snap_m, return_distance=True, all_matches=False)
        frac = shapely.line_locate_point(lines[l_idx], pts[p_idx], normalized=True)
        return p_idx, l_idx, np.clip(frac, 0.0, 1.0), dist

    def _split_at_sites(self, site_xy: np.ndarray) -> tuple[_Pieces, np.ndarray, np.ndarray]:
        """Pieces with each snapped site as a node; returns pieces, site node ids, access lengths."""
        n_seg = len(self.seg_xy)
        p_idx, s_idx, frac, dist = self._snap(site_xy, self._segments())
        site_nodes = self.n_nodes + np.arange(len(p_idx))
        seg_all = np.concatenate([np.arange(n_seg), np.arange(n_seg), s_idx])
        t_all = np.concatenate([np.zeros(n_seg), np.ones(n_seg), frac])
        node_all = np.concatenate([self.seg_u, self.seg_v, site_nodes])
        order = np.lexsort((t_all, seg_all))
        seg_all, t_all, node_all = seg_all[order], t_all[order], node_all[order]
        same = seg_all[:-1] == seg_all[1:]
        seg, t0, t1 = seg_all[:-1][same], t_all[:-1][same], t_all[1:][same]
        a, b = node_all[:-1][same], node_all[1:][same]
        xy = _sub(self.seg_xy[seg], t0, t1)
        length = np.hypot(xy[:, 2] - xy[:, 0], xy[:, 3] - xy[:, 1])
        pieces = _Pieces(a, b, xy, length, self.n_nodes + len(p_idx))
        return pieces, site_nodes, dist

    def _node_distances(self, site_xy: np.ndarray, limit_m: float) -> tuple[_Pieces, np.ndarray]:
        """Walking distance (metres) from the nearest site to every node of the split graph."""
        pieces, site_nodes, access = self._split_at_sites(np.asarray(site_xy, dtype=float).reshape(-1, 2))
        source = pieces.n_nodes
        u = np.concatenate([pieces.a, np.full(len(site_nodes), source)])
        v = np.concatenate([pieces.b, site_nodes])
        w = np.maximum(np.concatenate([pieces.length, access]), _EPS)
        graph = _min_edge_graph(u, v, w, source + 1)
        if len(site_nodes) == 0:
            return pieces, np.full(source, np.inf)
        dist = dijkstra(graph, directed=False, indices=source, limit=limit_m)
        return pieces, dist[:source]

    def distances(self, site_xy: np.ndarray, target_xy: np.ndarray, *, max_distance_m: float) -> np.ndarray:
        """Walking distance (metres) from each target to its nearest site; ``inf`` beyond the maximum.

        Targets and sites farther than ``max_snap_m`` from the network are unreachable.
        """
        target_xy = np.asarray(target_xy, dtype=float).reshape(-1, 2)
        out = np.full(len(target_xy), np.inf)
        if len(target_xy) == 0 or len(np.asarray(site_xy).reshape(-1, 2)) == 0 or len(self.seg_xy) == 0:
            return out
        pieces, node_d = self._node_distances(site_xy, max_distance_m)
        p_idx, l_idx, frac, access = self._snap(target_xy, pieces.lines())
        along = frac * pieces.length[l_idx]
        via_a = node_d[pieces.a[l_idx]] + along
        via_b = node_d[pieces.b[l_idx]] + pieces.length[l_idx] - along
        d = access + np.minimum(via_a, via_b)
        out[p_idx] = d
        out[out > max_distance_m] = np.inf
        return out

    def reachable_lines(self, site_xy: np.ndarray, radius_m: float) -> np.ndarray:
        """The parts of the network within ``radius_m`` walking of a site, as LineStrings."""
        if len(np.asarray(site_xy).reshape(-1, 2)) == 0 or len(self.seg_xy) == 0:
            return np.array([], dtype=object)
        pieces, node_d = self._node_distances(site_xy, radius_m)
        length = pieces.length
        from_a = np.clip(radius_m - node_d[pieces.a], 0.0, length)
        from_b = np.clip(radius_m - node_d[pieces.b], 0.0, length)
        whole = (from_a + from_b >= length) & (np.isfinite(node_d[pieces.a]) | np.isfinite(node_d[pieces.b]))
        xy = pieces.xy
        parts = [xy[whole]]
        part_a = ~whole & (from_a > 0)
        parts.append(_sub(xy[part_a], np.zeros(part_a.sum()), from_a[part_a] / length[part_a]))
        part_b = ~whole & (from_b > 0)
        parts.append(_sub(xy[part_b], 1.0 - from_b[part_b] / length[part_b], np.ones(part_b.sum())))
        out = np.vstack(parts)
        return shapely.linestrings(out.reshape(-1, 2, 2)) if len(out) else np.array([], dtype=object)

    def service_area(self, site_xy: np.ndarray, radius_m: float) -> shapely.Geometry | None:
        """The reachable network within ``radius_m`` buffered by ``corridor_m`` (a polygon, metres).

        Returns None when nothing is reachable.
        """
        lines = self.reachable_lines(site_xy, radius_m)
        if len(lines) == 0:
            return None
        return shapely.union_all(shapely.buffer(lines, self.corridor_m, quad_segs=4))


def _sub(xy: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Sub-segments from fraction ``t0`` to ``t1`` of segments ``xy`` (n, 4)."""
    x0, y0, x1, y1 = xy.T
    dx, dy = x1 - x0, y1 - y0
    return np.column_stack([x0 + dx * t0, y0 + dy * t0, x0 + dx * t1, y0 + dy * t1])


def _min_edge_graph(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Sparse undirected graph keeping the shortest of parallel edges (coo would sum them)."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    lo, hi, w = lo[keep], hi[keep], w[keep]
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return sp.csr_matrix((w[first], (lo[first], hi[first])), shape=(n, n))


def network_from_lines(lines: np.ndarray | gpd.GeoSeries, *, snap_m: float = DEFAULT_SNAP_M,
                       node_crossings: bool = True, corridor_m: float = DEFAULT_CORRIDOR_M,
                       max_snap_m: float = DEFAULT_MAX_SNAP_M) -> WalkNetwork:
    """Build a walking network from (Multi)LineStrings in a metric CRS (metres).

    Parameters
    ----------
    snap_m
        Segment ends closer than about this are one node (coordinates rounded to it).
    node_crossings
        Split lines where they cross so that crossings become junctions.

    Raises
    ------
    EmptyLayerError
        When there is no line with a length.
    """
    geoms = np.asarray(lines.values if isinstance(lines, gpd.GeoSeries) else lines, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if node_crossings and len(geoms):
        geoms = np.asarray(shapely.get_parts(shapely.node(shapely.multilinestrings(
            shapely.get_parts(geoms)))), dtype=object)
    coords, owner = shapely.get_coordinates(shapely.get_parts(geoms), return_index=True)
    consecutive = owner[:-1] == owner[1:]
    seg_xy = np.column_stack([coords[:-1][consecutive], coords[1:][consecutive]])
    ends = np.round(seg_xy.reshape(-1, 2) / snap_m).astype(np.int64)
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.reshape(-1, 2)
    keep = node[:, 0] != node[:, 1]
    if not keep.any():
        msg = "the network has no line with a length"
        raise EmptyLayerError(msg, file="(network)")
    return WalkNetwork(seg_xy[keep], node[keep, 0], node[keep, 1], int(node.max()) + 1,
                       corridor_m=corridor_m, max_snap_m=max_snap_m)


def read_network(path: str | Path, *, layer: str | None = None, corridor_m: float = DEFAULT_CORRIDOR_M,
                 max_snap_m: float = DEFAULT_MAX_SNAP_M) -> WalkNetwork:
    """Read road/path lines from any GDAL vector format and build a ``WalkNetwork`` in EPSG:32648.

    Raises
    ------
    GeoInputError
        ``coverage.network_unreadable`` when GDAL cannot read the file; ``MissingCRSError``
        without a CRS; ``UnsupportedGeometryError`` for non-line features (ids listed);
        ``EmptyLayerError`` for no lines.
    """
    path = Path(path)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # GDAL raises several types
        msg = f"cannot read network {path}: {exc}"
        raise GeoInputError(msg, code="coverage.network_unreadable", file=str(path), detail=str(exc)) from exc
    if len(gdf) == 0:
        msg = f"{path} has no features"
        raise EmptyLayerError(msg, file=str(path))
    if gdf.crs is None:
        msg = f"{path} has no CRS"
        raise MissingCRSError(msg, file=str(path))
    kinds = shapely.get_type_id(gdf.geometry.values)
    bad = ~np.isin(kinds, [1, 5])  # LineString, MultiLineString
    if bad.any():
        ids = [int(i) for i in np.flatnonzero(bad)]
        msg = f"{path}: features {ids[:10]} are not lines"
        first = gdf.geometry.values[ids[0]]
        geom_type = "None" if first is None else str(first.geom_type)
        raise UnsupportedGeometryError(msg, file=str(path), ids=ids, geom_type=geom_type,
                                       expected="LineString")
    return network_from_lines(to_metric_crs(gdf).geometry, corridor_m=corridor_m, max_snap_m=max_snap_m)
