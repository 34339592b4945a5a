"""Explore page: the drill-down map (city → town → community → grid), layer toggles, search and side panel."""
from __future__ import annotations

import html
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit_folium import st_folium

from geo.access import revealed_staff
from geo import schema as s
from geo.errors import GeoInputError
from geo.unitkinds import with_unit_kind
from layers import style
from layers.basemaps import TIANDITU
from layers.web import safe_text
from ui import labels, state
from ui.cached import (
    PanelData, cached_explore_map, cached_figures, cached_grid_table, cached_panel, city_summary_if_ready,
    explore_project, is_city_size, search_project, warm_views,
)
from ui.common import allowed_to_edit, current_project, current_scope, project_path, save_current, unit_part
from ui.i18n import show_error, tr
from ui.safe import plain, visible
from ui.map_click import MAP_KEY, clicked_lonlat, on_map_click, select, selection
from ui.mapview import LegendInfo, MapOptions, live_view, prepared_base_map
from geo.explore import (
    CITY, COMMUNITY, GRID, Selection, drill, parent_chain, search_units, selection_for, unit_names,
)
from geo.rollup import Figures
from geo.numbers import count_text, share_text

RADII_CHOICES = (300, 500, 1000)


def _rerun_view() -> None:
    """Rerun only the map fragment when this run is a fragment run, else the page."""
    ctx = get_script_run_ctx()
    st.rerun(scope="fragment" if ctx is not None and ctx.fragment_ids_this_run else "app")


def _options(project) -> MapOptions:
    """Widgets above the map: colouring, layers, grid levels, point types."""
    ss = st.session_state
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    # colour by coverage when it has been computed, else by households: colours at a glance
    ss.setdefault(state.EXPLORE_METRIC, "coverage" if len(project.table(s.COVERAGE)) else "households")
    metric = c1.selectbox(tr("ui.explore.colour_by"), ("none", "coverage", "staffing", "households",
                                                       style.UNIT_KIND_MEASURE),
                          key=state.EXPLORE_METRIC, format_func=labels.metric_label)
    category = c2.selectbox(tr("ui.explore.category"), s.CATEGORIES, key=state.EXPLORE_CATEGORY,
                            format_func=labels.category_label)
    radii = tuple(int(r) for r in project.settings.get("radii_m", RADII_CHOICES))
    ss.setdefault(state.EXPLORE_RADIUS, 500 if 500 in radii else radii[0])
    radius = c3.selectbox(tr("ui.explore.radius"), radii, key=state.EXPLORE_RADIUS)
    with c4.popover(tr("ui.explore.layers"), width="stretch"):
        levels = st.multiselect(tr("ui.explore.grid_levels"), s.GRID_LEVELS, key=state.EXPLORE_LEVELS,
                                default=[s.LEVEL_GENERAL, s.LEVEL_MICRO, s.LEVEL_DEDICATED],
                                format_func=labels.level_label)
        vols = st.checkbox(tr("ui.explore.show_volunteers"), value=True, key=state.EXPLORE_VOLUNTEERS)
        points = st.checkbox(tr("ui.explore.show_points"), value=True, key=state.EXPLORE_POINTS)
        all_types = sorted(set(project.layer(s.SERVICE_POINTS).get(s.POINT_TYPE, []).astype(str))) \
            if len(project.layer(s.SERVICE_POINTS)) else []
        types = st.multiselect(tr("ui.explore.point_types"), all_types, default=all_types,
                               key=state.EXPLORE_POINT_TYPES,
                               format_func=labels.point_type_label)
        kinds = st.multiselect(tr("ui.gov.kind_filter"), (*s.MICRO_KINDS, s.UNIT_KIND_NONE),
                               default=[*s.MICRO_KINDS, s.UNIT_KIND_NONE], key=state.EXPLORE_UNIT_KINDS,
                               format_func=labels.unit_kind_label)
        projects = st.checkbox(tr("ui.gov.show_projects"), value=True, key=state.EXPLORE_PROJECTS)
        radii_on = st.checkbox(tr("ui.explore.show_radii"), value=False, key=state.EXPLORE_RADII)
        problems = st.checkbox(tr("ui.explore.show_problems"), value=True, key=state.EXPLORE_PROBLEMS)
    key = ss.get(state.TIANDITU_KEY, "")
    basemap = ss.get(state.BASEMAP, "none")
    if basemap == TIANDITU and not key.strip():
        basemap = "none"
    return MapOptions(metric=metric, category=category, radius_m=float(radius), grid_levels=tuple(levels),
                      show_volunteers=vols, show_points=points, point_types=tuple(types), show_radii=radii_on,
                      show_problems=problems, basemap=basemap, tianditu_key=key,
                      unit_kinds=None if len(kinds) == len(s.MICRO_KINDS) + 1 else tuple(kinds),
                      show_projects=projects)


