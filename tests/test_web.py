"""Web map layers: offline assets, escaping, one colour function, simplification, basemaps, views."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import schema as s
from geo.crs import round_coordinates
from layers.basemaps import AMAP, NONE, OSM, TIANDITU, basemap_spec, display_offset
from geo.lod import simplify_coverage
from layers.web import PolygonSpec, base_map, feature_collection, layered_map, polygon_layer, safe_text
from tests.app_fixtures import COMM11, GRID_M1, TOWN1, XSS_IMG, hostile_project
from geo.explore import Selection, drill, search_units, selection_for, staff_rows, view_units
from geo.rollup import unit_figures


@pytest.mark.parametrize(("raw", "expected"), [
    (XSS_IMG, "&lt;img src=x onerror=alert(1)&gt;"),  # HTML tags become text
    ("${alert(1)}", "&#36;{alert(1)}"),  # template literal syntax is inert
    ("a`b", "a&#96;b"),  # a backtick cannot end a JS template
    ("\\x3c", "&#92;x3c"),  # no JS escapes either
    (None, ""),
    ("崇阳街道", "崇阳街道"),  # ordinary names unchanged
])
def test_safe_text__neutralises_html_and_js_template_syntax(raw, expected):
    assert safe_text(raw) == expected


def _squares() -> gpd.GeoDataFrame:
    boxes = [shapely.box(103.6 + i * 0.01, 30.6, 103.61 + i * 0.01, 30.61) for i in range(3)]
    return gpd.GeoDataFrame({s.CODE: ["a", "b", "c"], s.NAME: [XSS_IMG, "乙", "丙"], "phone": ["13812345678"] * 3},
                            geometry=boxes, crs=s.STORAGE_CRS, index=[10, 20, 30])


def test_feature_collection__carries_only_listed_fields_escaped():
    data = feature_collection(_squares(), fields=[s.NAME], colors=pd.Series(["#111111", "#222222", None],
                                                                            index=[10, 20, 30]))
    props = [f["properties"] for f in data["features"]]
    assert props[0] == {s.NAME: "&lt;img src=x onerror=alert(1)&gt;", "_c": "#111111"}
    assert "_c" not in props[2]
    assert all("phone" not in p for p in props)


def test_polygon_layer__colours_with_one_browser_function_not_a_case_per_feature():
    colors = pd.Series(["#111111", "#222222", "#333333"], index=[10, 20, 30])
    m = base_map(bounds=(103.6, 30.6, 103.7, 30.7))
    polygon_layer(PolygonSpec(_squares(), name="x", fields={s.NAME: "名称"}, colors=colors)).add_to(m)
    page = m.get_root().render()
    assert "case " not in page and "p._c" in page
    assert page.count("function(f){") == 1


def test_base_map__loads_assets_from_the_app_not_a_cdn():
    page = base_map(bounds=(103.6, 30.6, 103.7, 30.7)).get_root().render()
    assert "/app/static/leaflet.js" in page and "/app/static/leaflet.css" in page
    for host in ("jsdelivr", "cdnjs", "code.jquery.com", "bootstrapcdn", "openstreetmap", "tianditu", "autonavi"):
        assert host not in page


def test_base_map__sends_no_jquery_and_no_popup_that_would_need_it():
    m = base_map(bounds=(103.6, 30.6, 103.7, 30.7))
    page = m.get_root().render()
    assert "jquery" not in page.lower() and "$(" not in page  # folium uses jQuery only for popups/keep_in_front


def test_base_map__st_folium_sends_no_value_before_the_first_click():
    """The map starts st_folium's click count at the ``None`` Python expects, so drawing it costs no script run."""
    from streamlit_folium import _get_map_string

    script = _get_map_string(base_map(bounds=(103.6, 30.6, 103.7, 30.7)))
    reset = script.index("last_object_clicked_count = null")
    assert "__GLOBAL_DATA__.last_object_clicked_count === 0" in script[:reset]  # only the untouched start value


