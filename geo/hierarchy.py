"""The unit tree of a project: town → community → grid (general → micro), its leaves and its parents.

This module is the one place that answers "which town and community is this grid in?" and
"which grids are leaves?". Every page, export, print and command reads the hierarchy from
``grid_tree`` (no geometry needed) and ``complete_hierarchy`` writes missing parents once.

Parents of a grid, in order of trust
------------------------------------
1. its own ``community_code`` / ``town_code`` columns;
2. its ``parent_code`` chain (a micro-grid under a general grid inherits the general grid's
   community; a ``parent_code`` that names a community is that community);
3. its community's ``town_code`` (a grid never needs its own town code);
4. ``complete_hierarchy`` only: the parent polygon with the largest overlap, written into the
   layer and flagged in the ``parent_source`` column (``overlap``), so ``check`` and the QA report
   can show what was inferred.

A *leaf grid* is a grid no other grid names as its ``parent_code``, excluding community master
grids (社区总网格, which cover the same households as the community's other grids). Household
counts are summed over leaf grids only, so a household is never counted twice.
"""
from __future__ import annotations

import time
import weakref
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.crs import to_metric_crs
from geo.messages import t
from geo.project import Project

PARENT_SOURCE = "parent_source"  # "code" (given), "chain" (from a parent's code), "overlap" (inferred)
SOURCE_CODE, SOURCE_CHAIN, SOURCE_OVERLAP = "code", "chain", "overlap"
TREE_COLUMNS = (s.NAME, s.LEVEL, s.KIND, s.PARENT_CODE, s.COMMUNITY_CODE, s.TOWN_CODE, "is_leaf", s.HOUSEHOLDS_N)
MIN_OVERLAP_SHARE = 0.5  # an inferred parent must hold at least this share of the child's area
ROUGH_VERTICES = 64  # outlines used where exact overlay would take minutes (spike polygons)
REPAIR_MAX_VERTICES = 5000  # invalid shapes larger than this are repaired on a rough outline
TANGLE_VERTICES = 5000  # above this, detailed shapes piled on each other are unioned on rough outlines
TANGLE_STACK = 8.0  # ... when their boxes cover their joint box more than this many times over
OVERLAP_BUDGET_S = 5.0  # exact intersections for this long per call, then rough outlines, then none