def _search(path: str) -> None:
    query = st.text_input(tr("ui.explore.search"), key=state.EXPLORE_SEARCH)
    if not query.strip():
        return
    project = search_project(path, current_scope())  # a city's towns, communities and grids: read on first search
    hits = search_units(project, query)
    if not hits:
        st.caption(plain(tr("ui.explore.search_none", query=query)))
        return
    choices = {i: visible(f"{name} · {code} · {labels.level_label(level)}") for i, (level, code, name) in enumerate(hits)}
    pick = st.selectbox(tr("ui.explore.search_pick"), list(choices), format_func=choices.get)
    if st.button(tr("ui.explore.search_go"), key="explore_search_go"):
        level, code, _ = hits[pick]
        select(selection_for(project, level, code))
        st.rerun()


def _breadcrumbs(project, chain: list) -> None:
    # one row of buttons (a horizontal container, not a column per crumb: fewer elements for every view)
    row = st.container(horizontal=True, gap="small")
    for level, code, label in chain:
        is_last = (level, code) == (chain[-1][0], chain[-1][1])
        # on_click: the selection changes before the one run the click starts (no second run to redraw)
        row.button(plain(label), key=f"crumb_{level}", disabled=is_last, on_click=select,
                   args=(selection_for(project, level, code) if code else Selection(),))


def _legend_block(title: str, entries: list[tuple[str, str]], swatch: str) -> str:
    """One legend heading and its swatches (``swatch``: the CSS of the box besides its colour), as HTML."""
    rows = [f"<b>{safe_text(title)}</b>"]
    rows += [f"<span style='display:inline-block;{swatch};background:{html.escape(c)};margin-right:6px'></span>"
             f"{safe_text(label)}" for c, label in entries]
    return "<br>".join(rows)


def _legend(legend: LegendInfo) -> None:
    """The legend beside the map (top of the side panel): measure classes, then point types, one heading each."""
    blocks = []
    if legend.entries:
        blocks.append(_legend_block(legend.title, legend.entries, "width:12px;height:12px;border:1px solid #999"))
    if legend.projects:
        blocks.append(_legend_block(tr("ui.gov.projects"), legend.projects, "width:10px;height:10px"))
    if legend.points:
        blocks.append(_legend_block(tr("ui.explore.point_types"), legend.points,
                                    "width:10px;height:10px;border-radius:5px"))
    # one HTML block: labels (a planner's own point type too) as HTML text. st.html, not Markdown with
    # unsafe_allow_html: the page then neither loads the HTML-in-Markdown parser (rehype-raw, 184 KB of
    # script per browser) nor runs Markdown over the legend on every view (issue 18, bench.web_cpu)
    if blocks:
        st.html("<div style='font-size:0.85em;line-height:1.5'>" + "<br>".join(blocks) + "</div>")


def _reach_bars(title: str, shares: list[tuple[str, float]]) -> None:
    """The reach of each category as one block of labelled bars (a share of NaN: "—", no bar).

    One st.html element, not a heading and one st.progress per category: each progress text is a
    Markdown element of its own, and every element is a React update in every open page on every
    view (issue 18: ten planners' browsers filled the two cores, bench.web_cpu).
    """
    rows = [f"<b>{safe_text(title)}</b>"]
    for label, share in shares:
        known = share == share
        width = f"{float(np.clip(share, 0, 1)) * 100:.1f}%" if known else "0%"
        rows.append(f"<div>{safe_text(label)}: {f'{share:.0%}' if known else '—'}</div>"
                    "<div style='height:0.5rem;border-radius:0.25rem;background:#f0f2f6;margin-bottom:0.4rem'>"
                    f"<div style='height:100%;width:{width};border-radius:0.25rem;background:#ff4b4b'></div></div>")
    st.html("<div style='font-size:0.9em;line-height:1.6'>" + "".join(rows) + "</div>")


