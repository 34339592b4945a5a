"""Run page: staffing assignment (geo.staffing), service coverage (geo.coverage) and auto-gridding (geo.autogrid)."""
from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import coverage, rulesets, staffing
from geo import schema as s
from geo.autogrid import DEFAULT_GENERAL_BAND, DEFAULT_MICRO_BAND, autogrid_project, find_replaced_grids
from geo.errors import GeoInputError
from geo.network import DEFAULT_CORRIDOR_M, read_network
from geo.numbers import count_text, share_text
from geo.access import PROJECT_WIDE_META
from geo.project import Project
from geo.rollup import reach_by_category
from geo.siting import suggest_sites
from layers.basemaps import TIANDITU
from ui import labels, state
from ui.cached import cached_simplified
from ui.common import allowed_to_edit, clear_keys, current_project, current_scope, project_path, save_current, select_group
from ui.gridcodes_form import code_pattern_form
from ui.i18n import show_error, tr
from ui.mapview import suggestion_map
from ui.progress import progress_bar
from ui.safe import plain

PENDING = "run_pending"  # a computed run not saved yet: what it changes (tables, layers, meta) and its summary


def _user() -> str:
    """Who runs (the sidebar name), for the audit log."""
    return state.account_name()


def _stash(kind: str, before: Project, after: Project, summary: dict[str, Any]) -> None:
    """Keep a run's result for preview: only what differs from ``before`` (session state stays small)."""
    st.session_state[PENDING] = {
        "kind": kind, "path": project_path(), "revision": before.revision, "summary": summary,
        "tables": {k: v for k, v in after.tables.items() if before.tables.get(k) is not v},
        "dropped": [k for k in before.tables if k not in after.tables],
        "layers": {k: v for k, v in after.layers.items() if before.layers.get(k) is not v},
        "meta": {k: v for k, v in after.meta.items() if k != "revision" and before.meta.get(k) != v},
    }


def _pending(project: Project, kind: str) -> dict[str, Any] | None:
    """The stashed run of ``kind`` when it was computed on this very file state, else None (dropped)."""
    pending = st.session_state.get(PENDING)
    if not pending or pending["kind"] != kind:
        return None
    if pending["path"] != project_path() or pending["revision"] != project.revision:
        st.session_state[PENDING] = None
        return None
    return pending


def _applied(project: Project, pending: dict[str, Any]) -> Project:
    tables = {k: v for k, v in project.tables.items() if k not in pending["dropped"]}
    out = replace(project, layers={**project.layers, **pending["layers"]}, tables={**tables, **pending["tables"]})
    # settings and the active scenario are the whole project's: a town or community user's run uses them
    # without storing them
    meta = {k: v for k, v in pending["meta"].items() if current_scope().whole_project or k not in PROJECT_WIDE_META}
    return out.with_meta(**meta)


def _confirm(project: Project, kind: str) -> None:
    """Save or discard the previewed run of ``kind``: nothing is written before the planner says so."""
    st.info(tr("ui.run.preview_note"))
    c1, c2 = st.columns(2)
    if c1.button(tr("ui.run.confirm_save"), type="primary", key=f"run_confirm_{kind}"):
        pending = st.session_state.pop(PENDING)
        _save(_applied(project, pending))
    elif c2.button(tr("ui.run.discard"), key=f"run_discard_{kind}"):
        st.session_state[PENDING] = None
        st.rerun()


