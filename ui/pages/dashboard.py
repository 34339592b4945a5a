"""Dashboard page: headline figures and charts per level, filterable by town and community."""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from geo import schema as s
from layers import charts
from ui import labels, state
from ui.cached import cached_figures
from ui.common import current_project, project_path
from ui.i18n import tr
from geo.explore import (
    COMMUNITY, GRID, TOWN, Selection, reach_rows, unit_grid_codes, unit_names, unit_panel_figures,
)
from geo.hierarchy import grid_tree, unit_children_codes
from geo.organisations import find_grids_without_management
from geo.rollup import kind_figures
from geo.numbers import count_text, share_text

HOUSEHOLD_BINS = (0, 30, 100, 300, 500, 1000, np.inf)
WORST_UNITS = 15  # the staffing chart shows the lowest units, not a wall of 100 % bars


def _filters(project) -> Selection:
    towns = unit_names(project, s.TOWNS)
    c1, c2 = st.columns(2)
    town = c1.selectbox(tr("ui.dash.filter_town"), ["", *towns], key=state.DASH_TOWN,
                        format_func=partial(labels.name_or_all, towns))
    communities = project.layer(s.COMMUNITIES)
    if town and s.TOWN_CODE in communities:
        communities = communities[communities[s.TOWN_CODE].astype(str) == town]
    comm_names = {c: n for c, n in unit_names(project, s.COMMUNITIES).items()
                  if c in set(communities[s.CODE].astype(str))}
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
grid_fig = figures.get(GRID).reindex(codes)
leaf_fig = grid_fig[grid_fig["is_leaf"].astype(bool)]
unit = unit_panel_figures(project, figures, sel)  # the same figures as the map panel, export and print

# rows of 4 and 3 (not 7 in one row): a city's 7,995,018 households shown whole on a laptop
c = [*st.columns(4), *st.columns(3)]
c[0].metric(tr("ui.dash.grids"), count_text(unit["grids"]))
c[1].metric(tr("ui.dash.households"), count_text(unit["households"]))
c[2].metric(tr("ui.dash.volunteers"), count_text(unit["volunteers"]))
c[3].metric(tr("ui.dash.points"), count_text(unit["service_points"]))
c[4].metric(tr("ui.dash.staffing_rate"), share_text(unit["staffing"]))
c[5].metric(tr("ui.dash.grids_short"), count_text(unit["short_grids"]))
c[6].metric(tr("ui.dash.coverage", radius=f"{figures.radius_m or radius:.0f}"), share_text(unit["coverage"]))
if unit["actual"] == 0:
    st.info(tr("ui.dash.no_assignments"))

# governance: organisations, projects, self-governance (geo.rollup served counts), gaps, unit kinds
g = [*st.columns(3), *st.columns(3)]  # two rows: "97（已建成 57）" and "3 / 12 / 5" shown whole
g[0].metric(tr("ui.gov.metric.organisations"), count_text(unit["organisations"]))
g[1].metric(tr("ui.gov.metric.projects"), tr("ui.gov.projects_done", n=count_text(unit["gov_projects"]),
                                              done=count_text(unit["projects_done"])))
g[2].metric(tr("ui.gov.metric.selfgov"), tr("ui.gov.selfgov_counts", bodies=count_text(unit["selfgov_bodies"]),
                                             orgs=count_text(unit["self_orgs"]),
                                             conventions=count_text(unit["conventions"])))
g[3].metric(tr("ui.gov.metric.org_gaps"), count_text(unit["org_gaps"]))
g[4].metric(tr("ui.gov.metric.buildings"), count_text(unit["buildings"]))
g[5].metric(tr("ui.gov.metric.headless_buildings"), count_text(unit["headless_buildings"]))

st.subheader(tr("ui.gov.kinds"))
per_kind = kind_figures(project, figures, codes)
if per_kind["grids"].sum() > 0:
    st.dataframe(pd.DataFrame({
        tr("col.unit_kind"): [labels.unit_kind_label(k) for k in per_kind.index],
        tr("ui.dash.grids"): [count_text(v) for v in per_kind["grids"]],
        tr("ui.dash.households"): [count_text(v) for v in per_kind["households"]],
        tr("ui.dash.staffing_rate"): [share_text(v) for v in per_kind["staffing"]],
        tr("ui.dash.coverage", radius=f"{figures.radius_m or radius:.0f}"): [share_text(v) for v in per_kind["coverage"]],
        tr("ui.gov.metric.organisations"): [count_text(v) for v in per_kind["organisations"]],
        tr("ui.gov.metric.org_gaps"): [count_text(v) for v in per_kind["org_gaps"]],
        tr("ui.gov.metric.buildings"): [count_text(v) for v in per_kind["buildings"]],
        tr("ui.gov.metric.headless_buildings"): [count_text(v) for v in per_kind["headless_buildings"]],
    }), hide_index=True, width="stretch")

