"""Run page: staffing assignment (geo.staffing), service coverage (geo.coverage) and auto-gridding (geo.autogrid)."""
from __future__ import annotations

import time
from functools import partial

import pandas as pd
import streamlit as st

from geo import coverage, staffing
from geo import schema as s
from geo.autogrid import DEFAULT_GENERAL_BAND, DEFAULT_MICRO_BAND, autogrid_project, find_replaced_grids
from geo.errors import GeoInputError
from geo.project import save_project
from ui import labels, state
from ui.common import clear_keys, current_project, project_path, select_group
from ui.i18n import show_error, tr
from ui.safe import plain

RESULT_KEY = "run_result"  # {"kind": "assign"|"coverage", "summary": {...}} (small, picklable)


def _user() -> str:
    """Who runs (the sidebar name), for the audit log."""
    return str(st.session_state.get(state.USER_NAME) or "").strip()


def _save(project) -> None:
    path = project_path()
    try:
        saved = save_project(project, path, expected_revision=project.revision, user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.success(tr("ui.run.saved", revision=saved.revision))


def _assignment(project) -> None:
    targets = dict(project.settings.get("targets", {}))
    c1, c2, c3 = st.columns(3)
    max_d = c1.number_input(tr("ui.run.max_distance"), min_value=100, max_value=50_000, step=100,
                            value=int(project.settings.get("max_distance_m", 5000)), key="run_max_distance")
    t_micro = c2.number_input(tr("ui.run.target_micro"), min_value=0, max_value=20,
                              value=int(targets.get("micro", 1)), key="run_target_micro")
    t_general = c3.number_input(tr("ui.run.target_general"), min_value=0, max_value=20,
                                value=int(targets.get("general", 1)), key="run_target_general")
    if not st.button(tr("ui.run.run_assign"), type="primary", key="run_assign_button"):
        return
    configured = project.with_settings(max_distance_m=max_d,
                                       targets={**targets, "micro": int(t_micro), "general": int(t_general)})
    before = staffing.staffing_by_grid(configured)
    t0 = time.perf_counter()
    try:
        with st.spinner(tr("ui.run.running")):
            options = staffing.StaffingOptions.from_settings(configured.settings, max_distance_m=float(max_d))
            new_project, _, result = staffing.assign_project(configured, options=options,
                                                             max_distance_m=float(max_d), user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    after = staffing.staffing_by_grid(new_project)
    st.success(tr("ui.run.done", seconds=f"{time.perf_counter() - t0:.1f}"))
    st.subheader(tr("ui.run.summary"))
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("ui.run.assigned"), int(after["actual"].sum()), delta=int(after["actual"].sum() - before["actual"].sum()))
    m2.metric(tr("ui.run.grids_short"), int((after["short"] > 0).sum()),
              delta=int((after["short"] > 0).sum() - (before["short"] > 0).sum()), delta_color="inverse")
    m3.metric(tr("ui.run.rows"), len(result.assignments))
    st.subheader(tr("ui.run.changes"))
    ch = result.changes
    st.write(tr("ui.run.changed_rows", added=ch.get("added", 0), removed=ch.get("removed", 0),
                changed=ch.get("moved", 0)))
    _save(new_project)


def _coverage(project) -> None:
    radii_default = [int(r) for r in project.settings.get("radii_m", s.DEFAULT_SETTINGS["radii_m"])]
    radii = st.multiselect(tr("ui.run.radii"), sorted({300, 500, 800, 1000, *radii_default}), default=radii_default,
                           key="run_radii")
    if not st.button(tr("ui.run.run_coverage"), type="primary", key="run_coverage_button", disabled=not radii):
        return
    t0 = time.perf_counter()
    progress = st.progress(0.0, text=tr("ui.run.running"))
    try:
        frames = []
        for i, category in enumerate(s.CATEGORIES):
            frames.append(coverage.service_reach(project, radii_m=radii, categories=[category]))
            progress.progress((i + 1) / len(s.CATEGORIES), text=tr("ui.run.running"))
        table = pd.concat(frames, ignore_index=True)
        new_project = coverage.with_coverage(project, table, meta={"radii_m": radii}, user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    progress.empty()
    st.success(tr("ui.run.done", seconds=f"{time.perf_counter() - t0:.1f}"))
    st.subheader(tr("ui.run.summary"))
    summary = table.groupby([s.CATEGORY, "radius_m"])["area_share"].mean().unstack("radius_m")
    summary.index.name = tr("ui.col.category")
    st.dataframe(summary.style.format("{:.0%}"), width="stretch")
    old = project.table(s.COVERAGE)
    if len(old):
        st.subheader(tr("ui.run.changes"))
        merged = table.merge(old, on=[s.GRID_CODE, s.CATEGORY, "radius_m"], how="outer", suffixes=("", "_old"),
                             indicator=True)
        changed = ((merged["_merge"] == "both") & ((merged["area_share"] - merged["area_share_old"]).abs() > 1e-6))
        st.write(tr("ui.run.changed_rows", added=int((merged["_merge"] == "left_only").sum()),
                    removed=int((merged["_merge"] == "right_only").sum()), changed=int(changed.sum())))
    _save(new_project)


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
    if not clicked:
        return
    if not (chosen and confirmed):  # the button is disabled then; refuse anyway
        st.info(tr("ui.autogrid.confirm_first" if chosen else "ui.autogrid.pick_first"))
        return
    t0 = time.perf_counter()
    try:
        with st.spinner(tr("ui.run.running")):
            new_project, report = autogrid_project(project, community_codes=chosen, micro_band=micro_band,
                                                   general_band=general_band, seed=seed, user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.success(tr("autogrid.done", communities=len(report["communities"]),
                  seconds=f"{time.perf_counter() - t0:.1f}"))
    _autogrid_report(project, report, {s.LEVEL_MICRO: micro_band, s.LEVEL_GENERAL: general_band})
    if report["dropped_assignments"]:
        st.warning(tr("ui.autogrid.reassign", assignments=report["dropped_assignments"]))
    _save(new_project.with_settings(micro_households=list(micro_band), general_households=list(general_band)))


project = current_project()
st.title(tr("ui.run.title"))
tab_assign, tab_cov, tab_grid = st.tabs([tr("ui.run.assign"), tr("ui.run.coverage"), tr("ui.autogrid.tab")])
with tab_assign:
    _assignment(project)
with tab_cov:
    _coverage(project)
with tab_grid:
    _autogrid(project)
