"""Findings: the rows of an import/check report (severity, catalogue code, layer, feature, geometry).

A finding is a plain dict built by ``finding``; ``findings_frame`` turns a list of
them into the report GeoDataFrame (storage CRS), which is both the report table and
the map layer of problem spots. ``finding_text`` renders one row in zh or en.
"""
from __future__ import annotations

import math
from typing import Any

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.crs import to_metric_crs
from geo.hierarchy import (
    OVERLAP_BUDGET_S, bounded_intersections, make_valid_bounded, overlap_pairs, rough_outline, tangled,
)
from geo.messages import message, t
from geo.unitkinds import find_unknown_kinds

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

FINDING_COLUMNS = ("severity", "code", "layer", "file", "feature_id", "related_id", "detail", "area_m2")

ID_COLUMNS = {
    s.TOWNS: s.CODE, s.COMMUNITIES: s.CODE, s.GRIDS: s.CODE, s.HOUSEHOLDS: s.CODE,
    s.VOLUNTEERS: s.VOLUNTEER_ID, s.SERVICE_POINTS: s.POINT_ID, s.GOV_PROJECTS: s.PROJECT_ID,
}


def id_column(layer: str) -> str:
    """The ID column of a layer (``code``, ``volunteer_id`` or ``point_id``)."""
    return ID_COLUMNS.get(layer, s.CODE)


def feature_ids(gdf: pd.DataFrame, layer: str, mask: np.ndarray) -> list[str]:
    """IDs of the rows where ``mask`` is true, for messages: the ID column, or ``#row`` (1-based) when blank."""
    col = id_column(layer)
    rows = np.flatnonzero(mask)
    if col in gdf.columns:
        return [str(v) if v not in (None, "") else f"#{i + 1}" for v, i in zip(gdf[col].iloc[rows], rows)]
    return [f"#{i + 1}" for i in rows]


def finding(severity: str, code: str, layer: str, feature_id: object = None, *, related_id: object = None,
            detail: object = "", area_m2: float = math.nan, file: str = "", geometry: Any = None) -> dict:
    """One report row. ``code`` is a catalogue key; ``geometry`` in the storage CRS (or None)."""
    return {
        "severity": severity, "code": code, "layer": layer, "file": file or "",
        "feature_id": None if feature_id is None else str(feature_id),
        "related_id": None if related_id is None else str(related_id),
        "detail": "" if detail is None else str(detail),
        "area_m2": float(area_m2) if area_m2 is not None else math.nan,
        "geometry": geometry,
    }


def findings_frame(rows: list[dict], *, crs: str = s.STORAGE_CRS) -> gpd.GeoDataFrame:
    """The report as a GeoDataFrame (geometries in ``crs``), errors first, then by layer and code."""
    if not rows:
        empty = {c: pd.Series(dtype=object) for c in FINDING_COLUMNS}
        empty["area_m2"] = pd.Series(dtype=float)
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs))
    df = pd.DataFrame(rows)
    df["_order"] = df["severity"].map({v: i for i, v in enumerate(SEVERITIES)})
    df = df.sort_values(["_order", "layer", "code", "feature_id"], kind="stable").drop(columns="_order")
    df = df.reset_index(drop=True)
    for col in ("file", "feature_id", "related_id", "detail"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(df["geometry"], crs=crs))


def has_errors(findings: pd.DataFrame) -> bool:
    """True when any finding has severity ``error``."""
    return bool(len(findings)) and bool((findings["severity"] == ERROR).any())


def _context(row: dict | pd.Series) -> dict:
    area = row.get("area_m2")
    return {
        "layer": row.get("layer") or "", "file": row.get("file") or row.get("layer") or "",
        "feature_id": row.get("feature_id") if row.get("feature_id") not in (None, "") else "?",
        "related_id": row.get("related_id") or "", "detail": row.get("detail") or "",
        "area_m2": "" if area is None or (isinstance(area, float) and math.isnan(area)) else f"{area:,.0f}",
    }