def test_simplify_coverage__keeps_shared_edges_and_index():
    rng = np.random.default_rng(0)
    pts = shapely.points(rng.uniform(400_000, 410_000, 60), rng.uniform(3_390_000, 3_400_000, 60))
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=shapely.box(400_000, 3_390_000,
                                                                                      410_000, 3_400_000))
    cells = shapely.intersection(shapely.get_parts(cells), shapely.box(400_000, 3_390_000, 410_000, 3_400_000))
    gdf = gpd.GeoDataFrame({s.CODE: [f"g{i}" for i in range(len(cells))]}, geometry=cells, crs=s.METRIC_CRS,
                           index=range(100, 100 + len(cells)))
    out = simplify_coverage(gdf, tolerance_m=50)
    assert list(out.index) == list(gdf.index) and out.crs == s.STORAGE_CRS
    back = out.to_crs(s.METRIC_CRS).geometry.to_numpy()
    assert shapely.coverage_is_valid(back, gap_width=0.0)
    total_before, total_after = shapely.area(cells).sum(), shapely.area(back).sum()
    assert abs(total_after - total_before) / total_before < 0.01


def test_round_coordinates__is_idempotent():
    geom = np.array([shapely.Polygon([(103.123456789, 30.1), (103.2, 30.123456789), (103.2, 30.2)])])
    once = round_coordinates(geom, decimals=5)
    assert shapely.equals_exact(once, round_coordinates(once, decimals=5), tolerance=0).all()
    assert np.allclose(shapely.get_coordinates(once)[0], [103.12346, 30.1])


def test_basemaps__none_is_offline_and_tianditu_needs_a_key():
    assert basemap_spec(NONE) is None
    assert "openstreetmap" in basemap_spec(OSM).url
    with pytest.raises(ValueError, match="key"):
        basemap_spec(TIANDITU)
    assert "tk=abc%26x" in basemap_spec(TIANDITU, tianditu_key="abc&x").url  # the key cannot inject parameters
    assert display_offset(AMAP) == "gcj02" and display_offset(OSM) is None


def test_layered_map__shifts_data_into_gcj02_on_amap_only():
    gdf = _squares()
    plain = feature_collection(gdf)["features"][0]["geometry"]["coordinates"][0][0]
    m = layered_map([PolygonSpec(gdf, name="x")], bounds=gdf.total_bounds, basemap=AMAP)
    geo = next(c for c in m._children.values() if hasattr(c, "data"))
    shifted = geo.data["features"][0]["geometry"]["coordinates"][0][0]
    assert 0.001 < abs(shifted[0] - plain[0]) < 0.01  # a few hundred metres east
    assert gdf.geometry.iloc[0].bounds[0] == pytest.approx(103.6)  # the input is unchanged


def test_view_units__send_one_level_per_view():
    project = hostile_project()
    city = view_units(project, Selection())
    assert set(city) == {"towns"}
    town = view_units(project, Selection(town=TOWN1))
    assert set(town) == {"outline", "communities"} and len(town["communities"]) == 2
    comm = view_units(project, Selection(town=TOWN1, community=COMM11))
    assert len(comm["grids"]) == 6 and len(comm["service_points"]) == 1
    assert set(comm["volunteers"][s.COMMUNITY_CODE].dropna()) == {COMM11}


def test_drill__city_to_town_to_community_to_smallest_grid():
    project = hostile_project()
    grid = project.layer(s.GRIDS).set_index(s.CODE).loc[GRID_M1].geometry.representative_point()
    sel = Selection()
    for expected in (Selection(town=TOWN1), Selection(TOWN1, COMM11), Selection(TOWN1, COMM11, GRID_M1)):
        sel = drill(project, sel, grid.x, grid.y)
        assert sel == expected
    assert drill(project, Selection(), 0.0, 0.0) == Selection()  # a click on nothing keeps the selection