def _reveal_staff(project, codes: list[str]) -> None:
    """Full phones of the unit's staff, on request, for roles that may: the access is logged before they show."""
    scope = current_scope()
    if not scope.can_unmask or not st.button(tr("ui.panel.reveal"), key=f"explore_reveal_{len(codes)}_{codes[:1]}",
                                             help=tr("ui.panel.reveal_help")):
        return
    try:
        logged, rows = revealed_staff(project, scope, codes, user=state.account_name())
        save_current(logged, expected_revision=project.revision, user=state.account_name())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.dataframe(pd.DataFrame({tr("ui.col.name"): rows[s.NAME], tr("ui.col.phone"): rows[s.PHONE]}),
                 hide_index=True, width="stretch")


def _panel(project, sel: Selection, panel: PanelData, opts: MapOptions, *, pending: bool = False) -> None:
    level = sel.level
    chain = panel.chain
    name = chain[-1][2]
    st.subheader(plain(f"{labels.level_label(level)} · {name}"))
    lines = []  # one caption of two lines, not two elements
    if len(chain) > 1:
        lines.append(plain(f"{tr('ui.panel.parents')}: " + " › ".join(nm for _, _, nm in chain[:-1])))
    if level != CITY:
        lines.append(plain(f"{tr('ui.panel.code')}: {chain[-1][1]}"))
    if lines:
        st.caption("  \n".join(lines))
    if pending:  # a city-size project's city view: the figures are being added up (``city_summary_if_ready``)
        st.caption(tr("ui.explore.figures_pending"))
        return
    unit = panel.unit
    m1, m2, m3 = st.columns([4, 3, 3])  # households: the widest figure (7,995,018 on a city)
    m1.metric(tr("ui.panel.households"), count_text(unit["households"]))
    m2.metric(tr("ui.panel.grids"), count_text(unit["grids"]))
    m3.metric(tr("ui.dash.staffing_rate"), share_text(unit["staffing"]),
              help=tr("ui.panel.staffing", actual=int(unit["filled"]), target=int(unit["target"])))
    if len(project.layer(s.BUILDINGS)):  # geo.rollup's building figures; nothing to say without buildings
        st.caption(tr("ui.gov.buildings_line", n=count_text(unit["buildings"]),
                      headless=count_text(unit["headless_buildings"])))
    # the staff table in a lazy expander like the governance tables (``_table_box``): a data grid is
    # 1.2 MB of script and a canvas layout in every browser on its first community view (issue 18)
    box = _table_box(state.EXPLORE_STAFF, tr("ui.panel.staff"), len(panel.staff)) \
        if level in (COMMUNITY, GRID) else None
    if box is not None:
        with box:
            _staff_table(project, panel)
    if level == GRID:
        _chain_panel(project, panel)
    reach = panel.reach
    title = tr("ui.panel.reach_categories", radius=f"{opts.radius_m:.0f}")
    if len(reach):
        _reach_bars(title, [(labels.category_label(row[s.CATEGORY]), row["share"]) for _, row in reach.iterrows()])
    else:
        st.markdown(f"**{title}**")
        st.caption(tr("ui.panel.reach_none", page=tr("ui.nav.run")))
    if panel.governance is not None:
        _governance(project, sel, panel.governance)
    problems = panel.problems
    items = [(key, {**ctx, "category": labels.category_label(ctx["category"])} if "category" in ctx else ctx)
             for key, ctx in problems[:8]]  # 生活 reads "daily life" in English
    if items:  # one element for the heading and the list, not one per line (each is a React subtree in every tab)
        st.markdown(f"**{tr('ui.panel.problems')}**\n\n" + "\n".join(f"- {plain(tr(key, **ctx))}" for key, ctx in items))
    else:
        st.markdown(f"**{tr('ui.panel.problems')}**")
        st.caption(tr("ui.panel.no_problems"))
    if len(problems) > 8:
        st.caption(tr("ui.panel.more_problems", n=len(problems) - 8))


def _staff_table(project, panel: PanelData) -> None:
    """The unit's staff (phones masked; full phones on request for roles that may), or a line saying there are none."""
    staff = panel.staff
    if not len(staff):
        st.caption(tr("ui.panel.staff_none"))
        return
    grid_names = unit_names(project, s.GRIDS)
    shown = pd.DataFrame({
        tr("ui.col.grid"): staff[s.GRID_CODE].astype(str).map(lambda c: grid_names.get(c) or c),
        tr("ui.col.role"): staff[s.ROLE].map(labels.role_label),
        tr("ui.col.name"): staff[s.NAME], tr("ui.col.tier"): staff[s.TIER].map(labels.tier_label),
        tr("ui.col.phone"): staff[s.PHONE]})
    st.dataframe(shown, hide_index=True, width="stretch", height=min(35 * len(shown) + 38, 260))
    _reveal_staff(project, panel.codes)


