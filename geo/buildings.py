"""Buildings (楼栋): the building points with their micro-grid, compound kind and heads (楼栋长/单元长).

The building points are the household layer (``schema.BUILDINGS`` is ``schema.HOUSEHOLDS``).
A building belongs to the micro-grid named in its ``grid_code`` column, else to the micro-grid
that covers it (``geo.assign.assign_points``, the one point-in-grid rule). Its kind (小区/林盘/
院落) is its own ``kind``, else its grid's. A 楼栋长/单元长 is a volunteer whose post (roster
职务) starts with one of ``schema.BUILDING_POSTS``; the building they head is their
``building_code`` (a code, or a building name within their grid), else the building of their
grid whose name their remark (备注, e.g. "负责润泽公寓3栋") mentions.
"""
from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import schema as s
from geo.assign import assign_points
from geo.organisations import building_organisations
from geo.project import Project
from geo.unitnames import normalise_name

POST = "post"  # volunteers: 职务 as written (geo.roster_import.POST)
REMARK_COLUMNS = ("备注", "remark", "remarks", "note")  # free text that may name the building a head serves
HEAD_COLUMNS = (s.VOLUNTEER_ID, s.NAME, s.PHONE, s.WORK_PHONE, s.PHONE_CONSENT, POST, s.BUILDING_CODE,
                s.GRID_CODE)
ROSTER_COLUMNS = (s.GRID_CODE, s.CODE, s.NAME, s.ADDRESS, s.HOUSEHOLDS_N, s.KIND, "head_id", "head_name",
                  "head_post", s.PHONE, "organisations")


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text, blanks and NaN as None."""
    out = values.astype(object).where(values.notna(), None)
    return out.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())


def _home_grids(project: Project) -> gpd.GeoDataFrame:
    """The grids buildings are placed in: micro-grids, else the leaf grids of any level."""
    grids = project.layer(s.GRIDS)
    if len(grids) == 0 or s.CODE not in grids.columns:
        return grids
    if s.LEVEL in grids.columns and (grids[s.LEVEL] == s.LEVEL_MICRO).any():
        return grids[grids[s.LEVEL] == s.LEVEL_MICRO]
    parents = set(_text(grids.get(s.PARENT_CODE, pd.Series(None, index=grids.index))).dropna())
    return grids[~grids[s.CODE].astype(str).isin(parents)]


def buildings_table(project: Project) -> gpd.GeoDataFrame:
    """The buildings with ``BUILDING_COLUMNS`` filled (index kept; WGS 84).

    ``grid_code``: the building's own when it names a grid of the project, else the micro-grid
    covering the point (None outside every grid); ``kind``: its own, else its grid's.
    """
    bld = project.layer(s.BUILDINGS)
    out = bld.copy()
    for col in s.BUILDING_COLUMNS:
        if col not in out.columns:
            out[col] = None if col != s.HOUSEHOLDS_N else np.nan
    if len(out) == 0:
        return out
    grids = project.layer(s.GRIDS)
    known = set(grids[s.CODE].astype(str)) if s.CODE in grids.columns else set()
    own = _text(out[s.GRID_CODE])
    own = own.where(own.isin(known), None)
    missing = own.isna()
    home = _home_grids(project)
    if missing.any() and len(home):
        placed = assign_points(out[missing], home.to_crs(out.crs), id_col=s.CODE, max_distance_m=0.0)
        own.loc[missing] = placed[s.GRID_CODE].to_numpy()
    out[s.GRID_CODE] = own
    kinds = pd.Series(_text(grids[s.KIND]).to_numpy(), index=grids[s.CODE].astype(str)) if (
        s.KIND in grids.columns and len(grids)) else pd.Series(dtype=object)
    kinds = kinds[~kinds.index.duplicated()]
    out[s.KIND] = _text(out[s.KIND]).fillna(own.map(kinds))
    out[s.HOUSEHOLDS_N] = pd.to_numeric(out[s.HOUSEHOLDS_N], errors="coerce")
    return out


def is_building_post(post: object) -> bool:
    """True for a 职务 naming a building head (楼栋长, 单元长, with or without suffixes)."""
    text = normalise_name(post)
    return bool(text) and any(text.startswith(normalise_name(p)) for p in s.BUILDING_POSTS)


def _grid_of_people(project: Project, vols: pd.DataFrame) -> pd.Series:
    """Each person's grid: their assignment in the active scenario, else their ``grid_code`` column."""
    own = _text(vols[s.GRID_CODE]) if s.GRID_CODE in vols.columns else pd.Series(None, index=vols.index)
    rows = project.assignments()
    if len(rows):
        first = rows.drop_duplicates(s.VOLUNTEER_ID).set_index(rows.drop_duplicates(s.VOLUNTEER_ID)[
            s.VOLUNTEER_ID].astype(str))[s.GRID_CODE]
        assigned = vols[s.VOLUNTEER_ID].astype(str).map(first)
        own = own.fillna(assigned.astype(object).where(assigned.notna(), None))
    return own


