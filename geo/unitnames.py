"""Units named in office files: community names -> 社区代码, grid names -> 网格编码, never guessed.

Offices write 所属社区 as a name (望江社区) and 所属网格 as a name (望江社区第1网格1号微网格,
or a general grid 望江社区第1网格, or a compound name 滨江花园微网格 that two communities
share). A name that matches one unit gives its code; a name that matches none or several
is listed with its row, never guessed. Overlap inference (a unit's parent by largest
area) is ``geo.hierarchy``'s; this module only reads names and cross-checks them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.validate import INFO, WARNING, finding

# outcomes
MATCHED = "matched"
UNMATCHED = "unmatched"
AMBIGUOUS = "ambiguous"

_GENERAL_NAME = re.compile(r"^(?P<community>.*?)第(?P<n>\d{1,2})(?:个)?网格$")
_SPACE = re.compile(r"\s+")


def normalise_name(name: object) -> str:
    """A unit name for matching: whitespace removed, full-width brackets as ASCII; blank -> ``""``."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return _SPACE.sub("", str(name)).replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class Resolution:
    """Codes for a column of names: ``codes`` (None where unresolved) and the unresolved rows by outcome."""

    codes: pd.Series
    unmatched: dict[object, str] = field(default_factory=dict)  # row -> the name as written
    ambiguous: dict[object, tuple[str, list[str]]] = field(default_factory=dict)  # row -> (name, candidate codes)


def name_index(units: pd.DataFrame) -> dict[str, list[str]]:
    """Normalised name -> the codes of the units of that name (several when two units share a name)."""
    out: dict[str, list[str]] = {}
    for code, name in zip(units[s.CODE].astype(str), units[s.NAME]):
        out.setdefault(normalise_name(name), []).append(code)
    return out


def resolve_unit_names(values: pd.Series, units: pd.DataFrame) -> Resolution:
    """Resolve names (or codes) in ``values`` to the codes of ``units`` (columns ``code``, ``name``).

    A value that already is a code of ``units`` stays; a blank stays None and is not a problem.
    """
    codes_known = set(units[s.CODE].astype(str)) if len(units) else set()
    by_name = name_index(units) if len(units) else {}
    codes, unmatched, ambiguous = [], {}, {}
    for row, value in values.items():
        text = normalise_name(value)
        if not text:
            codes.append(None)
        elif text in codes_known:
            codes.append(text)
        elif len(found := by_name.get(text, [])) == 1:
            codes.append(found[0])
        else:
            codes.append(None)
            if found:
                ambiguous[row] = (str(value), sorted(found))
            else:
                unmatched[row] = str(value)
    return Resolution(pd.Series(codes, index=values.index, dtype=object), unmatched, ambiguous)


def general_grid_code(name: object, community_code: str, *, micro_codes: set[str] | frozenset[str]) -> str | None:
    """The 14-digit code of a general grid named like ``望江社区第1网格`` in community ``community_code``.

    The general grid is the set of micro-grids whose code starts with the community code and
    its 2-digit number, so the code is returned only when at least one such micro-grid exists.
    """
    match = _GENERAL_NAME.match(normalise_name(name))
    if match is None or not community_code:
        return None
    code = f"{community_code}{int(match['n']):02d}"
    return code if any(m.startswith(code) for m in micro_codes) else None


