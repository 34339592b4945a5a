"""Run page: staffing assignment (geo.staffing) and service coverage (geo.coverage) with their settings."""
from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from geo import coverage, staffing
from geo import schema as s
from geo.errors import GeoInputError
from geo.project import save_project
from ui.common import current_project, project_path
from ui.i18n import show_error, tr

RESULT_KEY = "run_result"  # {"kind": "assign"|"coverage", "summary": {...}} (small, picklable)


def _save(project) -> None:
    path = project_path()
    try:
        saved = save_project(project, path, expected_revision=project.revision)
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
    settings = {**project.meta.get("settings", {}), "max_distance_m": max_d,
                "targets": {**targets, "micro": int(t_micro), "general": int(t_general)}}
    configured = replace(project, meta={**project.meta, "settings": settings})
    before = staffing.staffing_by_grid(configured)
    t0 = time.perf_counter()
    try:
        with st.spinner(tr("ui.run.running")):
            options = staffing.StaffingOptions.from_settings(configured.settings, max_distance_m=float(max_d))
            new_project, _, result = staffing.assign_project(configured, options=options,
                                                             max_distance_m=float(max_d))
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
        new_project = coverage.with_coverage(project, table, meta={"radii_m": radii})
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


project = current_project()
st.title(tr("ui.run.title"))
tab_assign, tab_cov = st.tabs([tr("ui.run.assign"), tr("ui.run.coverage")])
with tab_assign:
    _assignment(project)
with tab_cov:
    _coverage(project)