def _resolve_building(ref: str | None, remark: str | None, grid: str | None, codes: set[str],
                      by_grid: dict[str, list[tuple[str, str]]], by_key: dict[str, list[str]]) -> str | None:
    """A building code from a code or name reference, or from a remark naming a building of ``grid``.

    ``by_grid``: grid code → ``(name key, building code)`` in layer order; ``by_key``: name key → codes.
    """
    if ref and ref in codes:
        return ref
    pool = by_grid.get(grid, []) if grid else []
    for text, exact in ((ref, True), (remark, False)):
        key = normalise_name(text)
        if not key:
            continue
        if exact:
            hits = [(k, c) for k, c in pool if k == key]
            if not hits and len(by_key.get(key, [])) == 1:  # a name alone must be unique
                hits = [(key, by_key[key][0])]
        else:
            hits = [(k, c) for k, c in pool if k in key]
        if hits:
            longest = max(len(k) for k, _ in hits)
            best = [c for k, c in hits if len(k) == longest]
            if exact or len(best) == 1:
                return best[0]
    return None


def _name_index(bld: pd.DataFrame) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[str]]]:
    """Buildings by grid code → ``(name key, code)`` in layer order, and by name key → codes."""
    keys = bld[s.NAME].map(normalise_name) if s.NAME in bld else pd.Series("", index=bld.index)
    by_grid: dict[str, list[tuple[str, str]]] = {}
    by_key: dict[str, list[str]] = {}
    for code, grid_code, key in zip(bld[s.CODE].astype(str).tolist(), bld[s.GRID_CODE].tolist(), keys.tolist()):
        if key:  # lists, not Series: a pandas (Arrow) array is slow to walk element by element
            by_key.setdefault(key, []).append(code)
            if grid_code is not None and grid_code == grid_code:  # not None, not NaN
                by_grid.setdefault(str(grid_code), []).append((key, code))
    return by_grid, by_key


