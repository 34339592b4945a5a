"""The explore map's selection in session state, and the map-click handler (runs before the rerun)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from geo.crs import gcj02_to_wgs84
from layers.basemaps import display_offset
from ui import state
from ui.cached import explore_project
from ui.common import current_scope
from geo.explore import Selection, drill

MAP_KEY = "explore_map"


def selection() -> Selection:
    """The selected town, community and grid."""
    ss = st.session_state
    return Selection(ss.get(state.SELECTED_TOWN), ss.get(state.SELECTED_COMMUNITY), ss.get(state.SELECTED_GRID))


def select(sel: Selection) -> None:
    """Make ``sel`` the selection."""
    st.session_state[state.SELECTED_TOWN] = sel.town
    st.session_state[state.SELECTED_COMMUNITY] = sel.community
    st.session_state[state.SELECTED_GRID] = sel.grid


def clicked_lonlat(out: dict | None, basemap: str) -> tuple[float, float] | None:
    """WGS 84 lon/lat of a map click not handled yet, else None (each click is handled once)."""
    click = (out or {}).get("last_object_clicked")
    if not click or "lat" not in click:
        return None
    # the map stays in the browser across views: the click count tells a second click on the same spot
    here = (float(click["lat"]), float(click["lng"]), (out or {}).get("last_object_clicked_count"))
    if st.session_state.get(state.EXPLORE_LAST_CLICK) == here:
        return None
    st.session_state[state.EXPLORE_LAST_CLICK] = here
    lat, lon = here[0], here[1]
    if display_offset(basemap) is not None:  # the map is drawn in GCJ-02: back to WGS 84
        lon_a, lat_a = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        lon, lat = float(lon_a[0]), float(lat_a[0])
    return lon, lat


def on_map_click(path: str, grid_levels: tuple[str, ...], basemap: str) -> None:
    """``st_folium`` on_change: drill into the clicked unit before the rerun draws the map."""
    lonlat = clicked_lonlat(st.session_state.get(MAP_KEY), basemap)
    if lonlat is None:
        return
    current = selection()
    new = drill(explore_project(path, current_scope(), current), current, *lonlat, grid_levels=grid_levels)
    if new != current:
        select(new)