def finding_text(row: dict | pd.Series, lang: str = "zh", *, front: str = "cli") -> str:
    """The localised sentence for one finding: what, where (file, feature id) and what to do in ``front``."""
    return message(str(row["code"]), lang, front=front, **_context(row))


def findings_table(findings: pd.DataFrame, lang: str = "zh", *, front: str = "cli") -> pd.DataFrame:
    """A plain table for CSV/display: localised headers, message text, representative lon/lat."""
    geoms = gpd.GeoSeries(findings.geometry if "geometry" in findings else [None] * len(findings),
                          crs=s.STORAGE_CRS)
    points = geoms.copy()
    has_geom = geoms.notna() & ~geoms.is_empty
    points[has_geom] = geoms[has_geom].representative_point()
    lon = [p.x if has and p is not None else None for p, has in zip(points, has_geom)]
    lat = [p.y if has and p is not None else None for p, has in zip(points, has_geom)]
    out = pd.DataFrame({
        "severity": [t(f"check.severity.{v}", lang) for v in findings["severity"]],
        "code": list(findings["code"]),
        "message": [finding_text(row, lang, front=front) for _, row in findings.iterrows()],
        "layer": list(findings["layer"]), "file": list(findings["file"]),
        "feature_id": list(findings["feature_id"]), "related_id": list(findings["related_id"]),
        "detail": list(findings["detail"]),
        "area_m2": [round(a, 1) if a == a else None for a in findings["area_m2"]],
        "lon": [round(v, 6) if v is not None else None for v in lon],
        "lat": [round(v, 6) if v is not None else None for v in lat],
    })
    return out.rename(columns={c: t(f"check.col.{c}", lang) for c in out.columns})


# =====================================================================================
# The hierarchy and topology check
# =====================================================================================

DEFAULT_TOLERANCE_M2 = 50.0
SLIVER_WIDTH_M = 0.5  # gaps/overlaps thinner than this on average are rounding slivers, not planning errors
SLIVER_CODES = ("check.gap", "check.overlap", "check.sticks_out")
DEFAULT_FAR_M = 2000.0
POLYGON_TYPES = (3, 6)  # shapely type ids: Polygon, MultiPolygon
POINT_TYPES = (0,)
_POLYGON_LAYERS = (s.TOWNS, s.COMMUNITIES, s.GRIDS)
_POINT_LAYERS = (s.HOUSEHOLDS, s.VOLUNTEERS, s.SERVICE_POINTS)
# grid levels that sit directly under a community (their union should tile it)
COMMUNITY_LEVELS = (s.LEVEL_GENERAL, s.LEVEL_DEDICATED, s.LEVEL_MASTER)
# sets of grid levels whose members must not overlap each other
SIBLING_LEVEL_SETS = ((s.LEVEL_GENERAL, s.LEVEL_DEDICATED), (s.LEVEL_MICRO, s.LEVEL_DEDICATED))


def _labels(gdf: pd.DataFrame, layer: str) -> np.ndarray:
    """Feature ids for messages: the ID column, or ``#row`` (1-based) when it is blank."""
    col = id_column(layer)
    values = gdf[col].to_numpy(dtype=object) if col in gdf.columns else np.full(len(gdf), None, dtype=object)
    return np.array([str(v) if v is not None and v == v and str(v) != "" else f"#{i + 1}"
                     for i, v in enumerate(values)], dtype=object)