def _chain_panel(project, panel: PanelData) -> None:
    """Buildings with their heads, and the escalation chain of the selected grid (phones masked).

    Each table is built when its expander is open (``ui.cached.cached_grid_table``): a grid click
    does not walk the project's people and buildings for tables nobody opened.
    """
    path = project_path()
    box = st.expander(tr("explore.chain"), key=state.EXPLORE_CHAIN, on_change="rerun")
    chain = cached_grid_table(path, project, "escalation", panel.codes) if box.open else None
    if chain is not None and len(chain):  # a data grid costs every tab that draws it: only when opened
        with box:
            st.dataframe(pd.DataFrame({
                tr("col.chain_step"): [tr(f"chain.step.{x}") for x in chain["step"]],
                tr("col.chain_unit_name"): chain["unit_name"], tr("ui.col.name"): chain[s.NAME],
                tr("col.person_post"): chain["post"], tr("ui.col.phone"): chain[s.PHONE],
                tr("col.chain_gap"): [tr(f"chain.gap.{g}") if isinstance(g, str) else "" for g in chain["gap"]],
            }), hide_index=True, width="stretch", height=min(35 * len(chain) + 38, 300))
    box = st.expander(f"{tr('explore.buildings')} ({count_text(panel.unit['buildings'])})",
                      key=state.EXPLORE_BUILDINGS, on_change="rerun")
    if not box.open:
        return
    bld = cached_grid_table(path, project, "buildings", panel.codes)
    with box:
        if bld is None or len(bld) == 0:
            st.caption(tr("explore.buildings_none"))
        else:
            st.dataframe(pd.DataFrame({
                tr("col.building_name"): bld[s.NAME], tr("col.households"): bld[s.HOUSEHOLDS_N],
                tr("col.building_kind"): bld[s.KIND], tr("col.head_name"): bld["head_name"],
                tr("col.head_post"): bld["head_post"], tr("ui.col.phone"): bld[s.PHONE],
                tr("col.building_organisations"): bld["organisations"],
            }), hide_index=True, width="stretch", height=min(35 * len(bld) + 38, 300))


def _table_box(key: str, title: str, rows: int):
    """A lazy expander for one governance table: the expander when open, else None.

    A city lists hundreds of rows and a community four tables: each table is only built and
    sent once the planner opens its expander (``on_change="rerun"``; it stays open from view to
    view), so no view draws tables nobody asked for and the first page carries none (the browser
    neither loads the data-grid code nor lays out a grid).
    """
    box = st.expander(f"{title} ({rows})", key=key, on_change="rerun")
    return box if box.open else None


def _governance(project, sel: Selection, gov) -> None:
    """Unit kind (editable on a micro-grid), organisations (contacts masked), projects, self-governance, gaps."""
    if sel.level == GRID:
        _kind_edit(project, sel.grid)
    orgs = gov.organisations
    box = _table_box(state.EXPLORE_GOV_ORGS, tr("ui.gov.organisations"), len(orgs))
    if box is not None:
        with box:
            if len(orgs):
                st.dataframe(pd.DataFrame({
                    tr("col.org_name"): orgs[s.NAME],
                    tr("col.org_type"): orgs[s.ORG_TYPE].map(labels.org_type_label),
                    tr("col.grids_served"): orgs["grids"], tr("col.leader_name"): orgs["leader_name"],
                    tr("ui.col.phone"): orgs[s.PHONE]}), hide_index=True, width="stretch",
                    height=min(35 * len(orgs) + 38, 220))
                st.caption(tr("ui.gov.contact_masked"))
            else:
                st.caption(tr("ui.gov.organisations_none"))
    if gov.has_organisations and gov.org_gaps:
        names = unit_names(project, s.GRIDS)
        st.caption(plain(f"{tr('ui.gov.org_gaps')}: " + "、".join(names.get(c, c) for c in gov.org_gaps[:12])
                         + (" …" if len(gov.org_gaps) > 12 else "")))
    prj = gov.projects
    box = _table_box(state.EXPLORE_GOV_PROJECTS, tr("ui.gov.projects"), len(prj))
    if box is not None:
        with box:
            if len(prj):
                st.dataframe(pd.DataFrame({
                    tr("col.project_name"): prj[s.NAME],
                    tr("col.project_kind"): prj[s.KIND].map(labels.project_kind_label),
                    tr("col.status"): prj[s.STATUS].map(labels.project_status_label), tr("col.year"): prj[s.YEAR]}),
                    hide_index=True, width="stretch", height=min(35 * len(prj) + 38, 220))
            else:
                st.caption(tr("ui.gov.projects_none"))
    sg = gov.selfgov
    box = _table_box(state.EXPLORE_GOV_SELFGOV, tr("ui.gov.selfgov"), len(sg))
    if box is not None:
        with box:
            if len(sg):
                st.dataframe(pd.DataFrame({
                    tr("col.unit_name"): sg["unit_name"], tr("col.selfgov_bodies"): sg["selfgov_bodies"],
                    tr("col.selfgov_bodies_names"): sg["selfgov_bodies_names"], tr("col.self_orgs"): sg["self_orgs"],
                    tr("col.conventions"): sg["conventions"], tr("col.conventions_names"): sg["conventions_names"]}),
                    hide_index=True, width="stretch", height=min(35 * len(sg) + 38, 180))
            else:
                st.caption(tr("ui.gov.selfgov_none"))


