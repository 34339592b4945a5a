"""Folium layers for the web map: offline assets, escaped tooltips, one browser-side colour function.

Nothing here renders or touches Streamlit. Safety rules (NOTES §6a): user text only
reaches the browser as JSON data shown through ``GeoJsonTooltip`` after
:func:`safe_text`; never through ``folium.Tooltip``/``Popup`` or ``tooltip=`` kwargs.
Colours travel as a feature property (``_c``) read by one JavaScript style function,
never as folium ``style_function`` (which emits one ``case`` per feature).
"""
from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from geo.crs import round_coordinates, to_offset_system
from geo.lod import DECIMALS
from geo.schema import STORAGE_CRS
from geo.values import strip_controls
from layers.basemaps import add_basemap, display_offset

STATIC_URL = "/app/static"  # where Streamlit serves ./static (server.enableStaticServing)


def offline_assets(static_url: str = STATIC_URL) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(default_js, default_css)`` pointing at the vendored Leaflet and jQuery under ``static_url``."""
    js = [("leaflet", f"{static_url}/leaflet.js")]
    css = [("leaflet_css", f"{static_url}/leaflet.css")]
    return js, css


def safe_text(value: object) -> str:
    """Text safe to show in a Leaflet tooltip (an HTML sink): HTML-escaped, and `` ` ``, ``$``, ``\\`` as entities.

    Control and bidi-override characters are removed (``geo.values.strip_controls``).
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = html.escape(strip_controls(str(value)), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


@dataclass
class PolygonSpec:
    """A polygon layer: ``fields`` maps a column of ``gdf`` to its (catalogue) tooltip label.

    ``colors`` (hex per row, aligned on ``gdf``'s index) fills the polygons; ``None`` draws outlines.
    ``highlight`` lists codes drawn with the highlight outline (column ``code_column``).
    """

    gdf: gpd.GeoDataFrame
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    colors: pd.Series | None = None
    line_color: str = "#555555"
    weight: float = 1.0
    dash: str | None = None
    fill_opacity: float = 0.6
    highlight: Sequence[str] = ()
    code_column: str = "code"
    fill: bool = True
    interactive: bool = True


@dataclass
class PointSpec:
    """A point layer drawn as circle markers (``radius_px``) coloured per row by ``colors``."""

    gdf: gpd.GeoDataFrame
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    colors: pd.Series | None = None
    radius_px: float = 6.0
    default_color: str = "#404040"


@dataclass
class CircleSpec:
    """Circles of ``radius_m`` metres around each point (service reach), not interactive."""

    gdf: gpd.GeoDataFrame
    name: str
    radius_m: float
    colors: pd.Series | None = None
    default_color: str = "#2166ac"


LayerSpec = PolygonSpec | PointSpec | CircleSpec


def feature_collection(gdf: gpd.GeoDataFrame, *, fields: Sequence[str] = (),
                       colors: pd.Series | None = None, flags: pd.Series | None = None,
                       decimals: int = DECIMALS) -> dict:
    """A GeoJSON FeatureCollection (WGS 84) carrying only ``fields`` (escaped text) and style properties.

    ``_c`` is the fill colour (hex) and ``_h`` a highlight flag; rows without geometry
    are left out (the caller reports them, nothing is sent for them). Features carry an ``id``
    (their position), so folium never writes into a collection shared by several maps.
    """
    wgs = gdf.to_crs(STORAGE_CRS) if gdf.crs is not None else gdf
    geoms = round_coordinates(wgs.geometry.to_numpy(), decimals=decimals)
    keep = ~(pd.isna(geoms) | gpd.GeoSeries(geoms).is_empty.to_numpy())
    features = []
    geo_json = gpd.GeoSeries(geoms[keep]).to_json(drop_id=True)
    geometries = [f["geometry"] for f in json.loads(geo_json)["features"]]
    rows = wgs.loc[keep]
    columns = {f: rows[f].map(safe_text).tolist() if f in rows else [""] * len(rows) for f in fields}
    color_list = colors.reindex(rows.index).tolist() if colors is not None else None
    flag_list = flags.reindex(rows.index).tolist() if flags is not None else None
    for i, geometry in enumerate(geometries):
        props = {f: columns[f][i] for f in fields}
        if color_list is not None and isinstance(color_list[i], str):
            props["_c"] = color_list[i]
        if flag_list is not None and bool(flag_list[i]):
            props["_h"] = 1
        features.append({"type": "Feature", "id": str(i), "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def _style_js(*, line_color: str, weight: float, dash: str | None, fill_opacity: float,
              default_color: str = "#d9d9d9", fill: bool = True) -> JsCode:
    dash_js = json.dumps(dash) if dash else "null"
    return JsCode(
        "function(f){var p=f.properties||{};"
        f"return {{color:p._h?'#e31a1c':{json.dumps(line_color)},weight:p._h?{max(weight * 2.5, 3)}:{weight},"
        f"dashArray:p._h?null:{dash_js},fill:{'true' if fill else 'false'},"
        f"fillColor:p._c||{json.dumps(default_color)},fillOpacity:p._c?{fill_opacity}:0}};}}"
    )


def _tooltip(fields: Mapping[str, str]) -> folium.GeoJsonTooltip | None:
    if not fields:
        return None
    return folium.GeoJsonTooltip(fields=list(fields), aliases=[safe_text(a) for a in fields.values()],
                                 sticky=False, labels=True)


def spec_collection(spec: LayerSpec) -> dict:
    """The FeatureCollection a layer of ``spec`` sends (the costly part of a map: cache it per view)."""
    if isinstance(spec, CircleSpec):
        return feature_collection(spec.gdf, colors=spec.colors)
    flags = None
    if isinstance(spec, PolygonSpec) and spec.highlight and spec.code_column in spec.gdf:
        flags = spec.gdf[spec.code_column].astype(str).isin([str(c) for c in spec.highlight])
    return feature_collection(spec.gdf, fields=list(spec.fields), colors=spec.colors, flags=flags)


def polygon_layer(spec: PolygonSpec, *, data: dict | None = None) -> folium.GeoJson | None:
    """The GeoJson layer of a :class:`PolygonSpec` (None when it has no features); ``data``: its collection."""
    data = spec_collection(spec) if data is None else data
    if not data["features"]:
        return None
    style = _style_js(line_color=spec.line_color, weight=spec.weight, dash=spec.dash,
                      fill_opacity=spec.fill_opacity, fill=spec.fill)
    if not spec.interactive:
        return folium.GeoJson(data, name=spec.name, style=style, interactive=False)
    return folium.GeoJson(data, name=spec.name, tooltip=_tooltip(spec.fields), style=style)


def point_layer(spec: PointSpec, *, data: dict | None = None) -> folium.GeoJson | None:
    """Circle markers of a :class:`PointSpec`; colour from each feature's ``_c``."""
    data = spec_collection(spec) if data is None else data
    if not data["features"]:
        return None
    style = JsCode(
        "function(f){var p=f.properties||{};"
        f"return {{color:'#ffffff',weight:1,fill:true,fillColor:p._c||{json.dumps(spec.default_color)},"
        "fillOpacity:0.95};}"
    )
    # filled like the legend's dots: folium's CircleMarker defaults to fill=False (hollow rings)
    marker = folium.CircleMarker(radius=spec.radius_px, fill=True, fill_opacity=0.95)
    return folium.GeoJson(data, name=spec.name, tooltip=_tooltip(spec.fields), marker=marker, style=style)


def circle_layer(spec: CircleSpec, *, data: dict | None = None) -> folium.GeoJson | None:
    """Reach circles (``radius_m`` metres) around the points of a :class:`CircleSpec`."""
    data = spec_collection(spec) if data is None else data
    if not data["features"]:
        return None
    style = JsCode(
        "function(f){var p=f.properties||{};"
        f"var c=p._c||{json.dumps(spec.default_color)};"
        "return {color:c,weight:1,fillColor:c,fillOpacity:0.08,interactive:false};}"
    )
    marker = folium.Circle(radius=float(spec.radius_m), interactive=False)
    return folium.GeoJson(data, name=spec.name, marker=marker, style=style, interactive=False)


class _UnclickedCount(MacroElement):
    """In ``st_folium``, start the click count at ``null``, the value Python expects, not at ``0``.

    ``st_folium`` sends its value when the map is first drawn if it differs from the default it was
    given; the count (``last_object_clicked_count``, which tells two clicks on one spot apart) starts
    at 0 in the browser but at ``None`` in Python, so every new map cost one more script run (on the
    server and in the browser) before anyone clicked. ``null + 1`` is 1: clicks count as before.
    Nothing happens outside ``st_folium`` (no ``__GLOBAL_DATA__``).
    """

    _template = Template("""{% macro script(this, kwargs) %}
        if (window.__GLOBAL_DATA__ && window.__GLOBAL_DATA__.last_object_clicked_count === 0) {
            window.__GLOBAL_DATA__.last_object_clicked_count = null;
        }
    {% endmacro %}""")


def base_map(*, bounds: Sequence[float], basemap: str = "none", tianditu_key: str = "",
             static_url: str = STATIC_URL, height: str = "100%") -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy in WGS 84), loading assets offline.

    No request leaves the machine unless ``basemap`` names an online tile source.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None,
                   prefer_canvas=True, control_scale=True, height=height)
    m.default_js, m.default_css = offline_assets(static_url)
    _UnclickedCount().add_to(m)
    add_basemap(m, basemap, tianditu_key=tianditu_key)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _shifted(gdf: gpd.GeoDataFrame, offset: str | None) -> gpd.GeoDataFrame:
    if offset is None or len(gdf) == 0:
        return gdf
    return to_offset_system(gdf, offset)


def map_collections(specs: Sequence[LayerSpec], *, basemap: str = "none") -> list[dict]:
    """The FeatureCollection of every spec as ``layered_map`` draws it on ``basemap`` (shifted for Amap).

    Pure data, the same for every session showing the view: the app caches it (ui/cached.py)
    and passes it back as ``layered_map(..., collections=...)``; folium only reads it.
    """
    offset = display_offset(basemap)
    return [spec_collection(type(spec)(**{**spec.__dict__, "gdf": _shifted(spec.gdf, offset)})) for spec in specs]


def _add_layers(parent: folium.Map | folium.FeatureGroup, specs: Sequence[LayerSpec],
                collections: Sequence[dict]) -> None:
    builders = {PolygonSpec: polygon_layer, PointSpec: point_layer, CircleSpec: circle_layer}
    for spec, data in zip(specs, collections, strict=True):
        layer = builders[type(spec)](spec, data=data)
        if layer is not None:
            layer.add_to(parent)


def _display_bounds(bounds: Sequence[float], basemap: str) -> Sequence[float]:
    offset = display_offset(basemap)
    if offset is None:
        return bounds
    box = gpd.GeoSeries.from_xy([bounds[0], bounds[2]], [bounds[1], bounds[3]], crs=STORAGE_CRS)
    return to_offset_system(gpd.GeoDataFrame(geometry=box), offset).total_bounds


def layered_map(specs: Sequence[LayerSpec], *, bounds: Sequence[float], basemap: str = "none",
                tianditu_key: str = "", static_url: str = STATIC_URL,
                collections: Sequence[dict] | None = None) -> folium.Map:
    """A map with every layer of ``specs`` (drawn in order), shifted to GCJ-02 on the Amap basemap.

    ``bounds`` are WGS 84; shifting is for display only and never changes the inputs.
    ``collections``: the layers' data from ``map_collections(specs, basemap=basemap)``, built once.
    """
    m = base_map(bounds=_display_bounds(bounds, basemap), basemap=basemap, tianditu_key=tianditu_key,
                 static_url=static_url)
    _add_layers(m, specs, map_collections(specs, basemap=basemap) if collections is None else collections)
    return m


def layer_group(specs: Sequence[LayerSpec], *, collections: Sequence[dict], name: str = "view") -> folium.FeatureGroup:
    """The layers of ``specs`` as one feature group (``collections`` from ``map_collections``).

    For a map that stays in the browser while the view changes: ``st_folium`` swaps the
    group (``feature_group_to_add``) and moves the map (``center``/``zoom``) without reloading it.
    """
    group = folium.FeatureGroup(name=name)
    _add_layers(group, specs, collections)
    return group


def view_center_zoom(bounds: Sequence[float], *, basemap: str = "none", width_px: int = 700,
                     height_px: int = 540) -> tuple[tuple[float, float], int]:
    """``((lat, lon), zoom)`` that shows ``bounds`` (WGS 84) in a map of about ``width_px`` × ``height_px``.

    The largest whole Web Mercator zoom at which the box fits, shifted like the layers on Amap.
    """
    minx, miny, maxx, maxy = (float(v) for v in _display_bounds(bounds, basemap))
    lat = (miny + maxy) / 2
    dx = max(maxx - minx, 1e-6)
    dy = max((maxy - miny) / max(np.cos(np.radians(lat)), 0.1), 1e-6)  # Mercator stretches latitude
    fit = min(width_px * 360 / (256 * dx), height_px * 360 / (256 * dy))
    zoom = int(np.clip(np.floor(np.log2(fit)), 3, 18))
    return (lat, (minx + maxx) / 2), zoom


def feature_count(m: folium.Map) -> int:
    """How many GeoJSON features the map carries (for payload reports)."""
    return sum(len(child.data.get("features", [])) for child in m._children.values()
               if isinstance(child, folium.GeoJson))