def find_geometry_problems(gdf: gpd.GeoDataFrame, layer: str, *, file: str = "") -> list[dict]:
    """Null, empty, invalid (with ``is_valid_reason``), 3-D and wrongly typed geometries of one layer."""
    geoms = gdf.geometry.to_numpy()
    labels = _labels(gdf, layer)
    rows = []
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        rows.append(finding(ERROR, "check.null_geometry", layer, labels[i], file=file))
    for i in np.flatnonzero(empty):
        rows.append(finding(ERROR, "check.empty_geometry", layer, labels[i], file=file))
    present = ~missing & ~empty
    allowed = POLYGON_TYPES if layer in _POLYGON_LAYERS else POINT_TYPES
    if layer == s.GOV_PROJECTS:  # a project is a place or an area
        allowed = (*POINT_TYPES, *POLYGON_TYPES)
    wrong = present & ~np.isin(shapely.get_type_id(geoms), allowed)
    for i in np.flatnonzero(wrong):
        rows.append(finding(ERROR, "check.unsupported_type", layer, labels[i], file=file,
                            detail=geoms[i].geom_type, geometry=geoms[i]))
    invalid = present & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        rows.append(finding(ERROR, "check.invalid_geometry", layer, labels[i], file=file, detail=reason,
                            geometry=_reason_spot(reason, geoms[i])))
    for i in np.flatnonzero(present & shapely.has_z(geoms)):
        rows.append(finding(WARNING, "check.has_z", layer, labels[i], file=file))
    return rows


def _reason_spot(reason: str, geom: object) -> object:
    """The point named in an ``is_valid_reason`` ("Self-intersection[103.1 30.2]") or the geometry."""
    if "[" in reason and reason.endswith("]"):
        try:
            x, y = (float(v) for v in reason[reason.index("[") + 1:-1].split()[:2])
            return shapely.Point(x, y)
        except ValueError:
            pass
    return geom


def find_id_problems(gdf: pd.DataFrame, layer: str, *, file: str = "") -> list[dict]:
    """Missing and duplicate IDs (error): every feature needs a unique ID to be assigned and exported."""
    col = id_column(layer)
    if col not in gdf.columns:
        return [finding(ERROR, "check.no_id_column", layer, file=file, detail=col)]
    values = pd.Series(gdf[col].to_numpy(dtype=object))
    blank = values.isna() | (values.astype(str).str.strip() == "")
    rows = [finding(ERROR, "check.missing_id", layer, f"#{i + 1}", file=file) for i in np.flatnonzero(blank)]
    dup = values[~blank & values.duplicated(keep=False)]
    for value, group in dup.groupby(dup.astype(str)).groups.items():
        rows.append(finding(ERROR, "check.duplicate_id", layer, value, file=file,
                            detail=", ".join(f"#{i + 1}" for i in group)))
    return rows


def _usable(gdf_metric: gpd.GeoDataFrame) -> np.ndarray:
    """Geometries safe for overlay: missing/empty -> None, invalid -> made valid (copy only, bounded in time:
    ``geo.hierarchy.make_valid_bounded``)."""
    geoms = gdf_metric.geometry.to_numpy().copy()
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms[bad] = None
    return make_valid_bounded(geoms, method="structure", keep_collapsed=False)


def _code_index(parent_codes: np.ndarray) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, code in enumerate(parent_codes):
        if code is not None and code == code and str(code) != "":
            index.setdefault(str(code), i)
    return index