def test_search_units__by_name_or_code():
    project = hostile_project()
    assert ("grid", GRID_M1, "${alert(1)}") in search_units(project, GRID_M1)
    assert [h[0] for h in search_units(project, "测试2")] == ["town"]
    assert [h[0] for h in search_units(project, "$x^2$")] == ["community", "community", "grid"]  # found as typed
    assert selection_for(project, "grid", GRID_M1) == Selection(TOWN1, COMM11, GRID_M1)


def test_staff_rows__phones_are_masked():
    project = hostile_project()
    rows = staff_rows(project, [GRID_M1, f"{COMM11}-G1"])
    assert len(rows) == 2
    assert all("****" in p for p in rows[s.PHONE])
    assert not set(rows[s.PHONE]) & set(project.layer(s.VOLUNTEERS)[s.PHONE])


def test_unit_figures__roll_households_and_staffing_up():
    figures = unit_figures(hostile_project())
    comm = figures.get("community").loc[COMM11]
    assert comm["households"] == 160  # 4 micro-grids x 40
    assert comm["actual"] == 2
    assert figures.get("town").loc[TOWN1, "households"] == 320
    assert figures.get("grid").loc[GRID_M1, "staffing"] == 1.0


@pytest.mark.parametrize("metric", ["none", "coverage", "staffing", "households"])
@pytest.mark.parametrize("sel", [Selection(), Selection(TOWN1), Selection(TOWN1, COMM11, GRID_M1)])
def test_build_explore_map__every_metric_in_every_view(metric, sel):
    from ui.mapview import MapOptions, build_explore_map

    project = hostile_project()
    m, legend = build_explore_map(project, sel, unit_figures(project), MapOptions(metric=metric, show_radii=True))
    page = m.get_root().render()
    assert "<img" not in page.split("<body>")[1]
    assert (legend.entries == []) == (metric == "none")


def test_explore_map__draws_check_findings_in_view_with_escaped_messages(tiny_project):
    import geopandas as gpd
    from streamlit_folium import _get_map_string

    from geo import schema as s
    from geo.validate import check_project
    from ui.mapview import MapOptions, build_explore_map
    from geo.explore import Selection
    from geo.rollup import unit_figures

    grids = tiny_project.layer(s.GRIDS).to_crs(s.METRIC_CRS)
    first = grids.index[grids[s.LEVEL] == s.LEVEL_MICRO][0]
    grids.loc[first, "geometry"] = grids.loc[first, "geometry"].buffer(30)  # overlaps its neighbours
    grids.loc[first, s.CODE] = "<img src=x onerror=alert(1)>"
    project = tiny_project.with_layer(s.GRIDS, gpd.GeoDataFrame(grids, crs=grids.crs).to_crs(s.STORAGE_CRS))
    findings = check_project(project)
    assert (findings.geometry.notna() & ~findings.geometry.is_empty).any()
    town = str(project.layer(s.GRIDS).loc[first, s.TOWN_CODE]) if s.TOWN_CODE in project.layer(s.GRIDS) else None
    town = town or str(project.layer(s.TOWNS)[s.CODE].iloc[0])
    m, _ = build_explore_map(project, Selection(town=town), unit_figures(project), MapOptions(), findings=findings)
    script = _get_map_string(m)
    assert '"message"' in script  # the QA layer carries the finding's sentence
    assert "<img src=x" not in script


def test_view_center_zoom__the_largest_zoom_at_which_the_view_fits():
    import math

    from layers.web import view_center_zoom

    bounds = (103.5, 30.5, 103.7, 30.6)  # about 19 km × 11 km
    (lat, lon), zoom = view_center_zoom(bounds, width_px=700, height_px=540)
    assert (lat, lon) == pytest.approx((30.55, 103.6))

    def width_px(z: int) -> float:  # the box's width on screen at zoom z (Web Mercator, 256 px tiles)
        return (bounds[2] - bounds[0]) * 256 * 2 ** z / 360

    assert width_px(zoom) <= 700 < width_px(zoom + 1) or \
        (bounds[3] - bounds[1]) / math.cos(math.radians(lat)) * 256 * 2 ** (zoom + 1) / 360 > 540