def _save(project: Project) -> None:
    try:
        saved = save_current(project, expected_revision=project.revision, user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.success(tr("ui.run.saved", revision=saved.revision))


def _assignment(project: Project) -> None:
    targets = dict(project.settings.get("targets", {}))
    switches = dict(project.settings.get("staffing", {}))
    c1, c2, c3 = st.columns(3)
    max_d = c1.number_input(tr("ui.run.max_distance"), min_value=100, max_value=50_000, step=100,
                            value=int(project.settings.get("max_distance_m", 5000)), key="run_max_distance")
    t_micro = c2.number_input(tr("ui.run.target_micro"), min_value=0, max_value=20,
                              value=int(targets.get("micro", 1)), key="run_target_micro")
    t_general = c3.number_input(tr("ui.run.target_general"), min_value=0, max_value=20,
                                value=int(targets.get("general", 1)), key="run_target_general")
    discount = staffing.StaffingOptions.from_settings(project.settings).same_community_discount_m
    c1, c2 = st.columns(2)
    one_lead = c1.checkbox(tr("ui.run.one_leadership"), value=bool(switches.get("one_leadership", False)),
                           key="run_one_leadership", help=tr("ui.run.one_leadership_help"))
    same_comm = c2.checkbox(tr("ui.run.same_community"), value=bool(switches.get("prefer_same_community", False)),
                            key="run_same_community", help=tr("ui.run.same_community_help", metres=f"{discount:.0f}"))
    rules = _rule_switches(project)
    if st.button(tr("ui.run.run_assign"), type="primary", key="run_assign_button"):
        configured = project.with_settings(
            max_distance_m=max_d, targets={**targets, "micro": int(t_micro), "general": int(t_general)},
            staffing={**switches, "one_leadership": bool(one_lead), "prefer_same_community": bool(same_comm)})
        before = staffing.staffing_by_grid(configured)
        t0 = time.perf_counter()
        try:
            with progress_bar() as progress:
                new_project, _, result = rulesets.run_ruleset(
                    configured, rules.pop("ruleset"), user=_user(), max_distance_m=float(max_d),
                    one_leadership=bool(one_lead), prefer_same_community=bool(same_comm), progress=progress, **rules)
        except GeoInputError as exc:
            show_error(exc)
            return
        after = staffing.staffing_by_grid(new_project)
        ch = result.changes
        _stash("assign", project, new_project, {
            "seconds": time.perf_counter() - t0,
            "assigned": [int(before["actual"].sum()), int(after["actual"].sum())],
            "short": [int((before["short"] > 0).sum()), int((after["short"] > 0).sum())],
            "changes": {k: int(ch.get(k, 0)) for k in ("added", "removed", "moved", "kept")}})
    pending = _pending(project, "assign")
    if pending is None:
        return
    summary = pending["summary"]
    st.success(tr("ui.run.done_preview", seconds=f"{summary['seconds']:.1f}"))
    st.subheader(tr("ui.run.summary"))
    m1, m2 = st.columns(2)
    (a0, a1), (s0, s1) = summary["assigned"], summary["short"]
    m1.metric(tr("ui.run.assigned"), count_text(a1), delta=a1 - a0)
    m2.metric(tr("ui.run.grids_short"), count_text(s1), delta=s1 - s0, delta_color="inverse")
    st.subheader(tr("ui.run.changes"))
    st.write(tr("ui.run.assign_changes", **summary["changes"]))
    _confirm(project, "assign")


def _rule_switches(project: Project) -> dict[str, Any]:
    """The rule-set picker and the party/tier switches (geo.rulesets, geo.staffing): the run's choices."""
    names = list(rulesets.rulesets(project))
    current = project.settings.get("ruleset") or rulesets.NORMAL
    c1, c2 = st.columns(2)
    name = c1.selectbox(tr("ui.run.ruleset"), names, index=names.index(current) if current in names else 0,
                        key="run_ruleset", help=tr("ui.run.ruleset_help"), format_func=labels.ruleset_label)
    opts = rulesets.ruleset_options(project, name)
    cap = c2.number_input(tr("ui.run.cadre_cap"), min_value=0, max_value=20, value=int(opts.cadres_per_grid_max or 0),
                          key="run_cadre_cap", help=tr("ui.run.cadre_cap_help"))
    c1, c2 = st.columns(2)
    party = c1.checkbox(tr("ui.run.party_rule"), value=opts.party_member_per_micro, key="run_party_rule",
                        help=tr("ui.run.party_rule_help"))
    city = c2.checkbox(tr("ui.run.city_cadres"), value=opts.city_cadres_to_low_coverage, key="run_city_cadres",
                       help=tr("ui.run.city_cadres_help"))
    return {"ruleset": name, "party_member_per_micro": bool(party), "cadres_per_grid_max": int(cap) or None,
            "city_cadres_to_low_coverage": bool(city)}


def _coverage_table(project: Project, radii: list[float]) -> pd.DataFrame:
    """Coverage of the whole place per category (rows, codes) and radius (columns, metres), by the roll-up rule."""
    codes = [str(c) for c in project.layer(s.GRIDS)[s.CODE]] if s.CODE in project.layer(s.GRIDS) else []
    columns = {float(radius): reach_by_category(project, codes, radius_m=float(radius)).set_index(s.CATEGORY)["share"]
               for radius in radii}
    return pd.DataFrame(columns)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """A category x radius table in the page language: 生活 -> Daily life, 300.0 -> 300 m."""
    return table.rename(index=labels.category_label, columns=labels.radius_label)


def _coverage(project: Project) -> None:
    radii_default = [int(r) for r in project.settings.get("radii_m", s.DEFAULT_SETTINGS["radii_m"])]
    radii = st.multiselect(tr("ui.run.radii"), sorted({300, 500, 800, 1000, *radii_default}), default=radii_default,
                           key="run_radii", format_func=labels.radius_label)
    c1, c2 = st.columns([3, 1])
    roads = c1.text_input(tr("ui.run.network_file"), key="run_network_file", help=tr("ui.run.network_help")).strip()
    corridor = c2.number_input(tr("ui.run.corridor"), min_value=5, max_value=500, step=5,
                               value=int(DEFAULT_CORRIDOR_M), key="run_corridor", disabled=not roads)
    if st.button(tr("ui.run.run_coverage"), type="primary", key="run_coverage_button", disabled=not radii):
        t0 = time.perf_counter()
        try:
            # walking along the planner's own road lines when given (geo.network), else straight-line reach
            network = read_network(roads, corridor_m=float(corridor)) if roads else None
            # the same categories as the command line: the 4 service categories and every point type present
            with progress_bar() as progress:
                table = coverage.service_reach(project, radii_m=radii, network=network, progress=progress)
            meta = {"distance": "network" if network else "euclidean", "radii_m": radii,
                    "network_file": roads or None, "corridor_m": network.corridor_m if network else None}
            new_project = coverage.with_coverage(project, table, meta=meta, user=_user())
        except GeoInputError as exc:
            show_error(exc)
            return
        before = _coverage_table(project, radii) if len(project.table(s.COVERAGE)) else None
        after = _coverage_table(new_project, radii)
        _stash("coverage", project, new_project, {
            "seconds": time.perf_counter() - t0, "after": after, "before": before,
            "changes": coverage.coverage_changes(project.table(s.COVERAGE), table)})
    pending = _pending(project, "coverage")
    if pending is None:
        return
    summary = pending["summary"]
    st.success(tr("ui.run.done_preview", seconds=f"{summary['seconds']:.1f}"))
    measured = pending["meta"].get("coverage") or project.meta.get("coverage") or {}
    st.caption(tr(f"coverage.distance.{measured.get('distance', 'euclidean')}"))
    st.subheader(tr("ui.run.summary"))
    after, before = summary["after"], summary["before"]
    st.dataframe(_shown(after).style.format(share_text), width="stretch")
    if before is not None:
        st.caption(tr("ui.run.coverage_delta"))
        delta = _shown(after - before.reindex_like(after))
        st.dataframe(delta.style.format(lambda v: "—" if pd.isna(v) else f"{v * 100:+.0f} %"), width="stretch")
        ch = summary["changes"]
        st.subheader(tr("ui.run.changes"))
        st.write(tr("ui.run.coverage_changes", added=count_text(ch["added"]), removed=count_text(ch["removed"]),
                    changed=count_text(ch["changed"])))
        if ch["removed"]:
            reasons = []
            if ch["removed_radii"]:
                reasons.append(tr("ui.run.removed_radii", radii=tr("ui.sep.list").join(f"{r:.0f}" for r in ch["removed_radii"])))
            if ch["removed_categories"]:
                reasons.append(tr("ui.run.removed_categories", names=tr("ui.sep.list").join(
                    labels.category_label(c) if c in s.CATEGORIES else labels.point_type_label(c)
                    for c in ch["removed_categories"])))
            if ch["removed_grids"]:
                reasons.append(tr("ui.run.removed_grids", n=count_text(ch["removed_grids"])))
            st.caption(tr("ui.run.removed_why", reasons=tr("ui.sep.clause").join(reasons) if reasons else tr("ui.run.removed_other")))
    _confirm(project, "coverage")


def _names(gdf) -> dict[str, str]:
    if s.CODE not in gdf or s.NAME not in gdf:
        return {}
    return dict(zip(gdf[s.CODE].astype(str), gdf[s.NAME].astype(str)))


def _autogrid_targets(project) -> list[str]:
    """The town helper and the community picker; returns the chosen community codes."""
    comms = project.layer(s.COMMUNITIES)
    names = _names(comms)
    by_town: dict[str, list[str]] = {}
    if s.TOWN_CODE in comms:
        for code, town in zip(comms[s.CODE].astype(str), comms[s.TOWN_CODE].astype(str)):
            by_town.setdefault(town, []).append(code)
    chosen = st.session_state.get(state.AUTOGRID_COMMUNITIES)
    if chosen is not None:  # keep only codes of this project (another project may have been open)
        st.session_state[state.AUTOGRID_COMMUNITIES] = [c for c in chosen if c in names]
    c1, c2 = st.columns([1, 2])
    c1.selectbox(tr("ui.autogrid.town"), list(by_town), index=None, key=state.AUTOGRID_TOWN,
                 placeholder=tr("ui.autogrid.town_placeholder"),
                 format_func=partial(labels.name_and_code, _names(project.layer(s.TOWNS))),
                 on_change=select_group, args=(state.AUTOGRID_TOWN, state.AUTOGRID_COMMUNITIES, by_town),
                 kwargs={"clear": (state.AUTOGRID_CONFIRM,)})
    return c2.multiselect(tr("ui.autogrid.communities"), list(names), key=state.AUTOGRID_COMMUNITIES,
                          format_func=partial(labels.name_and_code, names),
                          on_change=clear_keys, args=(state.AUTOGRID_CONFIRM,))


def _autogrid_bands(project) -> tuple[tuple[int, int], tuple[int, int], int]:
    """Household bands (micro, general) and the seed."""
    micro = project.settings.get("micro_households") or DEFAULT_MICRO_BAND
    general = project.settings.get("general_households") or DEFAULT_GENERAL_BAND
    specs = ((state.AUTOGRID_MICRO_MIN, "ui.autogrid.micro_min", micro[0]),
             (state.AUTOGRID_MICRO_MAX, "ui.autogrid.micro_max", micro[1]),
             (state.AUTOGRID_GENERAL_MIN, "ui.autogrid.general_min", general[0]),
             (state.AUTOGRID_GENERAL_MAX, "ui.autogrid.general_max", general[1]))
    cols = st.columns(len(specs) + 1)
    values = [int(col.number_input(tr(label), min_value=1, max_value=100_000, step=1, value=int(default), key=key))
              for col, (key, label, default) in zip(cols, specs)]
    seed = cols[-1].number_input(tr("ui.autogrid.seed"), min_value=0, max_value=2**31 - 1, step=1, value=0,
                                 key=state.AUTOGRID_SEED)
    return (values[0], values[1]), (values[2], values[3]), int(seed)


def _autogrid_report(project, report: dict, bands: dict[str, tuple[int, int]]) -> None:
    """Household distribution per level, notes, and buildings outside every community."""
    st.subheader(tr("ui.run.summary"))
    cols = {k: tr(f"ui.autogrid.col.{k}") for k in ("grids", "min", "median", "max", "band", "share")}
    rows = {}
    for level, (lo, hi) in bands.items():
        summ = report[level]
        rows[labels.level_label(level)] = {
            cols["grids"]: summ["grids"], cols["min"]: summ["min"], cols["median"]: summ["median"],
            cols["max"]: summ["max"], cols["band"]: f"{lo}–{hi}", cols["share"]: summ["share_in_band"]}
    table = pd.DataFrame.from_dict(rows, orient="index")
    st.dataframe(table.style.format({cols["share"]: "{:.0%}", cols["median"]: "{:g}"}), width="stretch")
    if any(report[level]["share_in_band_excl_single"] < 1.0 for level in bands):
        st.warning(tr("ui.autogrid.out_of_band"))
    for note in report["notes"]:
        st.info(plain(tr(f"autogrid.note.{note['kind']}", **note)))
    if report["outside"]:
        points = project.layer(s.HOUSEHOLDS)
        ids = points.loc[report["outside"], s.CODE].astype(str).tolist() if s.CODE in points else report["outside"]
        st.warning(plain(tr("autogrid.outside", count=len(ids), ids=ids)))


def _autogrid(project) -> None:
    st.caption(tr("ui.autogrid.caption"))
    with st.expander(tr("setting.grid_code_pattern")):  # new grids are coded by this pattern
        if code_pattern_form(project, user=_user()) is not None:
            st.rerun()
    if s.HOUSEHOLDS not in project.layers or not len(project.layers[s.HOUSEHOLDS]):
        st.info(plain(tr("autogrid.no_buildings", file=project_path())))
        return
    chosen = _autogrid_targets(project)
    micro_band, general_band, seed = _autogrid_bands(project)
    replaced = find_replaced_grids(project, community_codes=chosen)
    assignments = project.table(s.ASSIGNMENTS)
    n_assigned = int(assignments[s.GRID_CODE].astype(str).isin(replaced).sum()) if len(assignments) else 0
    confirmed = True
    if replaced:
        st.warning(tr("ui.autogrid.replace_warning", grids=len(replaced), assignments=n_assigned))
        confirmed = st.checkbox(tr("ui.autogrid.confirm"), key=state.AUTOGRID_CONFIRM)
    if not chosen:
        st.caption(tr("ui.autogrid.pick_first"))
    clicked = st.button(tr("ui.autogrid.run"), type="primary", key=state.AUTOGRID_RUN,
                        disabled=not (chosen and confirmed))
    if clicked and not (chosen and confirmed):  # the button is disabled then; refuse anyway
        st.info(tr("ui.autogrid.confirm_first" if chosen else "ui.autogrid.pick_first"))
        return
    if clicked and not allowed_to_edit(communities=chosen):
        return
    if clicked:
        t0 = time.perf_counter()
        try:
            with st.spinner(tr("ui.run.running")):
                new_project, report = autogrid_project(project, community_codes=chosen, micro_band=micro_band,
                                                       general_band=general_band, seed=seed, user=_user())
        except GeoInputError as exc:
            show_error(exc)
            return
        new_project = new_project.with_settings(micro_households=list(micro_band), general_households=list(general_band))
        _stash("autogrid", project, new_project, {"seconds": time.perf_counter() - t0, "report": report,
                                                  "bands": {s.LEVEL_MICRO: micro_band, s.LEVEL_GENERAL: general_band}})
    pending = _pending(project, "autogrid")
    if pending is None:
        return
    report = pending["summary"]["report"]
    st.success(tr("autogrid.done", communities=len(report["communities"]),
                  seconds=f"{pending['summary']['seconds']:.1f}"))
    _autogrid_report(project, report, pending["summary"]["bands"])
    if report["dropped_assignments"]:
        st.warning(tr("ui.autogrid.reassign", assignments=report["dropped_assignments"]))
    _confirm(project, "autogrid")


SUGGESTION = "run_suggestion"  # the last site suggestion: points (WGS 84) and the solver's figures


def _suggest(project: Project) -> None:
    """Where to add N service points (geo.siting, maximal covering): shown on a map with the households gained."""
    st.caption(tr("ui.suggest.caption"))
    radii = [int(r) for r in project.settings.get("radii_m", s.DEFAULT_SETTINGS["radii_m"])]
    c1, c2, c3 = st.columns(3)
    category = c1.selectbox(tr("ui.explore.category"), s.CATEGORIES, key="suggest_category",
                            format_func=labels.category_label)
    n_sites = int(c2.number_input(tr("ui.suggest.n"), min_value=1, max_value=50, value=3, step=1, key="suggest_n"))
    radius = c3.selectbox(tr("ui.explore.radius"), radii, index=radii.index(500) if 500 in radii else 0,
                          key="suggest_radius", format_func=labels.radius_label)
    if st.button(tr("ui.suggest.run"), type="primary", key="suggest_button"):
        try:
            with st.spinner(tr("ui.run.running")):
                points, result = suggest_sites(project, category=category, n_sites=n_sites, radius_m=float(radius))
        except GeoInputError as exc:
            show_error(exc)
            return
        st.session_state[SUGGESTION] = {
            "path": project_path(), "revision": project.revision, "category": category, "radius": float(radius),
            "n": n_sites, "points": points, "covered": result.covered, "total": result.total,
            "bound": result.upper_bound, "gap": result.gap, "method": result.method}
    found = st.session_state.get(SUGGESTION)
    if not found or found["path"] != project_path() or found["revision"] != project.revision:
        return
    st.subheader(tr("coverage.suggest_title", n=found["n"], category=labels.category_label(found["category"]),
                    radius=f"{found['radius']:.0f}"))
    if found["total"] <= 0:
        st.info(tr("coverage.suggest_none"))
        return
    st.write(tr("coverage.suggest_result", covered=count_text(found["covered"]), total=count_text(found["total"]),
                bound=count_text(found["bound"]), gap=share_text(found["gap"], digits=1),
                method=tr(f"coverage.method.{found['method']}")))
    points = found["points"]
    basemap = st.session_state.get(state.BASEMAP, "none")
    key = str(st.session_state.get(state.TIANDITU_KEY) or "")
    if basemap == TIANDITU and not key.strip():
        basemap = "none"
    m = suggestion_map(project, points, radius_m=found["radius"], lang=state.lang(), basemap=basemap,
                       tianditu_key=key,
                       simplified=lambda layer, view: cached_simplified(project_path(), project, layer, view))
    st_folium(m, key="suggest_map", height=420, width="stretch", returned_objects=[])
    table = pd.DataFrame({tr("coverage.col.rank"): points["rank"].astype(int),
                          tr("coverage.col.households_gained"): [count_text(v) for v in points["households_gained"]],
                          tr("coverage.col.lon"): points.geometry.x.round(6),
                          tr("coverage.col.lat"): points.geometry.y.round(6)})
    st.dataframe(table, hide_index=True, width="stretch")


project = current_project()
st.title(tr("ui.run.title"))
if not allowed_to_edit():  # runs change the plan: a viewer is told so and sees nothing to run
    st.stop()
tab_assign, tab_cov, tab_grid, tab_suggest = st.tabs([tr("ui.run.assign"), tr("ui.run.coverage"),
                                                      tr("ui.autogrid.tab"), tr("ui.suggest.tab")])
with tab_assign:
    _assignment(project)
with tab_cov:
    _coverage(project)
with tab_grid:
    _autogrid(project)
with tab_suggest:
    _suggest(project)
