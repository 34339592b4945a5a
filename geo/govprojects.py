"""Governance projects (主题社区, 社区微更新, 特色消费场景, 社区花园, 社区运动角): the ``gov_projects`` layer.

A project is a point or an area with a kind (``geo.schema.PROJECT_KINDS``), a status
(``planned``/``under_way``/``done``), a year and the grids it serves (``grid_codes``, leaf
grids). The grids served are read from the file's 服务网格 column (names within 所属社区,
``geo.organisations.resolve_served_grids``) or, when blank, from where the project lies (the
leaf grids it covers or overlaps). Counts per unit come from ``geo.rollup`` only.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.hierarchy import grid_tree
from geo.io import load_layer
from geo.organisations import resolve_served_grids, served_long
from geo.project import Project
from geo.unitnames import normalise_name, resolve_unit_names
from geo.validate import WARNING, finding

SERVED_NAMES = "served_names"  # the file's 服务网格 column while reading
PROJECT_HEADERS = ("项目名称", "项目类型", "项目状态", "项目编号", "项目编码")  # a file with one of these is projects
LAYER_COLUMNS = (s.PROJECT_ID, s.NAME, s.KIND, s.STATUS, s.YEAR, s.COMMUNITY_CODE, s.GRID_CODES)
_STATUS_WORDS = {
    "planned": ("planned", "计划", "规划", "拟建", "筹备", "待建", "未开工"),
    "under_way": ("under_way", "underway", "在建", "建设中", "实施中", "推进中", "进行中", "施工中"),
    "done": ("done", "已建成", "建成", "完成", "已完成", "竣工", "已竣工", "投用", "已投用"),
}
_STATUS_OF = {normalise_name(w): k for k, words in _STATUS_WORDS.items() for w in words}
_KIND_WORDS = {"微更新": "社区微更新", "消费场景": "特色消费场景", "运动角": "社区运动角", "花园": "社区花园"}


def project_status(value: object) -> str | None:
    """``geo.schema.PROJECT_STATUSES`` value of a status as written (已建成 -> ``done``); None when unknown."""
    return _STATUS_OF.get(normalise_name(value))


def project_kind(value: object) -> str | None:
    """``geo.schema.PROJECT_KINDS`` value of a kind as written (微更新 -> 社区微更新); None when unknown."""
    text = normalise_name(value)
    return text if text in s.PROJECT_KINDS else _KIND_WORDS.get(text)


def _or_none(values: pd.Series) -> pd.Series:
    out = values.astype(object)
    return out.where(out.notna(), None)


def grids_at(geoms: gpd.GeoSeries, tree: pd.DataFrame, grids: gpd.GeoDataFrame) -> list[str]:
    """``;``-joined leaf-grid codes each geometry lies in (points) or overlaps (areas); "" for none/missing."""
    leaves = grids[grids[s.CODE].astype(str).isin(tree.index[tree["is_leaf"].astype(bool)])]
    leaf_geoms = leaves.geometry.to_crs(s.STORAGE_CRS).to_numpy()
    leaf_codes = leaves[s.CODE].astype(str).to_numpy()
    index = shapely.STRtree(leaf_geoms)
    out = []
    for geom in geoms.to_crs(s.STORAGE_CRS).to_numpy():
        if geom is None or shapely.is_empty(geom):
            out.append("")
            continue
        hits = index.query(geom, predicate="intersects")
        hits = [i for i in hits if not shapely.touches(geom, leaf_geoms[i])]
        out.append(";".join(sorted(leaf_codes[hits])))
    return out


def read_projects(path: str | Path, *, project: Project, crs: str | None = None,
                  label: str | None = None) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """Read a projects sheet (with 经度/纬度) or GIS file into the ``gov_projects`` layer of ``project``.

    Parameters
    ----------
    crs
        The coordinate system of the file (``wgs84``, ``gcj02``, ``bd09``, ``EPSG:...``); required
        for sheets and files that do not embed one (``geo.io.load_layer``).

    Returns
    -------
    (geopandas.GeoDataFrame, list[dict])
        The layer (WGS 84, columns ``LAYER_COLUMNS`` then the file's others) and findings: unknown
        kinds/statuses, unknown communities and grid names, projects serving no grid, by row.
    """
    loaded = load_layer(path, s.GOV_PROJECTS, crs=crs, label=label)
    label = loaded.file
    gdf = loaded.gdf.reset_index(drop=True)
    findings = list(loaded.findings)
    rows = pd.Index([f"#{i + 1}" for i in range(len(gdf))])
    if s.PROJECT_ID not in gdf or gdf[s.PROJECT_ID].isna().all():
        gdf[s.PROJECT_ID] = [f"PRJ{i + 1:04d}" for i in range(len(gdf))]
    raw_kind = gdf[s.KIND].copy()
    gdf[s.KIND] = _or_none(raw_kind.map(project_kind))
    findings += [finding(WARNING, "gov_projects.unknown_kind", s.GOV_PROJECTS, rows[i], file=label,
                         detail=str(raw_kind.iloc[i])) for i in np.flatnonzero(gdf[s.KIND].isna())]
    raw_status = gdf.get(s.STATUS, pd.Series(None, index=gdf.index))
    gdf[s.STATUS] = _or_none(raw_status.map(project_status))
    findings += [finding(WARNING, "gov_projects.unknown_status", s.GOV_PROJECTS, rows[i], file=label,
                         detail=str(raw_status.iloc[i] or "")) for i in np.flatnonzero(gdf[s.STATUS].isna())]
    gdf = with_grids_served(gdf, project=project, label=label, findings=findings)
    first = [c for c in LAYER_COLUMNS if c in gdf.columns]
    return gdf[[*first, *[c for c in gdf.columns if c not in first]]], findings


def with_grids_served(gdf: gpd.GeoDataFrame, *, project: Project, label: str = s.GOV_PROJECTS,
                      findings: list[dict] | None = None) -> gpd.GeoDataFrame:
    """``gdf`` with ``community_code`` and ``grid_codes``: the named grids, else the grids where it lies.

    Appends to ``findings`` (when given) an unknown community, unknown grid names and a project
    that serves no grid.
    """
    findings = findings if findings is not None else []
    tree = grid_tree(project)
    out = gdf.copy()
    rows = pd.Series([f"#{i + 1}" for i in range(len(out))], index=out.index)
    comm = resolve_unit_names(out.get(s.COMMUNITY_CODE, pd.Series(None, index=out.index)),
                              project.layer(s.COMMUNITIES)).codes
    names = out.get(SERVED_NAMES, pd.Series(None, index=out.index))
    named, unmatched = resolve_served_grids(names.rename(index=rows), comm.rename(index=rows), tree=tree,
                                            layer=s.GOV_PROJECTS, label=label)
    findings += unmatched
    placed = pd.Series(grids_at(out.geometry, tree, project.layer(s.GRIDS)) if len(tree) else [""] * len(out),
                       index=out.index)
    served = pd.Series(named.to_numpy(), index=out.index).where(names.map(normalise_name) != "", placed)
    out[s.GRID_CODES] = served.fillna("").astype(str)
    first_grid = out[s.GRID_CODES].str.split(";").str[0]
    out[s.COMMUNITY_CODE] = comm.where(comm.notna(), first_grid.map(tree[s.COMMUNITY_CODE]) if len(tree) else None)
    findings += [finding(WARNING, "gov_projects.no_grid", s.GOV_PROJECTS, rows.iloc[i], file=label,
                         detail=str(out[s.NAME].iloc[i])) for i in np.flatnonzero(out[s.GRID_CODES] == "")]
    return out.drop(columns=[SERVED_NAMES], errors="ignore")


def project_grids(project: Project) -> pd.DataFrame:
    """One row per (project, grid served): ``item, grid_code, kind, status`` (the roll-up's input)."""
    layer = project.layer(s.GOV_PROJECTS)
    if len(layer) == 0 or s.GRID_CODES not in layer.columns:
        return pd.DataFrame(columns=["item", s.GRID_CODE, s.KIND, s.STATUS])
    table = pd.DataFrame(layer.drop(columns="geometry"))
    for col in (s.KIND, s.STATUS):
        if col not in table:
            table[col] = None
    return served_long(table[[s.PROJECT_ID, s.KIND, s.STATUS, s.GRID_CODES]], s.PROJECT_ID)[
        ["item", s.GRID_CODE, s.KIND, s.STATUS]]


def project_rows(project: Project, grid_codes: list[str]) -> pd.DataFrame:
    """Projects serving any of ``grid_codes``: id, name, kind, status, year, grids served (no geometry)."""
    cols = [s.PROJECT_ID, s.NAME, s.KIND, s.STATUS, s.YEAR, "grids"]
    layer = project.layer(s.GOV_PROJECTS)
    if len(layer) == 0 or s.GRID_CODES not in layer.columns:
        return pd.DataFrame(columns=cols)
    wanted = set(map(str, grid_codes))
    served = layer[s.GRID_CODES].fillna("").astype(str).str.split(";")
    rows = layer[served.map(lambda codes: bool(wanted & set(codes))).to_numpy(dtype=bool)]
    out = pd.DataFrame({c: rows[c] if c in rows else None for c in cols[:-1]})
    out["grids"] = rows[s.GRID_CODES].fillna("").astype(str).map(lambda v: len([c for c in v.split(";") if c]))
    return out.sort_values([s.KIND, s.PROJECT_ID], na_position="last").reset_index(drop=True)
