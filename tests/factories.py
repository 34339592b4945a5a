"""A tiny, hand-checkable project built in code (pyogrio's rule: test data from code).

Layout, in UTM 48N metres around (400000, 3390000), i.e. near Chongzhou:

    town T1 = x 0..2000, community C11 = x 0..1000, C12 = x 1000..2000
    town T2 = x 2000..4000, community C21 = x 2000..3000, C22 = x 3000..4000
    all y 0..1000. Each community has 2 general grids (west/east halves, 500 m wide)
    and each general grid 2 micro-grids (south/north halves, 500 m tall): 16 micro-grids
    of 500 x 500 m, with 40 households each.

Volunteers: 2 per community at the community's centre (capacity 2), plus one on T1's
west edge. Service points: one 社区工作站 at each community centre.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo import schema as s
from geo.project import Project, new_project

X0, Y0 = 400_000.0, 3_390_000.0
UTM = "EPSG:32648"


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=UTM).to_crs(s.STORAGE_CRS)


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """The tiny project's layers, in WGS 84."""
    towns, communities, grids, vols, points = [], [], [], [], []
    tg, cg, gg, vg, pg = [], [], [], [], []
    for ti in range(2):
        tcode = f"51018400{ti + 1}000"
        towns.append({s.CODE: tcode, s.NAME: f"测试{ti + 1}镇", s.KIND: "镇", s.ILLUSTRATIVE: True})
        tg.append(_box(ti * 2000, 0, ti * 2000 + 2000, 1000))
        for ci in range(2):
            ccode = f"51018400{ti + 1}{ci + 1:03d}"
            cx = ti * 2000 + ci * 1000
            communities.append({s.CODE: ccode, s.NAME: f"测试{ti + 1}{ci + 1}社区", s.KIND: "社区",
                                s.TOWN_CODE: tcode, s.ILLUSTRATIVE: True})
            cg.append(_box(cx, 0, cx + 1000, 1000))
            for gi in range(2):
                gcode = f"{ccode}-G{gi + 1}"
                grids.append({s.CODE: gcode, s.NAME: f"{ccode[-3:]}第{gi + 1}网格", s.LEVEL: s.LEVEL_GENERAL,
                              s.KIND: "", s.PARENT_CODE: ccode, s.COMMUNITY_CODE: ccode, s.TOWN_CODE: tcode,
                              s.HOUSEHOLDS_N: 80, s.ILLUSTRATIVE: True})
                gg.append(_box(cx + gi * 500, 0, cx + gi * 500 + 500, 1000))
                for mi in range(2):
                    grids.append({s.CODE: f"{gcode}-M{mi + 1}", s.NAME: f"{ccode[-3:]}-{gi + 1}-{mi + 1}微网格",
                                  s.LEVEL: s.LEVEL_MICRO, s.KIND: "小区", s.PARENT_CODE: gcode,
                                  s.COMMUNITY_CODE: ccode, s.TOWN_CODE: tcode, s.HOUSEHOLDS_N: 40,
                                  s.ILLUSTRATIVE: True})
                    gg.append(_box(cx + gi * 500, mi * 500, cx + gi * 500 + 500, mi * 500 + 500))
            for vi in range(2):
                vols.append({s.VOLUNTEER_ID: f"V{ti + 1}{ci + 1}{vi}", s.NAME: f"张{ti}{ci}{vi}",
                             s.PHONE: f"1380000{ti}{ci}{vi}00", s.TIER: "社区", s.PARTY_MEMBER: vi == 0,
                             s.SKILLS: "", s.CAPACITY: 2, s.COMMUNITY_CODE: ccode, s.ILLUSTRATIVE: True})
                vg.append(shapely.Point(X0 + cx + 500, Y0 + 500))
            points.append({s.POINT_ID: f"P{ccode[-4:]}", s.NAME: f"{ccode[-3:]}工作站", s.POINT_TYPE: "社区工作站",
                           s.CATEGORY: "政务;生活", s.COMMUNITY_CODE: ccode, s.ILLUSTRATIVE: True})
            pg.append(shapely.Point(X0 + cx + 500, Y0 + 500))
    vols.append({s.VOLUNTEER_ID: "V000", s.NAME: "李四", s.PHONE: "01088886666", s.TIER: "市",
                 s.PARTY_MEMBER: True, s.SKILLS: "医疗", s.CAPACITY: 1, s.COMMUNITY_CODE: None,
                 s.ILLUSTRATIVE: True})
    vg.append(shapely.Point(X0 - 50, Y0 + 250))
    return {
        s.TOWNS: _frame(towns, tg), s.COMMUNITIES: _frame(communities, cg), s.GRIDS: _frame(grids, gg),
        s.VOLUNTEERS: _frame(vols, vg), s.SERVICE_POINTS: _frame(points, pg),
    }


def tiny_project() -> Project:
    """The tiny project (no assignments yet)."""
    project = new_project()
    for name, gdf in tiny_layers().items():
        project = project.with_layer(name, gdf)
    return project


SMALL_CITY_SCALE = 0.01  # the scaled-down synthetic city (geo.citygen) the tests build, in a few seconds