def find_parent_problems(child_m: gpd.GeoDataFrame, parent_m: gpd.GeoDataFrame, *, child_layer: str,
                         parent_layer: str, codes: np.ndarray | None, tolerance_m2: float,
                         file: str = "") -> tuple[list[dict], np.ndarray]:
    """Check that each child lies in exactly one parent; return findings and each child's parent position.

    Both frames are in the same metric CRS. The parent is the one named by the child's
    parent code (``codes[i]``, e.g. its ``town_code``) when it has one, else the parent with the largest overlap. A
    conflict is reported when the code names one parent and the geometry lies mostly in
    another; the part of a child outside its parent above ``tolerance_m2`` is reported.

    Returns
    -------
    findings, parent_pos
        ``parent_pos[i]`` is the position in ``parent_m`` of child ``i``'s parent, -1 when none.
    """
    child = _usable(child_m)
    parent = _usable(parent_m)
    labels = _labels(child_m, child_layer)
    plabels = _labels(parent_m, parent_layer)
    child_area = shapely.area(child)
    child_area = np.where(np.isnan(child_area), 0.0, child_area)
    pairs = overlap_pairs(child, parent)
    best = pairs.sort_values(["child", "area"], ascending=[True, False]).drop_duplicates("child")
    geo_parent = np.full(len(child), -1)
    geo_parent[best["child"].to_numpy()] = best["parent"].to_numpy()
    overlap = {(c, p): a for c, p, a in pairs.itertuples(index=False)}
    if codes is None:
        codes = np.full(len(child), None, dtype=object)
    by_code = _code_index(parent_m[id_column(parent_layer)].to_numpy(dtype=object)) \
        if id_column(parent_layer) in parent_m else {}
    rows: list[dict] = []
    parent_pos = geo_parent.copy()
    for i in range(len(child)):
        if child[i] is None:
            continue
        code = codes[i]
        has_code = code is not None and code == code and str(code) != ""
        if has_code and str(code) not in by_code:
            rows.append(finding(ERROR, "check.unknown_parent", child_layer, labels[i], related_id=code,
                                file=file, detail=parent_layer))
            continue
        if has_code:
            pos = by_code[str(code)]
            parent_pos[i] = pos
            if geo_parent[i] not in (-1, pos) and overlap.get((i, pos), 0.0) < 0.5 * child_area[i]:
                rows.append(finding(ERROR, "check.parent_conflict", child_layer, labels[i], related_id=code,
                                    file=file, detail=plabels[geo_parent[i]], geometry=child[i]))
                continue
        elif geo_parent[i] == -1:
            rows.append(finding(ERROR, "check.no_parent", child_layer, labels[i], file=file,
                                detail=parent_layer, area_m2=child_area[i], geometry=child[i]))
            continue
        outside = child_area[i] - overlap.get((i, parent_pos[i]), 0.0)
        if outside > tolerance_m2:
            spot = shapely.difference(child[i], parent[parent_pos[i]]) if parent[parent_pos[i]] is not None \
                else child[i]
            rows.append(finding(ERROR, "check.sticks_out", child_layer, labels[i],
                                related_id=plabels[parent_pos[i]], file=file, area_m2=outside, geometry=spot))
    return rows, parent_pos


def find_overlaps(gdf_m: gpd.GeoDataFrame, layer: str, *, tolerance_m2: float, file: str = "",
                  budget_s: float = OVERLAP_BUDGET_S) -> list[dict]:
    """Pairs of features in one sibling set that overlap by more than ``tolerance_m2`` (metric CRS).

    Candidate pairs come from a spatial index. Pairs left when ``budget_s`` seconds are spent are
    measured on ``geo.hierarchy.rough_outline`` shapes (a ``guards.overlap_limited``
    note says how many); pairs left after twice that are not measured (``guards.overlap_unmeasured``).
    """
    geoms = _usable(gdf_m)
    labels = _labels(gdf_m, layer)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if not len(a):
        return []
    shared, rough, unmeasured = bounded_intersections(geoms[a], geoms[b], budget_s=budget_s)
    area = np.nan_to_num(shapely.area(shared), nan=0.0)
    rows = []
    if rough:
        rows.append(finding(INFO, "guards.overlap_limited", layer, file=file, detail=rough,
                            related_id=f"{budget_s:g}"))
    if unmeasured:
        rows.append(finding(WARNING, "guards.overlap_unmeasured", layer, file=file, detail=unmeasured,
                            related_id=f"{2 * budget_s:g}"))
    for k in np.flatnonzero(area > tolerance_m2):
        rows.append(finding(ERROR, "check.overlap", layer, labels[a[k]], related_id=labels[b[k]], file=file,
                            area_m2=area[k], geometry=shared[k]))
    return rows