def resolve_layer_communities(gdf: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, *, layer: str,
                              file: str = "") -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Replace community names in ``gdf[community_code]`` by codes, and cross-check them against geometry.

    Each unit's representative point must lie in the community its name resolved to; a
    unit whose code does not start with that community's code is also listed. Names that
    match no community, or several, stay as written and are listed as warnings.

    Returns
    -------
    tuple
        A copy of ``gdf`` (same index) and the findings (a note with the count resolved).
    """
    if s.COMMUNITY_CODE not in gdf.columns or not len(communities):
        return gdf, []
    res = resolve_unit_names(gdf[s.COMMUNITY_CODE], communities)
    out = gdf.copy()
    resolved = res.codes.notna() & (res.codes != gdf[s.COMMUNITY_CODE].astype(object))
    out[s.COMMUNITY_CODE] = res.codes.where(res.codes.notna(), gdf[s.COMMUNITY_CODE])
    rows = []
    if resolved.any():
        rows.append(finding(INFO, "names.communities_resolved", layer, file=file, detail=int(resolved.sum())))
    for row, name in res.unmatched.items():
        rows.append(finding(WARNING, "names.community_unmatched", layer, _label(gdf, row), file=file, detail=name))
    for row, (name, codes) in res.ambiguous.items():
        rows.append(finding(WARNING, "names.community_ambiguous", layer, _label(gdf, row), file=file, detail=name,
                            related_id=", ".join(codes)))
    rows += _cross_check(out, communities, layer=layer, file=file)
    return out, rows


def _label(gdf: pd.DataFrame, row: object) -> str:
    if s.CODE in gdf.columns and gdf.loc[row, s.CODE] not in (None, ""):
        return str(gdf.loc[row, s.CODE])
    return f"#{row}"


def _cross_check(gdf: gpd.GeoDataFrame, communities: gpd.GeoDataFrame, *, layer: str, file: str) -> list[dict]:
    """Units whose point lies outside the community their name gave, or whose code has another prefix."""
    rows = []
    polys = communities.set_index(communities[s.CODE].astype(str)).geometry.to_crs(s.STORAGE_CRS)
    pts = gdf.geometry.to_crs(s.STORAGE_CRS)
    for row, code in gdf[s.COMMUNITY_CODE].items():
        code = None if code is None else str(code)
        geom = pts.loc[row]
        if code not in polys.index or geom is None or geom.is_empty:
            continue
        inside = shapely.contains_properly(polys.loc[code], shapely.point_on_surface(geom))
        if not inside:
            rows.append(finding(WARNING, "names.community_by_name_not_by_place", layer, _label(gdf, row),
                                file=file, related_id=code, geometry=geom))
        unit_code = str(gdf.loc[row, s.CODE]) if s.CODE in gdf.columns else ""
        if unit_code and len(unit_code) > len(code) and not unit_code.startswith(code):
            rows.append(finding(WARNING, "names.code_prefix_mismatch", layer, unit_code, file=file, related_id=code))
    return rows


def resolve_layer_names(layers: dict[str, gpd.GeoDataFrame], *, files: dict[str, str] | None = None
                        ) -> tuple[dict[str, gpd.GeoDataFrame], list[dict]]:
    """Resolve community names to codes in every layer below the communities (grids, points).

    Layers whose ``community_code`` already holds codes are returned unchanged (a cross-check
    still runs). Without a communities layer nothing is resolved.
    """
    communities = layers.get(s.COMMUNITIES)
    if communities is None or not len(communities):
        return dict(layers), []
    out, rows = dict(layers), []
    for layer in (s.GRIDS, s.HOUSEHOLDS, s.SERVICE_POINTS, s.VOLUNTEERS):
        gdf = layers.get(layer)
        if gdf is None or not len(gdf) or s.COMMUNITY_CODE not in gdf.columns:
            continue
        out[layer], found = resolve_layer_communities(gdf, communities, layer=layer,
                                                      file=(files or {}).get(layer, ""))
        rows += found
    return out, rows


DERIVED = "derived"  # grids column: "codes" for a general grid built from its micro-grids' codes
_MICRO_SUFFIX = re.compile(r"\d{1,2}号微网格$")


def implied_general_grids(grids: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None = None
                          ) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Add the general grids (一般网格) that micro-grid codes imply but the layer lacks.

    A 16-digit micro-grid code is 社区代码 + 2-digit general grid + 2-digit micro-grid, so
    every distinct 14-digit prefix is a general grid: its area is the union of its micro-grids,
    its households their sum, its name the micro-grids' common name (望江社区第1网格) or
    ``<社区名称>第<n>网格``. Added rows are flagged ``derived = "codes"``; micro-grids without a
    ``parent_code`` get their prefix. Layers with general grids of their own are left as they are.

    Returns
    -------
    tuple
        The grids (original rows first, index kept; new rows appended) and a note finding.
    """
    if not len(grids) or s.CODE not in grids.columns or s.LEVEL not in grids.columns:
        return grids, []
    codes = grids[s.CODE].astype(str)
    micro = (grids[s.LEVEL] == s.LEVEL_MICRO).to_numpy() & codes.str.fullmatch(r"\d{16}").to_numpy()
    if not micro.any() or (grids[s.LEVEL] == s.LEVEL_GENERAL).any():
        return grids, []
    names = dict(zip(communities[s.CODE].astype(str), communities[s.NAME])) if communities is not None and len(
        communities) and s.NAME in communities else {}
    rows = []
    sub = grids[micro]
    for prefix, group in sub.groupby(codes[micro].str[:14], sort=True):
        community = str(group[s.COMMUNITY_CODE].iloc[0]) if s.COMMUNITY_CODE in group else prefix[:12]
        name = f"{names.get(community, community)}第{int(prefix[12:14])}网格"
        stems = {_MICRO_SUFFIX.sub("", normalise_name(n)) for n in group.get(s.NAME, pd.Series(dtype=object))}
        stems = {x for x in stems if _GENERAL_NAME.match(x)}
        if len(stems) == 1:  # the micro-grids' own names say which general grid they belong to
            name = stems.pop()
        rows.append({s.CODE: prefix, s.NAME: name, s.LEVEL: s.LEVEL_GENERAL, s.COMMUNITY_CODE: community,
                     s.HOUSEHOLDS_N: int(pd.to_numeric(group.get(s.HOUSEHOLDS_N), errors="coerce").fillna(0).sum())
                     if s.HOUSEHOLDS_N in group else None,
                     DERIVED: "codes", s.GEOMETRY: shapely.coverage_union_all(group.geometry.to_numpy())})
    general = gpd.GeoDataFrame(rows, geometry=s.GEOMETRY, crs=grids.crs)
    out = grids.copy()
    parent = out[s.PARENT_CODE] if s.PARENT_CODE in out else pd.Series(None, index=out.index, dtype=object)
    out[s.PARENT_CODE] = parent.astype(object).where(parent.notna() | ~micro, codes.str[:14].where(micro))
    out[DERIVED] = None
    start = (max(out.index) + 1) if len(out) and pd.api.types.is_integer_dtype(out.index) else 0
    general.index = pd.RangeIndex(start, start + len(general))
    merged = pd.concat([out, general])
    return gpd.GeoDataFrame(merged, geometry=s.GEOMETRY, crs=grids.crs), [
        finding(INFO, "names.general_grids_from_codes", s.GRIDS, detail=len(general))]