def text_or_none(value: Any) -> str | None:
    """``value`` as stripped text; None for missing values and empty text."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    out = str(value).strip()
    return out or None


def _text_column(gdf: pd.DataFrame, column: str) -> pd.Series:
    if column not in gdf.columns:
        return pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    return gdf[column].map(text_or_none).astype(object)


def community_towns(project: Project) -> pd.Series:
    """Each community code → its town code (None when unknown)."""
    comms = project.layer(s.COMMUNITIES)
    if s.CODE not in comms.columns or len(comms) == 0:
        return pd.Series(dtype=object)
    return pd.Series(_text_column(comms, s.TOWN_CODE).to_numpy(), index=comms[s.CODE].astype(str).to_numpy())


_TREES: dict[int, tuple] = {}  # id(grids frame) -> (grids ref, communities ref, tree)


def grid_tree(project: Project) -> pd.DataFrame:
    """Every grid with its resolved parents, indexed by grid code (the layer's order).

    Columns: ``name``, ``level``, ``kind``, ``parent_code``, ``community_code``, ``town_code``
    (resolved by the rules in the module docstring), ``is_leaf`` and ``households`` (float, NaN
    when the layer has no count). Built once per pair of grid and community layers (layers
    are read-only by contract; a changed project has new frames) and returned as a copy.
    """
    grids, comms = project.layer(s.GRIDS), project.layer(s.COMMUNITIES)
    memo = _TREES.get(id(grids))
    if memo is None or memo[0]() is not grids or memo[1]() is not comms:
        key = id(grids)
        memo = (weakref.ref(grids, lambda _ref, k=key: _TREES.pop(k, None)), weakref.ref(comms), _grid_tree(project))
        _TREES[key] = memo
    return memo[2].copy()


def _grid_tree(project: Project) -> pd.DataFrame:
    grids = project.layer(s.GRIDS)
    if s.CODE not in grids.columns or len(grids) == 0:
        return pd.DataFrame(columns=list(TREE_COLUMNS), index=pd.Index([], name=s.CODE, dtype=object))
    codes = grids[s.CODE].astype(str).to_numpy()
    level = grids[s.LEVEL].astype(str).to_numpy() if s.LEVEL in grids.columns else np.full(len(grids), "")
    parent = np.array(_text_column(grids, s.PARENT_CODE), dtype=object)
    community = np.array(_text_column(grids, s.COMMUNITY_CODE), dtype=object)
    town = np.array(_text_column(grids, s.TOWN_CODE), dtype=object)
    comm_codes = set(project.layer(s.COMMUNITIES)[s.CODE].astype(str)) if s.CODE in project.layer(
        s.COMMUNITIES).columns else set()
    grid_pos = {c: i for i, c in enumerate(codes)}
    # a parent_code naming a community is the community
    for i in np.flatnonzero(pd.isna(community)):
        if parent[i] is not None and parent[i] in comm_codes:
            community[i] = parent[i]
    # follow the parent chain upwards for grids still without a community (bounded: no cycles)
    for _ in range(8):
        missing = [i for i in np.flatnonzero(pd.isna(community)) if parent[i] in grid_pos]
        if not missing:
            break
        for i in missing:
            community[i] = community[grid_pos[parent[i]]]
    towns_of = community_towns(project).to_dict()  # a dict: ~100x faster per lookup than a Series
    for i in range(len(codes)):
        if community[i] is not None and towns_of.get(community[i]) is not None:
            town[i] = towns_of[community[i]]  # the community's town wins: one tree
        elif town[i] is None and parent[i] in grid_pos:
            town[i] = town[grid_pos[parent[i]]]
    has_child = pd.Index(codes, dtype=object).isin([p for p in parent if p is not None and p in grid_pos])  # object: pandas 3 str isin is per-value slow
    households = (pd.to_numeric(grids[s.HOUSEHOLDS_N], errors="coerce").to_numpy(dtype=float)
                  if s.HOUSEHOLDS_N in grids.columns else np.full(len(grids), np.nan))
    return pd.DataFrame({
        s.NAME: grids[s.NAME].astype(str).to_numpy() if s.NAME in grids.columns else codes,
        s.LEVEL: level,
        s.KIND: _text_column(grids, s.KIND).to_numpy(),
        s.PARENT_CODE: parent, s.COMMUNITY_CODE: community, s.TOWN_CODE: town,
        "is_leaf": ~has_child & (level != s.LEVEL_MASTER),
        s.HOUSEHOLDS_N: households,
    }, index=pd.Index(codes, name=s.CODE))


def grid_descendants(tree: pd.DataFrame) -> dict[str, list[str]]:
    """Each grid code → itself and every grid below it (following ``parent_code``)."""
    parent = {c: p for c, p in tree[s.PARENT_CODE].items() if p is not None and p in tree.index and p != c}
    out: dict[str, list[str]] = {c: [c] for c in tree.index}
    for code in tree.index:
        seen, cur = {code}, parent.get(code)
        while cur is not None and cur not in seen:
            out[cur].append(code)
            seen.add(cur)
            cur = parent.get(cur)
    return out


def unit_grid_codes(tree: pd.DataFrame, *, level: str, code: str | None) -> list[str]:
    """Codes of the grids inside one unit: a town, a community, a grid (itself and below) or the city."""
    if level == "city" or code is None:
        return tree.index.tolist()
    if level == "town":
        return tree.index[tree[s.TOWN_CODE] == str(code)].tolist()
    if level == "community":
        return tree.index[tree[s.COMMUNITY_CODE] == str(code)].tolist()
    return grid_descendants(tree).get(str(code), [])


def unit_children_codes(project: Project, tree: pd.DataFrame, *, level: str, code: str | None) -> tuple[str, list[str]]:
    """The child level and child codes of one unit, as maps and atlases show them.

    City → towns; town → its communities; community → its top grids (grids whose parent is not
    a grid of the community: general, dedicated, or micro-grids directly under the community);
    grid → its child grids.
    """
    if level == "city":
        towns = project.layer(s.TOWNS)
        return "town", towns[s.CODE].astype(str).tolist() if s.CODE in towns.columns else []
    if level == "town":
        towns_of = community_towns(project)
        return "community", towns_of.index[towns_of == str(code)].tolist()
    if level == "community":
        mine = tree[tree[s.COMMUNITY_CODE] == str(code)]
        top = mine[~mine[s.PARENT_CODE].isin(set(mine.index)) & (mine[s.LEVEL] != s.LEVEL_MASTER)]
        return "grid", top.index.tolist()
    return "grid", tree.index[tree[s.PARENT_CODE] == str(code)].tolist()


# --- inference: parents written into the layers ----------------------------------------------

def bounded_intersections(left: np.ndarray, right: np.ndarray, *,
                          budget_s: float = OVERLAP_BUDGET_S) -> tuple[np.ndarray, int, int]:
    """``left[k] ∩ right[k]`` for every k (metric CRS), bounded in time.

    Exact for ``budget_s`` seconds, then on ``rough_outline`` shapes for another ``budget_s``, then
    not computed (None). Returns the shapes, the number of rough and of uncomputed pairs. Spike
    polygons that cross each other thousands of times cost seconds per exact pair.
    """
    shared = np.full(len(left), None, dtype=object)
    started, rough, simple = time.monotonic(), 0, {}
    for k in range(len(left)):
        spent = time.monotonic() - started
        if spent <= budget_s:
            shared[k] = shapely.intersection(left[k], right[k])
            continue
        if spent > 2 * budget_s:
            return shared, rough, len(left) - k
        pair = []
        for geom in (left[k], right[k]):
            if id(geom) not in simple:
                simple[id(geom)] = rough_outline(geom)
            pair.append(simple[id(geom)])
        shared[k] = shapely.intersection(*pair)
        rough += 1
    return shared, rough, 0


def overlap_pairs(child: np.ndarray, parent: np.ndarray) -> pd.DataFrame:
    """Every (child, parent) pair of geometries (metric CRS) that intersect, with the shared area in m²."""
    ok = ~(shapely.is_missing(child) | shapely.is_empty(child))
    if not ok.any() or len(parent) == 0:
        return pd.DataFrame({"child": [], "parent": [], "area": []})
    ci, pi = shapely.STRtree(parent).query(child, predicate="intersects")
    area = np.nan_to_num(shapely.area(bounded_intersections(child[ci], parent[pi])[0])) if len(ci) else np.array([])
    return pd.DataFrame({"child": ci, "parent": pi, "area": area})


def largest_overlap(child: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each child geometry (metric CRS), the position of the parent with the largest shared area.

    Returns ``(position, share)``: position -1 and share 0 where a child touches no parent;
    ``share`` is the shared area over the child's area.
    """
    pos = np.full(len(child), -1)
    share = np.zeros(len(child))
    pairs = overlap_pairs(child, parent)
    if len(pairs) == 0:
        return pos, share
    best = pairs.sort_values(["child", "area"], ascending=[True, False]).drop_duplicates("child")
    kids = best["child"].to_numpy(dtype=int)
    child_area = shapely.area(child[kids])
    pos[kids] = best["parent"].to_numpy(dtype=int)
    with np.errstate(invalid="ignore", divide="ignore"):
        share[kids] = np.where(child_area > 0, best["area"].to_numpy() / child_area, 0.0)
    return pos, share


def rough_outline(geom: Any, *, max_vertices: int = ROUGH_VERTICES) -> Any:
    """``geom`` with about ``max_vertices`` vertices (at least 4 per part), valid: a coarse stand-in.

    Each part's exterior ring keeps every k-th vertex (holes are dropped); a part whose thinned
    ring is not a valid polygon becomes the convex hull of the kept vertices; the parts are then
    unioned. Used where an exact overlay or repair would take minutes (spike polygons). GEOS
    simplifiers and ``make_valid`` of the whole shape are no use here: on overlapping
    self-intersecting parts they take as long as the overlay.
    """
    total = shapely.get_num_coordinates(geom)
    if total <= max_vertices:
        return geom
    parts = shapely.get_parts(geom)
    per_part = max(4, max_vertices // max(len(parts), 1))
    pieces = []
    for part in parts:
        ring = shapely.get_coordinates(shapely.get_exterior_ring(part))[:-1]
        kept = ring[::-(-len(ring) // per_part)] if len(ring) else ring
        piece = shapely.Polygon(kept) if len(kept) >= 3 else None
        if piece is None or not shapely.is_valid(piece):
            piece = shapely.convex_hull(shapely.multipoints(kept)) if len(kept) else None
        if piece is not None and shapely.get_type_id(piece) == 3:
            pieces.append(piece)
    return shapely.union_all(pieces) if pieces else shapely.Polygon()


def tangled(geoms: np.ndarray, *, max_vertices: int = TANGLE_VERTICES, max_stack: float = TANGLE_STACK) -> bool:
    """Whether overlaying ``geoms`` together (a union) could take minutes: detailed shapes piled on each other.

    True when they hold more than ``max_vertices`` vertices and their bounding boxes, summed, cover
    their joint bounding box more than ``max_stack`` times over (a tessellation covers it 1–3 times;
    overlapping spike polygons dozens of times). Cheap: counts and boxes only.
    """
    present = geoms[~shapely.is_missing(geoms)]
    if len(present) < 2 or int(shapely.get_num_coordinates(present).sum()) <= max_vertices:
        return False
    boxes = shapely.bounds(present)
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    joint = (boxes[:, 2].max() - boxes[:, 0].min()) * (boxes[:, 3].max() - boxes[:, 1].min())
    return bool(joint > 0 and (width * height).sum() > max_stack * joint)


def make_valid_bounded(geoms: np.ndarray, **options: Any) -> np.ndarray:
    """``shapely.make_valid(**options)`` of the invalid geometries (a copy), bounded in time.

    An invalid geometry of more than ``REPAIR_MAX_VERTICES`` vertices (e.g. a general grid collected
    from overlapping spike polygons) is repaired on its ``rough_outline``: ``make_valid`` of the full
    shape can run for minutes. Checks report such a geometry as invalid either way.
    """
    out = geoms.copy()
    bad = ~shapely.is_missing(out) & ~shapely.is_valid(out)
    huge = bad & (shapely.get_num_coordinates(out) > REPAIR_MAX_VERTICES)
    for i in np.flatnonzero(huge):
        out[i] = rough_outline(out[i], max_vertices=REPAIR_MAX_VERTICES // 10)
    rest = bad & ~huge
    if rest.any():
        out[rest] = shapely.make_valid(out[rest], **options)
    return out


def _valid_metric(gdf: pd.DataFrame, crs_metric: str) -> np.ndarray:
    return make_valid_bounded(to_metric_crs(gdf, crs_metric=crs_metric).geometry.to_numpy())


def _infer(child: pd.DataFrame, parent: pd.DataFrame, column: str, *, crs_metric: str) -> tuple[pd.Series, pd.Series]:
    """Fill ``child[column]`` (text codes) from the largest-overlap parent where it is missing."""
    values = _text_column(child, column)
    source = pd.Series(np.where(values.notna(), SOURCE_CODE, None), index=child.index, dtype=object)
    todo = values.isna().to_numpy()
    if not todo.any() or len(parent) == 0 or s.CODE not in parent.columns:
        return values, source
    pos, share = largest_overlap(_valid_metric(child[todo], crs_metric), _valid_metric(parent, crs_metric))
    codes = parent[s.CODE].astype(str).to_numpy()
    found = (pos >= 0) & (share >= MIN_OVERLAP_SHARE)
    idx = child.index[todo]
    values.loc[idx[found]] = codes[pos[found]]
    source.loc[idx[found]] = SOURCE_OVERLAP
    return values, source


def complete_hierarchy(project: Project, *, crs_metric: str = s.METRIC_CRS) -> tuple[Project, pd.DataFrame]:
    """Write every missing parent code into the layers; return the project and what was inferred.

    Communities without ``town_code`` get the town they overlap most; grids without a
    community (after following codes and the ``parent_code`` chain) get the community they
    overlap most, micro-grids without ``parent_code`` the general grid of their community they
    overlap most; every grid's ``town_code`` is its community's. Inferred values are flagged
    ``overlap`` in ``parent_source``. A unit that overlaps no parent by half its area keeps no
    parent (``check`` reports it as ``check.no_parent``).

    Returns
    -------
    project, inferred
        ``inferred`` has one row per written value: layer, code, column, value, source.
    """
    rows: list[dict[str, Any]] = []
    towns, comms, grids = (project.layer(n) for n in (s.TOWNS, s.COMMUNITIES, s.GRIDS))
    if len(comms) and s.CODE in comms.columns:
        values, source = _infer(comms, towns, s.TOWN_CODE, crs_metric=crs_metric)
        comms = comms.assign(**{s.TOWN_CODE: values.to_numpy(), PARENT_SOURCE: source.to_numpy()})
        rows += [{"layer": s.COMMUNITIES, "code": str(c), "column": s.TOWN_CODE, "value": v, "source": SOURCE_OVERLAP}
                 for c, v, src in zip(comms[s.CODE], values, source) if src == SOURCE_OVERLAP]
        project = project.with_layer(s.COMMUNITIES, comms)
    if len(grids) and s.CODE in grids.columns:
        project, grid_rows = _complete_grids(project, grids, comms, crs_metric=crs_metric)
        rows += grid_rows
    return project, pd.DataFrame(rows, columns=["layer", "code", "column", "value", "source"])


def _complete_grids(project: Project, grids: pd.DataFrame, comms: pd.DataFrame, *,
                    crs_metric: str) -> tuple[Project, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    tree = grid_tree(project)
    community = pd.Series(tree[s.COMMUNITY_CODE].to_numpy(), index=grids.index, dtype=object)
    given = _text_column(grids, s.COMMUNITY_CODE)
    source = pd.Series(np.where(given.notna(), SOURCE_CODE, np.where(community.notna(), SOURCE_CHAIN, None)),
                       index=grids.index, dtype=object)
    top = grids[community.isna().to_numpy()]
    if len(top):
        values, src = _infer(top.assign(**{s.COMMUNITY_CODE: None}), comms, s.COMMUNITY_CODE, crs_metric=crs_metric)
        community.loc[top.index] = values
        source.loc[top.index] = src
    level = grids[s.LEVEL].astype(str) if s.LEVEL in grids.columns else pd.Series("", index=grids.index)
    parent = _text_column(grids, s.PARENT_CODE)
    orphans = grids[(level == s.LEVEL_MICRO) & parent.isna()]
    general = grids[level == s.LEVEL_GENERAL]
    if len(orphans) and len(general):
        values, src = _infer(orphans, general, s.PARENT_CODE, crs_metric=crs_metric)
        same = [v is not None and community.get(i) == community.get(general.index[general[s.CODE].astype(str) == v][0])
                for i, v in zip(orphans.index, values)]
        keep = pd.Series(same, index=orphans.index)
        parent.loc[orphans.index[keep.to_numpy()]] = values[keep]
        for i in orphans.index[keep.to_numpy() & (src == SOURCE_OVERLAP).to_numpy()]:
            source.loc[i] = SOURCE_OVERLAP
            rows.append({"layer": s.GRIDS, "code": str(grids.at[i, s.CODE]), "column": s.PARENT_CODE,
                         "value": parent.loc[i], "source": SOURCE_OVERLAP})
    still = parent.isna() & community.notna()
    parent.loc[still] = community[still]  # a grid with no parent grid hangs under its community
    towns_of = community_towns(project)
    town = community.map(lambda c: towns_of.get(c) if c is not None else None)
    town = town.where(town.notna(), _text_column(grids, s.TOWN_CODE))
    for i in grids.index[(source == SOURCE_OVERLAP).to_numpy() & community.notna().to_numpy()]:
        rows.append({"layer": s.GRIDS, "code": str(grids.at[i, s.CODE]), "column": s.COMMUNITY_CODE,
                     "value": community.loc[i], "source": SOURCE_OVERLAP})
    out = grids.assign(**{s.COMMUNITY_CODE: community.to_numpy(), s.TOWN_CODE: town.to_numpy(),
                          s.PARENT_CODE: parent.to_numpy(), PARENT_SOURCE: source.to_numpy()})
    return project.with_layer(s.GRIDS, out), rows


# --- the project's own place --------------------------------------------------------------------

def place_code(project: Project) -> str | None:
    """The county/city code of the project: settings ``place_code``, else the towns' common 6-digit prefix."""
    given = text_or_none(project.settings.get("place_code"))
    if given:
        return given
    for layer in (s.TOWNS, s.COMMUNITIES):
        gdf = project.layer(layer)
        if s.CODE in gdf.columns and len(gdf):
            prefixes = {str(c)[:6] for c in gdf[s.CODE].dropna() if len(str(c)) >= 6}
            if len(prefixes) == 1:
                return prefixes.pop()
    return None


def place_name(project: Project) -> str | None:
    """The project's own place name (市/县), from settings ``place_name`` (None when never given).

    Pages and prints show ``geo.messages`` ``place.unnamed`` (with ``place_code``) when it is None;
    the name is never a constant of the code.
    """
    return text_or_none(project.settings.get("place_name")) or text_or_none(project.meta.get("city_name"))


def place_label(project: Project, lang: str = "zh") -> str:
    """The project's place as a title: its name (``place_name_en`` in English when given), else from the codes."""
    name = (lang == "en" and text_or_none(project.settings.get("place_name_en"))) or place_name(project)
    if name:
        return name
    code = place_code(project)
    return t("place.unnamed", lang, code=code) if code else t("place.unnamed_nocode", lang)
