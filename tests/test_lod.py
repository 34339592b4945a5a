"""Level of detail (issue 14 item 3): one level per view, simplified per unit, payload independent of the city."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import affinity
from streamlit_folium import _get_map_string

from geo import schema as s
from geo.explore import CITY, COMMUNITY, TOWN, Selection
from geo.lod import VIEW_LEVEL, view_layers
from geo.rollup import unit_figures
from tests.fieldkit import fieldkit_project
from ui.mapview import MapOptions, build_explore_map, prepare_explore_map

CODE_COLUMNS = (s.CODE, s.TOWN_CODE, s.COMMUNITY_CODE, s.PARENT_CODE)


@pytest.fixture(scope="module")
def kit():
    return fieldkit_project(general_grids=True)


def _twin(gdf: gpd.GeoDataFrame, dx: float) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` moved ``dx`` degrees east, every code (and parent code) suffixed ``-b``."""
    out = gdf.copy()
    out["geometry"] = out.geometry.map(lambda g: affinity.translate(g, xoff=dx) if g is not None else g)
    for col in CODE_COLUMNS:
        if col in out:
            out[col] = out[col].map(lambda v: f"{v}-b" if isinstance(v, str) and v else v)
    return out


def doubled(project):
    """``project`` with a second, identical city beside it (twice the towns, communities, grids and points)."""
    minx, _, maxx, _ = project.layer(s.TOWNS).total_bounds
    dx = (maxx - minx) * 1.2
    for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS, s.VOLUNTEERS, s.SERVICE_POINTS):
        gdf = project.layer(name)
        both = gpd.GeoDataFrame(pd.concat([gdf, _twin(gdf, dx)], ignore_index=True), crs=gdf.crs)
        project = project.with_layer(name, both)
    return project


def _payload(project, sel, metric="households") -> int:
    m, _ = build_explore_map(project, sel, unit_figures(project), MapOptions(metric=metric, show_radii=True))
    return len(_get_map_string(m).encode())


def _first_community(project) -> Selection:
    comm = project.layer(s.COMMUNITIES).iloc[0]
    return Selection(town=str(comm[s.TOWN_CODE]), community=str(comm[s.CODE]))


def test_view_payload__does_not_grow_with_the_size_of_the_city(kit):
    big = doubled(kit)
    assert len(big.layer(s.GRIDS)) == 2 * len(kit.layer(s.GRIDS))
    comm = _first_community(kit)
    town = Selection(town=comm.town)
    assert _payload(big, town) == _payload(kit, town)  # the same town: the same bytes
    assert _payload(big, comm) == _payload(kit, comm)
    # the city view draws towns only: twice the towns, at most twice the bytes
    assert _payload(big, Selection()) <= 2 * _payload(kit, Selection())


@pytest.mark.parametrize("view", [CITY, TOWN, COMMUNITY])
def test_view_layers__draw_one_level_simplified_for_the_views_zoom(kit, view):
    comm = _first_community(kit)
    sel = {CITY: Selection(), TOWN: Selection(town=comm.town), COMMUNITY: comm}[view]
    layers = view_layers(kit, sel)
    drawn = {CITY: "towns", TOWN: "communities", COMMUNITY: "grids"}[view]
    raw = {CITY: kit.layer(s.TOWNS), TOWN: kit.layer(s.COMMUNITIES)[kit.layer(s.COMMUNITIES)[s.TOWN_CODE] == comm.town],
           COMMUNITY: None}[view]
    if raw is not None:
        assert sorted(layers[drawn][s.CODE]) == sorted(raw[s.CODE])
        vertices = shapely.get_num_coordinates(layers[drawn].geometry.to_numpy()).sum()
        assert vertices <= shapely.get_num_coordinates(raw.geometry.to_numpy()).sum()
    assert len(layers[drawn])
    if view != COMMUNITY:  # a level's polygons still tile: simplification kept every shared edge shared
        assert shapely.coverage_is_valid(layers[drawn].geometry.to_numpy())


@pytest.mark.parametrize("metric", ["coverage", "staffing", "households"])
@pytest.mark.parametrize("view", [CITY, TOWN, COMMUNITY])
def test_explore_view__fills_only_the_legends_colours_on_the_legends_level(kit, metric, view):
    comm = _first_community(kit)
    sel = {CITY: Selection(), TOWN: Selection(town=comm.town), COMMUNITY: comm}[view]
    figures = unit_figures(kit)
    prepared = prepare_explore_map(kit, sel, figures, MapOptions(metric=metric))
    legend_colours = {c for c, _ in prepared.legend.entries}
    filled = [(spec, data) for spec, data in zip(prepared.specs, prepared.collections)
              if getattr(spec, "colors", None) is not None and getattr(spec, "fill", False)]
    assert filled, "the view colours its level"
    for spec, data in filled:
        colours = {f["properties"]["_c"] for f in data["features"] if "_c" in f["properties"]}
        assert colours and colours <= legend_colours
    level = VIEW_LEVEL[view]
    codes = set(figures.get(level).index.astype(str))
    for spec, _ in filled:
        assert set(spec.gdf[s.CODE].astype(str)) <= codes  # the features are units of the legend's level
