"""Basemap choices for the web map: none (offline default), OSM, Tianditu (user key), Amap (GCJ-02)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import folium

from geo.crs import GCJ02

NONE = "none"
OSM = "osm"
TIANDITU = "tianditu"
AMAP = "amap"
BASEMAPS = (NONE, OSM, TIANDITU, AMAP)


@dataclass(frozen=True)
class Basemap:
    """One tile source: URL template, attribution, subdomains, and the offset system it is drawn in."""

    url: str
    attribution: str
    subdomains: str = "abc"
    offset: str | None = None  # GCJ-02 for Amap: data must be shifted for display
    host: str = ""
    overlay_url: str | None = None  # label layer drawn on top (Tianditu annotation)


_TDT = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
        "&TILECOL={{x}}&tk={key}")


def basemap_spec(name: str, *, tianditu_key: str = "") -> Basemap | None:
    """The tile source for ``name`` (one of ``BASEMAPS``), or ``None`` for no basemap.

    Raises
    ------
    ValueError
        For an unknown name, or Tianditu without a key.
    """
    if name == NONE:
        return None
    if name == OSM:
        return Basemap(url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                       attribution="&copy; OpenStreetMap contributors", subdomains="abc",
                       host="tile.openstreetmap.org")
    if name == TIANDITU:
        key = tianditu_key.strip()
        if not key:
            msg = "Tianditu needs a key (tk)"
            raise ValueError(msg)
        safe_key = quote(key, safe="")
        return Basemap(url=_TDT.format(layer="vec", key=safe_key), attribution="&copy; 天地图 Tianditu",
                       subdomains="01234567", host="t0-7.tianditu.gov.cn",
                       overlay_url=_TDT.format(layer="cva", key=safe_key))
    if name == AMAP:
        return Basemap(url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                       "&x={x}&y={y}&z={z}", attribution="&copy; 高德地图 AutoNavi", subdomains="1234",
                       offset=GCJ02, host="webrd01-04.is.autonavi.com")
    msg = f"unknown basemap {name!r}; choose one of {BASEMAPS}"
    raise ValueError(msg)


def display_offset(name: str) -> str | None:
    """The offset system data must be shifted into to line up with basemap ``name`` (``gcj02`` or None)."""
    return GCJ02 if name == AMAP else None


def add_basemap(m: folium.Map, name: str, *, tianditu_key: str = "") -> folium.Map:
    """Add the tile layer(s) of basemap ``name`` to ``m`` (in place) and return ``m``."""
    spec = basemap_spec(name, tianditu_key=tianditu_key)
    if spec is None:
        return m
    folium.TileLayer(tiles=spec.url, attr=spec.attribution, subdomains=spec.subdomains, name=name,
                     max_zoom=18, control=False).add_to(m)
    if spec.overlay_url:
        folium.TileLayer(tiles=spec.overlay_url, attr=spec.attribution, subdomains=spec.subdomains,
                         name=f"{name}_labels", overlay=True, max_zoom=18, control=False).add_to(m)
    return m