def _kind_edit(project, grid_code: str) -> None:
    """The unit kind of a micro-grid: a select that saves the project (audited) on change."""
    grids = project.layer(s.GRIDS)
    row = grids[grids[s.CODE].astype(str) == str(grid_code)]
    if len(row) == 0 or str(row[s.LEVEL].iloc[0]) != s.LEVEL_MICRO or not current_scope().can_edit:
        return
    current = row[s.KIND].iloc[0] if s.KIND in row else None
    current = current if current in s.MICRO_KINDS else ""
    choice = st.selectbox(tr("ui.gov.kind_edit"), ("", *s.MICRO_KINDS), index=("", *s.MICRO_KINDS).index(current),
                          key=f"{state.EXPLORE_KIND_EDIT}_{grid_code}",
                          format_func=labels.unit_kind_label)
    if choice == current or not allowed_to_edit(grids=[grid_code]):
        return
    try:
        edited = with_unit_kind(project, grid_code=grid_code, kind=choice,
                                user=state.account_name())
        save_current(edited, expected_revision=project.revision, user=state.account_name())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.toast(plain(tr("ui.gov.kind_saved", name=row[s.NAME].iloc[0], kind=labels.unit_kind_label(choice))))
    st.rerun()


def _is_illustrative(project) -> bool:
    """True when the project, or any boundary in it, is generated (示意) data."""
    if project.meta.get("illustrative"):
        return True
    layers = (project.layer(name) for name in (s.TOWNS, s.COMMUNITIES, s.GRIDS))
    return any(bool(gdf[s.ILLUSTRATIVE].fillna(False).astype(bool).any())
               for gdf in layers if s.ILLUSTRATIVE in gdf.columns)


def _held(project, sel: Selection) -> Selection:
    """``sel``, or the whole view when it names a unit the (scoped) project does not hold: a stale or tampered key."""
    for layer, code in ((s.TOWNS, sel.town), (s.COMMUNITIES, sel.community), (s.GRIDS, sel.grid)):
        gdf = project.layer(layer)
        if code is not None and (s.CODE not in gdf.columns or str(code) not in set(gdf[s.CODE].astype(str))):
            select(Selection())
            return Selection()
    return sel


def _city_part(path: str):
    """The city view's part of a city-size project (``ui.cached.explore_project``): towns, settings, point types.

    What the page's widgets read instead of the whole project; stops with the same messages as
    ``current_project`` when the user has no access or the account names no unit of the project.
    """
    return unit_part(path, current_scope(), Selection(), held=s.TOWNS)


def _city_summary(path: str, opts: MapOptions):
    """``(figures, panel)`` of a city-size project's city view, or None while they are added up in the background."""
    return city_summary_if_ready(path, current_scope(), category=opts.category, radius_m=opts.radius_m,
                                 lang=state.lang())


