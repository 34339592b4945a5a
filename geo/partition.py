"""Partition building blocks: Voronoi cells, cell adjacency, region growing, contiguity and noding.

All functions work on plain shapely geometry arrays in a projected (metric) CRS; they
know nothing of layers or schema columns. ``geo.autogrid`` and the demo builder use them.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np
import shapely


def voronoi_cells(xy: np.ndarray, parent: shapely.Geometry) -> np.ndarray:
    """One cell per site: the Voronoi diagram of ``xy`` clipped to ``parent``.

    Parameters
    ----------
    xy
        ``(n, 2)`` array of *distinct* site coordinates (metres), all inside ``parent``.
    parent
        The polygon (or multipolygon) to tile, same CRS as ``xy``.

    Returns
    -------
    numpy.ndarray
        ``n`` geometries in site order; each may be multipart after clipping.
        Together they tile ``parent``.
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) == 0:
        return np.array([], dtype=object)
    if len(xy) == 1:
        return np.array([parent], dtype=object)
    diagram = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=parent, ordered=True)
    cells = np.array(shapely.get_parts(diagram), dtype=object)
    if len(cells) != len(xy):
        msg = f"Voronoi returned {len(cells)} cells for {len(xy)} sites (duplicate sites?)"
        raise ValueError(msg)
    shapely.prepare(parent)
    return shapely.intersection(cells, parent)