def find_gaps(children_m: gpd.GeoDataFrame, parent_m: gpd.GeoDataFrame, parent_pos: np.ndarray, *,
              child_layer: str, parent_layer: str, tolerance_m2: float, file: str = "") -> list[dict]:
    """Parts of each parent not covered by its children, above ``tolerance_m2`` (metric CRS).

    Only parents with at least one child are checked for gaps; parents with none get a
    ``check.no_children`` warning.
    """
    parent = _usable(parent_m)
    child = _usable(children_m)
    plabels = _labels(parent_m, parent_layer)
    rows = []
    order = pd.Series(np.arange(len(child))).groupby(parent_pos).apply(list)
    for pos in range(len(parent)):
        if parent[pos] is None:
            continue
        members = [child[i] for i in order.get(pos, []) if child[i] is not None]
        if not members:
            rows.append(finding(WARNING, "check.no_children", parent_layer, plabels[pos], file=file,
                                detail=child_layer, area_m2=shapely.area(parent[pos])))
            continue
        if tangled(np.array(members, dtype=object)):
            rows.append(finding(INFO, "guards.gaps_rough", parent_layer, plabels[pos], file=file, detail=child_layer))
            members = [rough_outline(m) for m in members]
        covered = shapely.union_all(members)
        gap = shapely.difference(parent[pos], covered)
        for part in shapely.get_parts(gap):
            area = shapely.area(part)
            if area > tolerance_m2 and shapely.get_type_id(part) in POLYGON_TYPES:
                rows.append(finding(ERROR, "check.gap", parent_layer, plabels[pos], file=file,
                                    detail=child_layer, area_m2=area, geometry=part))
    return rows


def find_points_outside(points_m: gpd.GeoDataFrame, polygons_m: gpd.GeoDataFrame, *, layer: str,
                        polygon_layer: str, far_m: float = DEFAULT_FAR_M, file: str = "") -> list[dict]:
    """Points not covered by any polygon (warning); ``check.point_far_outside`` beyond ``far_m`` metres."""
    pts = points_m.geometry.to_numpy()
    present = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    polys = _usable(polygons_m)
    polys_present = polys[~shapely.is_missing(polys)]
    if not present.any() or not len(polys_present):
        return []
    tree = shapely.STRtree(polys_present)
    idx = np.flatnonzero(present)
    hit, _ = tree.query(pts[idx], predicate="covered_by")
    inside = np.zeros(len(pts), dtype=bool)
    inside[idx[hit]] = True
    outside = np.flatnonzero(present & ~inside)
    if not len(outside):
        return []
    nearest = tree.query_nearest(pts[outside], return_distance=True, all_matches=False)
    dist = np.zeros(len(outside))
    dist[nearest[0][0]] = nearest[1]
    labels = _labels(points_m, layer)
    rows = []
    for k, i in enumerate(outside):
        code = "check.point_far_outside" if dist[k] > far_m else "check.point_outside"
        rows.append(finding(WARNING, code, layer, labels[i], file=file, detail=f"{dist[k]:.0f}",
                            related_id=polygon_layer, geometry=pts[i]))
    return rows


def _blank(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or v != v or str(v).strip() == "" for v in values], dtype=bool)


def _codes(gdf: pd.DataFrame, *columns: str) -> np.ndarray:
    """Per row, the first non-blank value among ``columns`` (parent codes), else None."""
    out = np.full(len(gdf), None, dtype=object)
    for col in columns:
        if col in gdf.columns:
            values = gdf[col].to_numpy(dtype=object)
            fill = _blank(out) & ~_blank(values)
            out[fill] = values[fill]
    return out


def _hierarchy(child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame, codes: np.ndarray, *, child_layer: str,
               parent_layer: str, tolerance_m2: float, file: str, parent_file: str) -> list[dict]:
    rows, parent_pos = find_parent_problems(child, parent, child_layer=child_layer, parent_layer=parent_layer,
                                            codes=codes, tolerance_m2=tolerance_m2, file=file)
    rows += find_gaps(child, parent, parent_pos, child_layer=child_layer, parent_layer=parent_layer,
                      tolerance_m2=tolerance_m2, file=parent_file)
    return rows