def _view_data(project, path: str, sel: Selection, opts: MapOptions, *, city_size: bool):
    """The view's project, selection, figures, panel and whether the figures are still pending.

    Whole-project path: ``project`` itself. City size: the view's unit read from the store
    (``explore_project``); a town or community view rolls up its own part (it holds the whole
    unit, so its figures are the unit's); the city view takes the city's figures when added up.
    """
    if city_size:
        project = explore_project(path, current_scope(), sel)
    held = _held(project, sel)  # a unit the (scoped) part does not hold: back to the city
    if city_size and held != sel:
        project = explore_project(path, current_scope(), held)
    sel = held
    if city_size and sel.view == CITY:
        done = _city_summary(path, opts)
        if done is None:  # drawn now with the towns uncoloured; the panel names the city and says why
            empty = Figures()
            pending = PanelData(chain=parent_chain(project, sel, lang=state.lang()), codes=[],
                                unit=empty.unit(CITY, None), staff=None, reach=pd.DataFrame(), problems=[])
            return project, sel, empty, pending, True
        return project, sel, done[0], done[1], False
    figures = cached_figures(path, project, opts.category, opts.radius_m)
    panel = cached_panel(path, project, figures, sel, category=opts.category, radius_m=opts.radius_m,
                         lang=state.lang())
    return project, sel, figures, panel, False


def _city_base(project, path: str, figures, opts: MapOptions, *, city_size: bool):
    """The prepared city view whose bounds the one base map keeps (a city's towns, uncoloured, at city size)."""
    if not city_size:
        return cached_explore_map(path, project, figures, Selection(), opts, lang=state.lang())
    return cached_explore_map(path, explore_project(path, current_scope(), Selection()), Figures(), Selection(), opts,
                              lang=state.lang(), figures_key="pending")


@st.fragment  # a map click reruns the map and panel only, not the search and option widgets
def _map_and_panel(project, path: str, opts: MapOptions, city_size: bool = False) -> None:
    """The map and side panel rerun alone on a map click (the rest of the page does not)."""
    project, sel, figures, panel, pending = _view_data(project, path, selection(), opts, city_size=city_size)
    # the view is prepared before its first element is sent: the page gets the fragment's elements in
    # one burst (one render of the page per browser) instead of a trickle while the server works
    prepared = cached_explore_map(path, project, figures, sel, opts, lang=state.lang(),  # shared, per version
                                  figures_key="pending" if pending else "")
    city = prepared if sel.view == CITY else _city_base(project, path, figures, opts, city_size=city_size)
    view = live_view(prepared, opts)
    base = prepared_base_map(city.bounds, opts)
    _breadcrumbs(project, panel.chain)
    col_map, col_panel = st.columns([3, 2])
    # the panel is sent before the map: what the planner clicked for shows while the map's layers
    # (the larger message: its GeoJSON) are still being written and swapped in the browser
    with col_panel:
        _legend(prepared.legend)
        _panel(project, sel, panel, opts, pending=pending)
    with col_map:
        # one base map for every view: a click swaps the view's layers in the browser and moves the
        # map (no reload of Leaflet); the click is handled in on_change, before the rerun it triggers
        out = st_folium(base, key=MAP_KEY, height=560, width="stretch",
                        returned_objects=["last_object_clicked", "last_object_clicked_count"],
                        feature_group_to_add=view.group, center=view.center, zoom=view.zoom,
                        on_change=partial(on_map_click, path, tuple(opts.grid_levels), opts.basemap))
        if _is_illustrative(project):
            st.caption(tr("ui.explore.illustrative"))
    lonlat = clicked_lonlat(out, opts.basemap)  # a click on_change has not seen (e.g. AppTest)
    if lonlat is not None:
        new = drill(project, sel, *lonlat, grid_levels=opts.grid_levels)
        if new != sel:
            select(new)
            _rerun_view()


@st.fragment(run_every=1.0)
def _await_city_figures(path: str, opts: MapOptions) -> None:
    """Reruns the page once a city-size project's city figures are added up (polls each second until then)."""
    if _city_summary(path, opts) is not None:
        st.rerun(scope="app")


path = project_path()
city_size = is_city_size(path)  # city size: each view reads its own unit; the city's figures add up in the background
project = _city_part(path) if city_size else current_project()
st.title(tr("ui.explore.title"))
st.caption(tr("ui.explore.caption"))
_search(path)
options = _options(project)
_map_and_panel(project, path, options, city_size)
if not city_size:
    warm_views(path, project)  # after the first view is drawn: town views and the check, in the background
elif selection().view == CITY and _city_summary(path, options) is None:
    _await_city_figures(path, options)