def explode_owned(cells: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split cells into polygon parts and say which site owns each part.

    Returns
    -------
    parts
        Polygon array.
    owner
        Site index for the part that holds the site, ``-1`` for detached fragments.
    """
    parts, index = shapely.get_parts(cells, return_index=True)
    keep = shapely.area(parts) > 0  # drop degenerate slivers from clipping
    parts, index = parts[keep], index[keep]
    owner = np.full(len(parts), -1, dtype=np.int64)
    pts = shapely.points(xy[index])
    holds = shapely.intersects(parts, pts)
    owner[holds] = index[holds]
    # a site on a shared vertex of two parts of its own cell: keep the first part only
    seen: set[int] = set()
    for k in np.flatnonzero(owner >= 0):
        if owner[k] in seen:
            owner[k] = -1
        seen.add(int(owner[k]))
    return parts, owner


def adjacency(polys: np.ndarray, *, min_shared: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of polygons sharing a boundary of positive length.

    Returns
    -------
    i, j, length
        Index pairs with ``i < j`` and the shared boundary length (CRS units, metres).
    """
    polys = np.asarray(polys, dtype=object)
    if len(polys) < 2:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    tree = shapely.STRtree(polys)
    i, j = tree.query(polys, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    bounds = shapely.boundary(polys)
    length = shapely.length(shapely.intersection(bounds[i], bounds[j]))
    ok = length > min_shared
    return i[ok], j[ok], length[ok]


def neighbour_table(n: int, i: np.ndarray, j: np.ndarray, length: np.ndarray) -> list[dict[int, float]]:
    """Adjacency lists ``[{neighbour: shared_length}]`` for ``n`` nodes."""
    table: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, w in zip(i.tolist(), j.tolist(), length.tolist()):
        table[a][b] = table[a].get(b, 0.0) + w
        table[b][a] = table[b].get(a, 0.0) + w
    return table


def grow_regions(centres: np.ndarray, neighbours: list[dict[int, float]],
                 seeds: list[tuple[int, int, float]]) -> np.ndarray:
    """Competitive region growing: each seed claims nodes at its own speed.

    Regions are contiguous by construction (a node is claimed only from a node its
    region already holds). Nodes that no seed reaches get ``-1``.

    Parameters
    ----------
    centres
        ``(n, 2)`` node coordinates (metres) used for travel distance.
    neighbours
        Adjacency lists from ``neighbour_table``.
    seeds
        ``(node, label, speed)``; a larger speed grows a larger region.
    """
    labels = np.full(len(centres), -1, dtype=np.int64)
    heap: list[tuple[float, int, int, float]] = []
    for order, (node, label, speed) in enumerate(seeds):
        heapq.heappush(heap, (0.0, order, node, label, speed))  # type: ignore[arg-type]
    while heap:
        t, order, node, label, speed = heapq.heappop(heap)  # type: ignore[misc]
        if labels[node] >= 0:
            continue
        labels[node] = label
        for nb in neighbours[node]:
            if labels[nb] < 0:
                step = float(np.hypot(*(centres[nb] - centres[node]))) / speed
                heapq.heappush(heap, (t + step, order, nb, label, speed))  # type: ignore[arg-type]
    return labels


def components(nodes: list[int], neighbours: list[dict[int, float]]) -> list[list[int]]:
    """Connected components of the subgraph induced by ``nodes`` (each sorted)."""
    inside = set(nodes)
    seen: set[int] = set()
    out: list[list[int]] = []
    for start in sorted(inside):
        if start in seen:
            continue
        comp, stack = [], [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            comp.append(node)
            for nb in neighbours[node]:
                if nb in inside and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        out.append(sorted(comp))
    return out


def fill_unlabelled(labels: np.ndarray, neighbours: list[dict[int, float]]) -> np.ndarray:
    """Give each ``-1`` node the label it shares the longest boundary with (repeated until stable)."""
    out = labels.copy()
    while True:
        todo = np.flatnonzero(out < 0)
        changed = False
        for node in todo.tolist():
            shared: dict[int, float] = defaultdict(float)
            for nb, w in neighbours[node].items():
                if out[nb] >= 0:
                    shared[int(out[nb])] += w
            if shared:
                out[node] = max(sorted(shared), key=lambda lab: shared[lab])
                changed = True
        if not changed:
            return out


def make_contiguous(labels: np.ndarray, neighbours: list[dict[int, float]],
                    weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Reassign detached pieces of a label to the neighbour label they share most boundary with.

    The component with the largest weight (then most nodes) keeps the label. Returns the
    new labels and how many pieces moved. Pieces with no labelled neighbour keep theirs.
    """
    out = labels.copy()
    moved = 0
    for _ in range(10):
        changed = False
        by_label: dict[int, list[int]] = defaultdict(list)
        for node, lab in enumerate(out.tolist()):
            if lab >= 0:
                by_label[lab].append(node)
        for lab in sorted(by_label):
            comps = components(by_label[lab], neighbours)
            if len(comps) < 2:
                continue
            comps.sort(key=lambda c: (-float(weights[c].sum()), -len(c), c[0]))
            for comp in comps[1:]:
                shared: dict[int, float] = defaultdict(float)
                for node in comp:
                    for nb, w in neighbours[node].items():
                        if out[nb] != lab and out[nb] >= 0:
                            shared[int(out[nb])] += w
                if shared:
                    out[comp] = max(sorted(shared), key=lambda other: shared[other])
                    moved += 1
                    changed = True
        if not changed:
            break
    return out, moved


def dissolve(parts: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Union of ``parts`` per label ``0..n_labels-1`` (empty geometry for unused labels)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    out = np.empty(n_labels, dtype=object)
    starts = np.searchsorted(sorted_labels, np.arange(n_labels), side="left")
    ends = np.searchsorted(sorted_labels, np.arange(n_labels), side="right")
    for lab in range(n_labels):
        members = parts[order[starts[lab]:ends[lab]]]
        if len(members) == 0:
            out[lab] = shapely.Polygon()
        elif len(members) == 1:
            out[lab] = members[0]
        else:
            out[lab] = shapely.union_all(members)
    return out


def node_coverage(geoms: np.ndarray, *, tolerance: float = 1e-6) -> np.ndarray:
    """Insert into every polygon the vertices of the other polygons that lie on its edges.

    Adjacent polygons built separately (e.g. Voronoi cells clipped to different parents)
    share boundaries with different vertices (T-junctions), which
    ``shapely.coverage_is_valid`` rejects and coordinate rounding turns into slivers.
    After noding, shared boundaries carry identical vertices on both sides.

    Parameters
    ----------
    tolerance
        Snap distance in CRS units; keep it far below any real feature size.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return geoms.copy()
    coords = np.unique(shapely.get_coordinates(geoms), axis=0)
    tree = shapely.STRtree(shapely.points(coords))
    owner, vertex = tree.query(shapely.boundary(geoms), predicate="dwithin", distance=tolerance)
    order = np.lexsort((vertex, owner))
    owner, vertex = owner[order], vertex[order]
    starts = np.searchsorted(owner, np.arange(len(geoms)), side="left")
    ends = np.searchsorted(owner, np.arange(len(geoms)), side="right")
    out = geoms.copy()
    for k in range(len(geoms)):
        near = coords[vertex[starts[k]:ends[k]]]
        if len(near):
            out[k] = shapely.snap(geoms[k], shapely.multipoints(near), tolerance)
    return out