def _grid_checks(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None, *, tolerance_m2: float,
                 files: Mapping[str, str]) -> list[dict]:
    file = files.get(s.GRIDS, s.GRIDS)
    levels = grids[s.LEVEL].to_numpy(dtype=object) if s.LEVEL in grids else np.full(len(grids), None)
    labels = _labels(grids, s.GRIDS)
    rows = [finding(ERROR, "check.unknown_level", s.GRIDS, labels[i], file=file, detail=levels[i])
            for i in np.flatnonzero(~np.isin(levels, s.GRID_LEVELS))]
    top = grids[np.isin(levels, COMMUNITY_LEVELS)]
    micro = grids[levels == s.LEVEL_MICRO]
    general = grids[levels == s.LEVEL_GENERAL]
    if communities is not None and len(top):
        rows += _hierarchy(top, communities, _codes(top, s.PARENT_CODE, s.COMMUNITY_CODE), child_layer=s.GRIDS,
                           parent_layer=s.COMMUNITIES, tolerance_m2=tolerance_m2, file=file,
                           parent_file=files.get(s.COMMUNITIES, s.COMMUNITIES))
    if len(micro) and len(general):
        rows += _hierarchy(micro, general, _codes(micro, s.PARENT_CODE), child_layer=s.GRIDS,
                           parent_layer=s.GRIDS, tolerance_m2=tolerance_m2, file=file, parent_file=file)
    elif len(micro) and communities is not None:
        rows += _hierarchy(micro, communities, _codes(micro, s.COMMUNITY_CODE, s.PARENT_CODE),
                           child_layer=s.GRIDS, parent_layer=s.COMMUNITIES, tolerance_m2=tolerance_m2,
                           file=file, parent_file=files.get(s.COMMUNITIES, s.COMMUNITIES))
    for level_set in SIBLING_LEVEL_SETS:
        siblings = grids[np.isin(levels, level_set)]
        if len(siblings) > 1:
            rows += find_overlaps(siblings, s.GRIDS, tolerance_m2=tolerance_m2, file=file)
    unknown = find_unknown_kinds(grids)
    rows += [finding(WARNING, "check.unit_kind_unknown", s.GRIDS, labels[grids.index.get_loc(i)], file=file,
                     detail=kind) for i, kind in unknown[s.KIND].items()]
    return _dedupe(rows)


def _dedupe(rows: list[dict]) -> list[dict]:
    """Drop repeated overlap findings (a dedicated grid is in two sibling sets)."""
    seen, out = set(), []
    for row in rows:
        key = (row["code"], row["layer"], row["feature_id"], row["related_id"], row["detail"])
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def check_layers(layers: Mapping[str, gpd.GeoDataFrame], *, files: Mapping[str, str] | None = None,
                 tolerance_m2: float = DEFAULT_TOLERANCE_M2, far_m: float = DEFAULT_FAR_M,
                 crs_metric: str = s.METRIC_CRS) -> gpd.GeoDataFrame:
    """The hierarchy and topology report for a set of layers.

    Parameters
    ----------
    layers
        ``geo.schema`` layer name -> GeoDataFrame (any CRS; areas are measured in ``crs_metric``).
    files
        Layer name -> source file name, used in the messages.
    tolerance_m2
        Overlaps, gaps and parts sticking out of a parent smaller than this (m²) are ignored.
    far_m
        Points farther than this (m) from every polygon get ``check.point_far_outside``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per finding: severity (error/warning), code (catalogue key), layer, file,
        feature_id, related_id, detail, area_m2 and geometry (the problem spot, WGS 84).
    """
    files = {name: (files or {}).get(name) or name for name in s.SPATIAL_LAYERS}
    present = {n: g for n, g in layers.items() if n in s.SPATIAL_LAYERS and g is not None and len(g)}
    metric = {n: to_metric_crs(g, crs_metric=crs_metric) for n, g in present.items()}
    per_feature: list[dict] = []  # geometries in the storage CRS, so reasons name lon/lat
    for name, gdf in present.items():
        per_feature += find_geometry_problems(gdf.to_crs(s.STORAGE_CRS), name, file=files[name])
        per_feature += find_id_problems(gdf, name, file=files[name])
    rows: list[dict] = []
    towns, communities, grids = (metric.get(n) for n in (s.TOWNS, s.COMMUNITIES, s.GRIDS))
    for name in (s.TOWNS, s.COMMUNITIES):
        if metric.get(name) is not None:
            rows += find_overlaps(metric[name], name, tolerance_m2=tolerance_m2, file=files[name])
    if towns is not None and communities is not None:
        rows += _hierarchy(communities, towns, _codes(communities, s.TOWN_CODE), child_layer=s.COMMUNITIES,
                           parent_layer=s.TOWNS, tolerance_m2=tolerance_m2, file=files[s.COMMUNITIES],
                           parent_file=files[s.TOWNS])
    if grids is not None:
        rows += _grid_checks(grids, communities, tolerance_m2=tolerance_m2, files=files)
    finest = next((metric[n] for n in (s.GRIDS, s.COMMUNITIES, s.TOWNS) if n in metric), None)
    finest_name = next((n for n in (s.GRIDS, s.COMMUNITIES, s.TOWNS) if n in metric), "")
    for name in _POINT_LAYERS:
        if name in metric and finest is not None:
            rows += find_points_outside(metric[name], finest, layer=name, polygon_layer=finest_name,
                                        far_m=far_m, file=files[name])
    spots = findings_frame(mark_slivers(rows), crs=crs_metric).to_crs(s.STORAGE_CRS)
    return findings_frame([*per_feature, *spots.to_dict("records")])


