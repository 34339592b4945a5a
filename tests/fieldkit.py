"""Projects built from the 锦澜市 field kit's WGS 84 truth (tests/data/fieldkit/truth), not from the demo.

The truth boundaries are read as an office would send them after conversion: communities
without their town code, micro-grids with a community code but no town code and no general grid
(micro-grids directly under communities), buildings as household points, service points from
the truth CSV. Volunteers are generated here (the roster is the import issue's). Optionally the
32 general grids implied by the codes are added (micro-grids then hang under them).
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as s
from geo.hierarchy import complete_hierarchy
from geo.project import Project, new_project

TRUTH = Path(__file__).resolve().parent / "data" / "fieldkit" / "truth"


def summary() -> dict:
    """The kit's true counts (``truth/summary.json``)."""
    return json.loads((TRUTH / "summary.json").read_text(encoding="utf-8"))


def _read(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(TRUTH / name).to_crs(s.STORAGE_CRS)


def truth_layers(*, general_grids: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """The truth boundaries and points as GridAtlas layers, parent codes stripped as offices send them."""
    towns = _read("towns_wgs84.geojson")
    towns = gpd.GeoDataFrame({s.CODE: towns["镇街代码"].astype(str), s.NAME: towns["镇街名称"],
                              s.KIND: towns["镇街名称"].str[-2:].map({"街道": "街道"}).fillna("镇")},
                             geometry=towns.geometry, crs=s.STORAGE_CRS)
    comms = _read("communities_wgs84.geojson")
    comms = gpd.GeoDataFrame({s.CODE: comms["社区代码"].astype(str), s.NAME: comms["社区名称"], s.KIND: comms["类别"]},
                             geometry=comms.geometry, crs=s.STORAGE_CRS)  # no town code: inferred by overlap
    raw = _read("grids_wgs84.geojson")
    micro = gpd.GeoDataFrame({
        s.CODE: raw["网格编码"].astype(str), s.NAME: raw["网格名称"], s.LEVEL: s.LEVEL_MICRO, s.KIND: "小区",
        s.COMMUNITY_CODE: raw["社区代码"].astype(str), s.HOUSEHOLDS_N: raw["户数"].astype(int),
    }, geometry=raw.geometry, crs=s.STORAGE_CRS)  # no town code, no parent grid
    grids = micro
    if general_grids:
        general = raw.dissolve(by="一般网格编码", aggfunc="first").reset_index()
        general = gpd.GeoDataFrame({
            s.CODE: general["一般网格编码"].astype(str), s.NAME: general["一般网格"], s.LEVEL: s.LEVEL_GENERAL,
            s.KIND: None, s.COMMUNITY_CODE: general["社区代码"].astype(str), s.HOUSEHOLDS_N: np.nan,
        }, geometry=general.geometry, crs=s.STORAGE_CRS)
        micro = micro.assign(**{s.PARENT_CODE: raw["一般网格编码"].astype(str).to_numpy()})
        grids = gpd.GeoDataFrame(pd.concat([general, micro], ignore_index=True), crs=s.STORAGE_CRS)
    buildings = _read("buildings_wgs84.geojson")
    households = gpd.GeoDataFrame({s.CODE: [f"B{i:04d}" for i in range(len(buildings))], s.NAME: buildings["楼栋名称"],
                                   s.HOUSEHOLDS_N: buildings["户数"].astype(int)},
                                  geometry=buildings.geometry, crs=s.STORAGE_CRS)
    sp = pd.read_csv(TRUTH / "service_points_wgs84.csv", dtype=str)
    points = gpd.GeoDataFrame({s.POINT_ID: [f"P{i:03d}" for i in range(len(sp))], s.NAME: sp["名称"],
                               s.POINT_TYPE: sp["类型"]},
                              geometry=gpd.points_from_xy(sp["lon_wgs84"].astype(float), sp["lat_wgs84"].astype(float)),
                              crs=s.STORAGE_CRS)
    return {s.TOWNS: towns, s.COMMUNITIES: comms, s.GRIDS: grids, s.HOUSEHOLDS: households, s.SERVICE_POINTS: points}


def volunteers_for(communities: gpd.GeoDataFrame, *, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """``n`` volunteers living at random places of the communities (a fixed seed), capacity 1 or 2."""
    rng = np.random.default_rng(seed)
    area = shapely.union_all(communities.geometry.values)
    minx, miny, maxx, maxy = area.bounds
    xy: list[tuple[float, float]] = []
    while len(xy) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n, 2))
        inside = shapely.contains_xy(area, cand[:, 0], cand[:, 1])
        xy += [tuple(p) for p in cand[inside]]
    xy = np.array(xy[:n])
    return gpd.GeoDataFrame({
        s.VOLUNTEER_ID: [f"V{i:04d}" for i in range(n)], s.NAME: [f"志愿者{i}" for i in range(n)],
        s.PHONE: [f"1700000{i:04d}" for i in range(n)], s.TIER: rng.choice(list(s.TIERS), size=n),
        s.CAPACITY: rng.choice([1, 1, 2], size=n),
    }, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=s.STORAGE_CRS)


def fieldkit_project(*, general_grids: bool = False, volunteers: int = 150) -> Project:
    """The field kit as a project: truth layers, inferred parents written, generated volunteers."""
    project = new_project()
    for name, gdf in truth_layers(general_grids=general_grids).items():
        project = project.with_layer(name, gdf)
    project = project.with_layer(s.VOLUNTEERS, volunteers_for(project.layer(s.COMMUNITIES), n=volunteers))
    project, _ = complete_hierarchy(project)
    return project


ORGANISATIONS_XLSX = TRUTH.parent / "rosters" / "organisations.xlsx"


def with_organisations(project: Project):
    """``project`` with the kit's organisations sheet read and kept as table ``organisations``; the import."""
    from geo.buildings import buildings_table
    from geo.organisations import organisations_table, read_organisations

    result = read_organisations(ORGANISATIONS_XLSX, grids=project.layer(s.GRIDS),
                                communities=project.layer(s.COMMUNITIES), buildings=buildings_table(project))
    return project.with_table(s.ORGANISATIONS, organisations_table(result)), result


def organisations_truth() -> pd.DataFrame:
    """``truth/organisations_truth.csv`` as text."""
    return pd.read_csv(TRUTH / "organisations_truth.csv", dtype=str, keep_default_na=False)


TOWN, COMM, GRID = "510197001000", "510197001001", "5101970010010102"  # 栖云街道, 望江社区, a grid served by 物业


def governance_project():
    """The kit with general grids, its organisations, two projects and one self-governance row (micro-grids: 小区)."""
    project, _ = with_organisations(fieldkit_project(general_grids=True, volunteers=20))
    grids = project.layer(s.GRIDS)
    inside = shapely.point_on_surface(grids.loc[grids[s.CODE] == GRID].geometry.iloc[0])
    projects = gpd.GeoDataFrame({s.PROJECT_ID: ["PRJ0001", "PRJ0002"], s.NAME: ["望江微更新", "望江主题社区"],
                                 s.KIND: ["社区微更新", "主题社区"], s.STATUS: ["done", "planned"], s.YEAR: [2022, 2024],
                                 s.COMMUNITY_CODE: [COMM, COMM], s.GRID_CODES: [GRID, f"{GRID};5101970010010101"]},
                                geometry=[inside, inside], crs=s.STORAGE_CRS)
    selfgov = pd.DataFrame({"selfgov_id": ["SG0001"], s.COMMUNITY_CODE: [COMM], "unit_name": [""],
                            s.GRID_CODES: [GRID], "selfgov_bodies": [2], "selfgov_bodies_names": ["议事会、院委会"],
                            "self_orgs": [5], "self_orgs_names": [""], "conventions": [3], "conventions_names": ["居民公约"]})
    return project.with_layer(s.GOV_PROJECTS, projects).with_table(s.SELFGOV, selfgov)