def building_heads(project: Project, *, buildings: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Every 楼栋长/单元长 with the building they head (``HEAD_COLUMNS``; ``building_code`` None when unknown)."""
    vols = project.layer(s.VOLUNTEERS)
    if len(vols) == 0 or POST not in vols.columns:
        return pd.DataFrame(columns=list(HEAD_COLUMNS), dtype=object)
    heads = pd.DataFrame(vols[vols[POST].map(is_building_post)].drop(columns=vols.geometry.name))
    if len(heads) == 0:
        return pd.DataFrame(columns=list(HEAD_COLUMNS), dtype=object)
    bld = buildings_table(project) if buildings is None else buildings
    codes = set(bld[s.CODE].astype(str))
    grid = _grid_of_people(project, heads)
    ref = _text(heads[s.BUILDING_CODE]) if s.BUILDING_CODE in heads else pd.Series(None, index=heads.index)
    # names are looked up only for heads whose building code is not one of the layer's
    by_grid, by_key = ({}, {}) if all(r and r in codes for r in ref.tolist()) else _name_index(bld)
    remark_col = next((c for c in REMARK_COLUMNS if c in heads.columns), None)
    remark = _text(heads[remark_col]) if remark_col else pd.Series(None, index=heads.index)
    heads[s.BUILDING_CODE] = [_resolve_building(r, m, None if g is None or pd.isna(g) else str(g), codes, by_grid,
                                                by_key) for r, m, g in zip(ref, remark, grid)]
    by_code = pd.Series(bld[s.GRID_CODE].to_numpy(), index=bld[s.CODE].astype(str))
    by_code = by_code[~by_code.index.duplicated()]
    heads[s.GRID_CODE] = heads[s.BUILDING_CODE].map(by_code).fillna(grid) if len(by_code) else grid
    for col in HEAD_COLUMNS:
        if col not in heads.columns:
            heads[col] = None
    return heads[list(HEAD_COLUMNS)].reset_index(drop=True)


def find_buildings_without_head(project: Project, *, buildings: gpd.GeoDataFrame | None = None) -> list[str]:
    """Codes of the buildings no 楼栋长/单元长 heads (``building_heads``), in the layer's order."""
    bld = buildings_table(project) if buildings is None else buildings
    if len(bld) == 0:
        return []
    headed = set(building_heads(project, buildings=bld)[s.BUILDING_CODE].dropna().astype(str))
    return [c for c in bld[s.CODE].astype(str) if c not in headed]


def building_counts(project: Project, *, buildings: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per grid code (the grid each building belongs to): ``buildings`` and ``headless_buildings`` (ints).

    A building counts in its own grid only (``buildings_table``); buildings in no grid are not counted.
    "Headless" is ``find_buildings_without_head``, the gap the escalation chain flags.
    """
    cols = ["buildings", "headless_buildings"]
    bld = buildings_table(project) if buildings is None else buildings
    placed = bld[bld[s.GRID_CODE].notna()] if len(bld) else bld
    if len(placed) == 0:
        return pd.DataFrame(columns=cols, dtype=int)
    headless = set(find_buildings_without_head(project, buildings=bld))
    grid = placed[s.GRID_CODE].astype(str)
    out = pd.DataFrame({"buildings": grid.value_counts(),
                        "headless_buildings": grid[placed[s.CODE].astype(str).isin(headless)].value_counts()})
    return out.fillna(0).astype(int)[cols]


def building_roster(project: Project, *, grid_codes: list[str] | None = None) -> pd.DataFrame:
    """Per-building roster: one row per building and head (a building without a head keeps one row, no head).

    Columns ``ROSTER_COLUMNS``; ``phone`` is the head's phone **unmasked**: callers mask it
    (``geo.privacy``); ``organisations``: names (、-joined) of the organisations that serve the
    building by name (``geo.organisations.building_organisations``; "" for none). Ordered by grid and
    building code.
    """
    bld = buildings_table(project)
    if grid_codes is not None:
        bld = bld[bld[s.GRID_CODE].isin([str(c) for c in grid_codes])]
    if len(bld) == 0:
        return pd.DataFrame(columns=list(ROSTER_COLUMNS), dtype=object)
    heads = building_heads(project, buildings=buildings_table(project) if grid_codes is not None else bld)
    heads = heads[heads[s.BUILDING_CODE].notna()].rename(columns={
        s.VOLUNTEER_ID: "head_id", s.NAME: "head_name", POST: "head_post", s.BUILDING_CODE: s.CODE})
    table = pd.DataFrame(bld.drop(columns=bld.geometry.name))[[c for c in s.BUILDING_COLUMNS]]
    table[s.CODE] = table[s.CODE].astype(str)
    merged = table.merge(heads[[s.CODE, "head_id", "head_name", "head_post", s.PHONE]], on=s.CODE, how="left")
    orgs = building_organisations(project)
    served = orgs.groupby(s.BUILDING_CODE)[s.NAME].agg("、".join) if len(orgs) else pd.Series(dtype=object)
    merged["organisations"] = merged[s.CODE].map(served).fillna("").astype(str)
    merged = merged.sort_values([s.GRID_CODE, s.CODE], kind="stable", na_position="last")
    return merged[list(ROSTER_COLUMNS)].reset_index(drop=True)


def roster_export_table(roster: pd.DataFrame, *, privacy: Any) -> pd.DataFrame:
    """The per-building roster as an export sheet; head names and phones through ``privacy``
    (a ``geo.export_tables.Privacy``)."""
    return pd.DataFrame({
        s.GRID_CODE: roster[s.GRID_CODE].to_numpy(),
        "building_code": roster[s.CODE].to_numpy(),
        "building_name": roster[s.NAME].to_numpy(),
        "building_address": roster[s.ADDRESS].to_numpy(),
        "building_kind": roster[s.KIND].to_numpy(),
        s.HOUSEHOLDS_N: roster[s.HOUSEHOLDS_N].to_numpy(),
        "head_name": [privacy.name(n) if isinstance(n, str) else "" for n in roster["head_name"]],
        "head_post": roster["head_post"].fillna("").to_numpy(),
        s.PHONE: [privacy.phone(p) if isinstance(p, str) and p else "" for p in roster[s.PHONE]],
        "building_organisations": roster["organisations"].to_numpy(),
    })