def mark_slivers(rows: list[dict], *, width_m: float = SLIVER_WIDTH_M) -> list[dict]:
    """Turn gaps, overlaps and parts sticking out that are thinner than ``width_m`` into ``check.sliver`` infos.

    Boundaries converted from GCJ-02/BD-09 or rounded to 6 decimals meet within centimetres, which
    leaves long hair-thin slivers whose area can pass any area tolerance; their mean width
    (area / half the perimeter, metric CRS) tells them apart from real planning errors.
    """
    out = []
    for row in rows:
        geom = row.get("geometry")
        if row["code"] in SLIVER_CODES and geom is not None and not shapely.is_empty(geom):
            parts = shapely.get_parts(geom)
            parts = parts[np.isin(shapely.get_type_id(parts), POLYGON_TYPES)]  # lines on a shared edge have no width
            half_perimeter = shapely.length(parts).sum() / 2
            if half_perimeter > 0 and shapely.area(parts).sum() / half_perimeter < width_m:
                row = {**row, "severity": INFO, "code": "check.sliver", "detail": row["code"]}
        out.append(row)
    return out


def check_project(project: object, *, tolerance_m2: float = DEFAULT_TOLERANCE_M2,
                  far_m: float = DEFAULT_FAR_M) -> gpd.GeoDataFrame:
    """``check_layers`` on a ``geo.project.Project``, naming each layer's source file from its meta."""
    sources = getattr(project, "meta", {}).get("sources", {}) or {}
    files = {name: (info or {}).get("file", name) for name, info in sources.items() if isinstance(info, dict)}
    return check_layers(project.layers, files=files, tolerance_m2=tolerance_m2, far_m=far_m)


def report_csv_bytes(findings: pd.DataFrame, lang: str = "zh") -> bytes:
    """The report as CSV bytes in UTF-8 with BOM (Excel on Chinese Windows opens it correctly)."""
    return findings_table(findings, lang).to_csv(index=False).encode("utf-8-sig")


def summary_counts(findings: pd.DataFrame) -> dict[str, int]:
    """Number of findings per severity: ``{"errors": .., "warnings": .., "infos": ..}``."""
    counts = findings["severity"].value_counts() if len(findings) else pd.Series(dtype=int)
    return {"errors": int(counts.get(ERROR, 0)), "warnings": int(counts.get(WARNING, 0)),
            "infos": int(counts.get(INFO, 0))}
