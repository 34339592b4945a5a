"""Dashboard page: headline figures and charts per level, filterable by town and community."""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from geo import schema as s
from ui import labels, state
from ui.cached import cached_figures
from ui.common import current_project, project_path
from ui.i18n import tr
from geo.explore import COMMUNITY, GRID, TOWN, Selection, reach_rows, unit_grid_codes, unit_panel_figures
from geo.numbers import count_text, share_text

HOUSEHOLD_BINS = (0, 30, 100, 300, 500, 1000, np.inf)


def _names(gdf) -> dict[str, str]:
    if s.CODE not in gdf or s.NAME not in gdf:
        return {}
    return dict(zip(gdf[s.CODE].astype(str), gdf[s.NAME].astype(str)))


def _filters(project) -> Selection:
    towns = _names(project.layer(s.TOWNS))
    c1, c2 = st.columns(2)
    town = c1.selectbox(tr("ui.dash.filter_town"), ["", *towns], key=state.DASH_TOWN,
                        format_func=partial(labels.name_or_all, towns))
    communities = project.layer(s.COMMUNITIES)
    if town and s.TOWN_CODE in communities:
        communities = communities[communities[s.TOWN_CODE].astype(str) == town]
    comm_names = _names(communities)
    if st.session_state.get(state.DASH_COMMUNITY) not in ("", *comm_names):
        st.session_state[state.DASH_COMMUNITY] = ""
    community = c2.selectbox(tr("ui.dash.filter_community"), ["", *comm_names], key=state.DASH_COMMUNITY,
                             format_func=partial(labels.name_or_all, comm_names))
    return Selection(town=town or None, community=community or None)


project = current_project()
st.title(tr("ui.dash.title"))
sel = _filters(project)
radii = [int(r) for r in project.settings.get("radii_m", s.DEFAULT_SETTINGS["radii_m"])]
radius = 500 if 500 in radii else radii[0]
figures = cached_figures(project_path(), project, "生活", float(radius))
codes = unit_grid_codes(project, sel)
grids = project.layer(s.GRIDS)
grids = grids[grids[s.CODE].astype(str).isin(set(codes))] if s.CODE in grids else grids
grid_fig = figures.get(GRID).reindex(codes)
leaf_fig = grid_fig[grid_fig["is_leaf"].astype(bool)]
unit = unit_panel_figures(project, figures, sel)  # the same figures as the map panel, export and print

c = st.columns(7)
c[0].metric(tr("ui.dash.grids"), count_text(unit["grids"]))
c[1].metric(tr("ui.dash.households"), count_text(unit["households"]))
c[2].metric(tr("ui.dash.volunteers"), count_text(unit["volunteers"]))
c[3].metric(tr("ui.dash.points"), count_text(unit["service_points"]))
c[4].metric(tr("ui.dash.staffing_rate"), share_text(unit["staffing"]))
c[5].metric(tr("ui.dash.grids_short"), count_text(unit["short_grids"]))
c[6].metric(tr("ui.dash.coverage", radius=f"{figures.radius_m or radius:.0f}"), share_text(unit["coverage"]))
if unit["actual"] == 0:
    st.info(tr("ui.dash.no_assignments"))

# per level: grids by level
st.subheader(tr("ui.dash.by_level"))
if s.LEVEL in grids and len(grids):
    lv = grids[s.LEVEL].astype(str)
    by_level = pd.DataFrame({
        tr("ui.dash.grids"): lv.value_counts(),
        tr("ui.dash.grids_short"): lv[(grid_fig["short"].to_numpy() > 0)].value_counts(),
    }).fillna(0).astype(int)
    by_level.index = [labels.level_label(v) for v in by_level.index]
    st.dataframe(by_level, width="stretch")

# staffing rate by unit one level below the filter
unit_level = GRID if sel.community else COMMUNITY if sel.town else TOWN
unit_layer = {TOWN: s.TOWNS, COMMUNITY: s.COMMUNITIES, GRID: s.GRIDS}[unit_level]
unit_names = _names(project.layer(unit_layer))
units = figures.get(unit_level)
if unit_level == GRID:
    units = units.reindex(codes)
elif unit_level == COMMUNITY:
    units = units.reindex([c for c in unit_names if c in units.index and
                           str(project.layer(s.COMMUNITIES).set_index(s.CODE).loc[c].get(s.TOWN_CODE)) == sel.town])
st.subheader(tr("ui.dash.staffing_chart"))
rate = units["staffing"].rename(index=lambda c: unit_names.get(c, c)).dropna()
if len(rate):
    st.bar_chart(rate.rename(tr("ui.dash.staffing_rate")), horizontal=True, height=max(200, 18 * len(rate)))

st.subheader(tr("ui.dash.coverage_chart", radius=radius))
reach = reach_rows(project, sel, radius_m=radius)
if len(reach):
    share = reach.set_index(s.CATEGORY)["share"].rename(index=labels.category_label)
    st.bar_chart(share.rename(tr("ui.col.coverage")))
else:
    st.caption(tr("ui.panel.reach_none", page=tr("ui.nav.run")))

st.subheader(tr("ui.dash.households_chart"))
hh = leaf_fig["households"].dropna()
if len(hh):
    bins = pd.cut(hh, HOUSEHOLD_BINS, right=False)
    counts = bins.value_counts(sort=False)
    counts.index = [f"{iv.left:.0f}–{iv.right:.0f}" if np.isfinite(iv.right) else f"≥ {iv.left:.0f}"
                    for iv in counts.index]
    st.bar_chart(counts.rename(tr("ui.dash.count")))

st.subheader(tr("ui.dash.short_table"))
short = grid_fig[grid_fig["short"] > 0]
if len(short):
    names = _names(grids)
    table = pd.DataFrame({
        tr("ui.col.code"): short.index, tr("ui.col.name"): [names.get(c, c) for c in short.index],
        tr("ui.col.households"): short["households"].to_numpy(),
        tr("ui.col.staffing"): [f"{a:.0f}/{t:.0f}" for a, t in zip(short["actual"], short["target"])],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=300)