st.subheader(tr("ui.gov.org_gaps"))
if len(project.table(s.ORGANISATIONS)) == 0:
    st.caption(tr("ui.gov.org_gaps_no_data"))
else:
    in_unit = set(codes)
    gaps = [c for c in find_grids_without_management(project) if c in in_unit]
    if gaps:
        gap_names = unit_names(project, s.GRIDS)
        st.dataframe(pd.DataFrame({tr("ui.col.unit_name"): [gap_names.get(c, c) for c in gaps],
                                   tr("ui.col.code"): gaps,
                                   tr("col.unit_kind"): [labels.unit_kind_label(grid_fig.at[c, s.KIND])
                                                         for c in gaps]}),
                     hide_index=True, width="stretch", height=min(35 * len(gaps) + 38, 300))
    else:
        st.success(tr("ui.gov.org_gaps_none"))

# per level: grids by level
st.subheader(tr("ui.dash.by_level"))
if len(grid_fig):
    by_level = grid_fig.groupby(grid_fig[s.LEVEL].astype(str))[["grids", "short_grids"]].sum()
    by_level.columns = [tr("ui.dash.grids"), tr("ui.dash.grids_short")]
    by_level.index = [labels.level_label(v) for v in by_level.index]
    st.dataframe(by_level, width="stretch")

# staffing rate by unit one level below the filter
unit_level = GRID if sel.community else COMMUNITY if sel.town else TOWN
unit_layer = {TOWN: s.TOWNS, COMMUNITY: s.COMMUNITIES, GRID: s.GRIDS}[unit_level]
unit_names_shown = unit_names(project, unit_layer)
units = figures.get(unit_level)
if unit_level == GRID:
    units = units.reindex(codes)
elif unit_level == COMMUNITY:
    units = units.reindex(unit_children_codes(project, grid_tree(project), level=TOWN, code=sel.town)[1])
st.subheader(tr("ui.dash.staffing_chart"))
rate = units["staffing"].rename(index=lambda c: unit_names_shown.get(c, c)).dropna()
if len(rate):
    full = int((rate >= 1.0 - 1e-9).sum())
    st.caption(tr("ui.dash.spread", n=count_text(len(rate)), full=count_text(full), low=share_text(rate.min()),
                  median=share_text(rate.median()), worst=min(WORST_UNITS, len(rate))))
    st.altair_chart(charts.worst_units_chart(rate, title=tr("ui.dash.staffing_rate"), target=1.0,
                                             target_label=tr("ui.dash.target", value=share_text(1.0)),
                                             worst=WORST_UNITS), width="stretch")

st.subheader(tr("ui.dash.coverage_chart", radius=radius))
reach = reach_rows(project, sel, radius_m=radius)
if len(reach):
    share = reach.set_index(s.CATEGORY)["share"].rename(index=labels.category_label)
    st.altair_chart(charts.share_bars_chart(share, title=tr("ui.col.coverage")), width="stretch")
else:
    st.caption(tr("ui.panel.reach_none", page=tr("ui.nav.run")))

st.subheader(tr("ui.dash.households_chart"))
hh = leaf_fig["households"].dropna()
if len(hh):
    bins = pd.cut(hh, HOUSEHOLD_BINS, right=False)
    counts = bins.value_counts(sort=False)  # the bins' own (numeric) order
    bands = [tuple(project.settings.get(k) or s.DEFAULT_SETTINGS[k]) for k in ("micro_households", "general_households")]
    in_band = [any(lo <= iv.left and iv.right <= hi for lo, hi in bands) for iv in counts.index]
    counts.index = [f"{iv.left:.0f}–{iv.right:.0f}" if np.isfinite(iv.right) else f"≥ {iv.left:.0f}"
                    for iv in counts.index]
    st.altair_chart(charts.binned_counts_chart(counts, title=tr("ui.dash.count"), bin_title=tr("ui.dash.bin"),
                                               highlight=[b for b, ok in zip(counts.index, in_band) if ok]),
                    width="stretch")
    st.caption(tr("ui.dash.bands", micro=f"{bands[0][0]}–{bands[0][1]}", general=f"{bands[1][0]}–{bands[1][1]}"))

st.subheader(tr("ui.dash.short_table"))
short = grid_fig[grid_fig["short"] > 0]
if len(short):
    names = unit_names(project, s.GRIDS)
    table = pd.DataFrame({
        tr("ui.col.unit_name"): [names.get(c, c) for c in short.index], tr("ui.col.code"): short.index,
        tr("ui.col.households"): short["households"].to_numpy(),
        tr("ui.col.staffing"): [f"{a:.0f}/{t:.0f}" for a, t in zip(short["actual"], short["target"])],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=min(35 * len(table) + 38, 300))
else:
    st.success(tr("ui.dash.short_none"))
