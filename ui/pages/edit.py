"""Edit page: hand edits of grid staffing, locks, undo/redo, scenarios, audit log, safe save."""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema as s
from geo.access import require_records
from geo.audit import localise_audit, read_audit
from geo.edits import (
    Edit,
    add_volunteer,
    default_role,
    grids_of_community,
    lock_assignment,
    lock_grids,
    move_service_point,
    remove_volunteer,
    replace_volunteer,
    run_edit,
    volunteer_candidates,
)
from geo.errors import GeoInputError
from geo.gridcodes import code_changes, merge_grids, split_grid, strip_parts
from geo.history import History, mark_saved, pending_count, record_edit, redo, save_edits, undo
from geo.messages import CATALOGUE, action_label, label
from geo.project import Project
from geo.rules import find_violations, rule_counts
from geo.scenarios import branch_scenario, compare_scenarios, save_scenario, scenario_names, switch_scenario
from geo.staffing import staffing_by_grid
from layers.basemaps import TIANDITU
from ui import labels, state
from ui.cached import cached_masked_names, scope_key
from ui.common import allowed_to_edit, current_project, current_scope, project_path, save_current
from ui.gridcodes_form import code_pattern_form
from ui.i18n import show_error, tr
from ui.mapview import grid_locator_map
from ui.safe import plain

# page-local session keys (small, picklable values)
HISTORY = "edit_history"  # History.to_dict()
BASE = "edit_base"  # {"path", "revision", "scenario"}: the file state the journal was started from
BASE_TABLES = "edit_base_tables"  # {table: DataFrame} as loaded (for a merge after a conflict)
# {table: DataFrame}: the tables the journal changed, with it applied (the others are the base's): a table
# kept under both keys was held twice, and pickled twice a run wherever session values are checked
# (runner.enforceSerializableSessionState: on in the tests)
WORK_TABLES = "edit_work_tables"
WORK_META = "edit_work_meta"  # {"scenario": name}
FLASH = "edit_flash"  # [("success"|"warning"|"error", text)] shown once after a rerun
COMPARE = "edit_compare"  # (a, b) last compared
EDITED_TABLES = (s.ASSIGNMENTS, s.POINT_GRIDS, s.SCENARIOS)

K_COMMUNITY, K_GRID, K_QUERY, K_CANDIDATE = "edit_community", state.SELECTED_GRID, "edit_query", "edit_candidate"
K_ROLE, K_MEMBER, K_POINT = "edit_role", "edit_member", "edit_point"
K_REGRID_OP, K_SPLIT_N, K_MERGE_WITH = "edit_regrid_op", "edit_split_parts", "edit_merge_with"
REGRID = "edit_regrid_spec"  # {"op", "grid", "n", "others"}: the split/merge being previewed
K_SC_NAME, K_SC_PICK, K_CMP_A, K_CMP_B = "edit_scenario_name", "edit_scenario_pick", "edit_compare_a", "edit_compare_b"


def _user() -> str:
    return state.account_name() or tr("edit.anonymous")


def _action_label(action: str) -> str:
    """``undo:add`` -> 撤销：加入网格 (codes stay in records; the one label is geo.messages.action_label)."""
    return action_label(action, state.lang())


def _object_label(record: dict) -> str:
    """What an edit touched, in words: scenario names through their label (基线 -> Baseline), arrows as →."""
    obj = str(record["object"])
    if "scenario" in str(record["action"]):
        return " → ".join(labels.scenario_label(part) for part in obj.split("->"))
    return obj


def _history() -> History:
    return History.from_dict(st.session_state.get(HISTORY))


def _rebase(disk: Project, path: str) -> None:
    st.session_state[BASE] = {"path": path, "revision": disk.revision, "scenario": disk.active_scenario,
                              "unit": scope_key(disk)}
    tables = {name: disk.table(name) for name in EDITED_TABLES}
    st.session_state[BASE_TABLES] = tables
    st.session_state[WORK_TABLES] = {}
    st.session_state[WORK_META] = {"scenario": disk.active_scenario}
    st.session_state[state.SCENARIO] = disk.active_scenario


def _sync(disk: Project, path: str) -> None:
    """Follow the file while there are no unsaved edits; keep the session's base otherwise."""
    base = st.session_state.get(BASE)
    pending = _history().journal
    if pending and base is not None and base["path"] == path and base.get("unit") != scope_key(disk):
        st.warning(tr("edit.page.other_unit"))  # a city-size project's other unit: its edits are not these
        st.stop()
    if base is None or base["path"] != path or (not pending and (base["revision"] != disk.revision
                                                                 or base.get("unit") != scope_key(disk))):
        _rebase(disk, path)


def _project_from(disk: Project, tables: dict[str, pd.DataFrame], scenario: str, revision: int) -> Project:
    project = disk  # with_table keeps what the store read, so the save writes only the changed rows
    for name, df in tables.items():
        project = project.with_table(name, df)
    return project.with_meta(revision=revision).with_active_scenario(scenario)


def _current(disk: Project) -> Project:
    tables = {**st.session_state[BASE_TABLES], **st.session_state[WORK_TABLES]}
    return _project_from(disk, tables, st.session_state[WORK_META]["scenario"],
                         st.session_state[BASE]["revision"])


def _base(disk: Project) -> Project:
    base = st.session_state[BASE]
    return _project_from(disk, st.session_state[BASE_TABLES], base["scenario"], base["revision"])


def _store(project: Project, history: History) -> None:
    base = st.session_state[BASE_TABLES]
    st.session_state[WORK_TABLES] = {name: project.table(name) for name in EDITED_TABLES
                                     if project.table(name) is not base.get(name)}
    st.session_state[WORK_META] = {"scenario": project.active_scenario}
    st.session_state[HISTORY] = history.to_dict()
    st.session_state[state.SCENARIO] = project.active_scenario


def _flash(kind: str, text: str) -> None:
    st.session_state.setdefault(FLASH, []).append((kind, text))


def _apply(project: Project, make: Any) -> None:
    """Run ``make()`` (an Edit or record), apply it, remember it, report new rule problems, rerun."""
    try:
        edit = make()
        outcome = run_edit(project, edit)
    except GeoInputError as exc:
        show_error(exc)
        return
    record = edit.record if isinstance(edit, Edit) else edit
    _store(outcome.project, record_edit(_history(), record))
    _flash("success", tr("edit.page.done", action=_action_label(record["action"]), object=_object_label(record)))
    if len(outcome.introduced):
        _flash("warning", tr("edit.page.new_violations", n=len(outcome.introduced)))
    st.rerun()


def _undo_redo(project: Project, step: Any) -> None:
    try:
        history, new_project, record = step(_history(), project, user=_user())
    except GeoInputError as exc:
        show_error(exc)
        return
    _store(new_project, history)
    _flash("success", tr("edit.page.done", action=_action_label(record["action"]), object=_object_label(record)))
    st.rerun()


def _save(path: str, disk: Project, *, merge: bool) -> None:
    history = _history()
    try:
        require_records(current_scope(), disk, history.journal)
        outcome = save_edits(path, _base(disk), history.journal, merge=merge, user=_user())
    except GeoInputError as exc:  # ConflictError included: the conflict panel offers reload / merge
        show_error(exc)
        return
    _rebase(outcome.project, path)
    st.session_state[HISTORY] = mark_saved(history).to_dict()
    if outcome.merged:
        _flash("success", tr("edit.page.merged", revision=outcome.project.revision, applied=len(outcome.applied),
                             conflicts=len(outcome.conflicts)))
        for c in outcome.conflicts:
            _flash("warning", tr("edit.page.conflict_item", action=c["action"], object=c["object"],
                                 ids=[*c["volunteers"], *c["grids"]] or [c["reason"]]))
    else:
        _flash("success", tr("edit.page.saved", revision=outcome.project.revision))
    st.rerun()


# format_func callables must pickle (session state is checked): module-level functions + partial
def _keep_valid(key: str, options: list[Any], *, default: int = 0) -> None:
    """Reset a keyed selectbox whose value is no longer among its options (keyed widgets keep state)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[default] if options else None


VALUE_FAMILIES = {  # column -> label family of its values (geo.messages.label)
    s.ROLE: "role", "role_a": "role", "role_b": "role", s.LEVEL: "level", s.TIER: "tier", s.METHOD: "method",
    s.SCENARIO: "scenario", "parent": "scenario", "object": "layer",  # an event's object is a table or layer
}
BLANK = "—"


def _cell(family: str | None, value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return tr("edit.value.yes") if value else tr("edit.value.no")
    if family is not None:
        return label(family, value, state.lang()) or BLANK
    try:
        return BLANK if value is None or bool(pd.isna(value)) else value  # None / NaN / NA read as a dash
    except (TypeError, ValueError):  # a list-like cell
        return value


def _localised(df: pd.DataFrame) -> pd.DataFrame:
    """A table for the planner: coded values as labels, yes/no for flags, — for blanks, column names translated."""
    out = df.copy()
    for col in out.columns:
        out[col] = out[col].map(partial(_cell, VALUE_FAMILIES.get(col))).astype(object)
    return out.rename(columns={c: tr(f"edit.col.{c}") for c in out.columns if f"edit.col.{c}" in CATALOGUE})


# --- page sections ------------------------------------------------------------------------------
def _conflict_panel(path: str, disk: Project) -> None:
    base_rev = st.session_state[BASE]["revision"]
    pending = _history().journal
    if disk.revision == base_rev or not pending:
        return
    st.warning(tr("edit.page.conflict", disk_revision=disk.revision, our_revision=base_rev, n=len(pending)))
    c1, c2 = st.columns(2)
    if c1.button(tr("edit.page.reload"), key="edit_reload"):
        st.session_state[HISTORY] = None
        _rebase(disk, path)
        st.rerun()
    if c2.button(tr("edit.page.merge"), key="edit_merge"):
        _save(path, disk, merge=True)


def _pick_grid(project: Project) -> tuple[str | None, str | None]:
    comms = project.layer(s.COMMUNITIES)
    grids = project.layer(s.GRIDS)
    comm_codes = [None, *comms[s.CODE].astype(str).tolist()] if len(comms) else [None]
    comm_names = dict(zip(comms[s.CODE].astype(str), comms[s.NAME].astype(str))) if len(comms) else {}
    c1, c2 = st.columns(2)
    community = c1.selectbox(tr("edit.page.community"), comm_codes, key=K_COMMUNITY,
                             format_func=partial(labels.community_or_all, comm_names))
    shown = grids if community is None else grids[grids[s.COMMUNITY_CODE].astype(str) == community]
    codes = shown[s.CODE].astype(str).tolist()
    names = dict(zip(grids[s.CODE].astype(str), grids[s.NAME].astype(str)))
    _keep_valid(K_GRID, codes)
    grid = c2.selectbox(tr("edit.page.grid"), codes, key=K_GRID, format_func=partial(labels.code_and_name, names))
    return community, grid


def _grid_map(project: Project, grid: str) -> None:
    """The selected grid on a small map (among its community's grids), staff as dots; clicks do nothing."""
    basemap = st.session_state.get(state.BASEMAP, "none")
    key = str(st.session_state.get(state.TIANDITU_KEY) or "")
    if basemap == TIANDITU and not key.strip():
        basemap = "none"
    m = grid_locator_map(project, grid, lang=state.lang(), basemap=basemap, tianditu_key=key)
    if m is not None:
        st.caption(tr("edit.page.grid_map"))
        st_folium(m, key="edit_grid_map", height=260, width="stretch", returned_objects=[])


def _masked_names(project: Project) -> dict[str, str]:
    """``{volunteer id: masked name}``: the page edits no people, so the saved version's (``cached_masked_names``)."""
    return cached_masked_names(project_path(), project)


def _grid_panel(project: Project, grid: str, staffing: pd.DataFrame) -> None:
    scenario = project.active_scenario
    row = staffing[staffing[s.GRID_CODE] == grid]
    if len(row):
        st.markdown(tr("edit.page.staffing", actual=int(row["actual"].iloc[0]), target=int(row["target"].iloc[0])))
    rows = project.assignments(scenario)
    here = rows[rows[s.GRID_CODE].astype(str) == grid] if len(rows) else rows
    _grid_map(project, grid)
    st.subheader(tr("edit.page.assigned"))
    if here.empty:
        st.caption(tr("edit.page.none_assigned"))
        members: list[str] = []
    else:
        view = here[[s.VOLUNTEER_ID, s.ROLE, s.LOCKED, s.METHOD]].copy()
        view.insert(1, s.NAME, view[s.VOLUNTEER_ID].astype(str).map(_masked_names(project)))
        st.dataframe(_localised(view), hide_index=True, key="edit_members_table")
        members = here[s.VOLUNTEER_ID].astype(str).tolist()
    _member_actions(project, grid, here, members)


def _member_actions(project: Project, grid: str, here: pd.DataFrame, members: list[str]) -> None:
    scenario, user = project.active_scenario, _user()
    table = project.table(s.ASSIGNMENTS)
    st.text_input(tr("edit.page.search"), key=K_QUERY)
    cands = volunteer_candidates(project, grid, query=st.session_state.get(K_QUERY, ""))
    st.caption(tr("edit.page.candidates") + " · " + tr("edit.page.masked_note"))
    st.dataframe(_localised(cands), hide_index=True, key="edit_candidates_table", height=220)
    cand_labels = {r.volunteer_id: tr("edit.page.candidate_label", volunteer_id=r.volunteer_id, name=r.name,
                                      tier=labels.tier_label(r.tier), left=r.capacity_left,
                                      distance="?" if pd.isna(r.distance_m) else int(r.distance_m))
                   for r in cands.itertuples(index=False) if not r.assigned_here}  # members are not candidates
    c1, c2 = st.columns(2)
    _keep_valid(K_CANDIDATE, list(cand_labels))
    cand = c1.selectbox(tr("edit.page.candidate"), list(cand_labels), key=K_CANDIDATE,
                        format_func=partial(labels.lookup, cand_labels))
    role_default = default_role(project, grid)
    _keep_valid(K_ROLE, list(s.ROLES), default=list(s.ROLES).index(role_default))
    role = c2.selectbox(tr("edit.page.role"), list(s.ROLES), key=K_ROLE,
                        format_func=labels.role_label)
    dist = dict(zip(cands[s.VOLUNTEER_ID], cands[s.DISTANCE_M]))
    if st.button(tr("edit.page.add"), key="edit_add", disabled=cand is None):
        _apply(project, lambda: add_volunteer(table, volunteer_id=cand, grid_code=grid, role=role,
                                              distance_m=dist.get(cand), user=user, scenario=scenario))
    _keep_valid(K_MEMBER, members)
    member_names = dict(zip(here[s.VOLUNTEER_ID].astype(str), here[s.VOLUNTEER_ID].astype(str).map(
        _masked_names(project)))) if len(here) else {}
    member = st.selectbox(tr("edit.page.member"), members, key=K_MEMBER,
                          format_func=partial(labels.code_and_name, member_names))
    b = st.columns(4)
    if b[0].button(tr("edit.page.remove"), key="edit_remove", disabled=member is None):
        _apply(project, lambda: remove_volunteer(table, volunteer_id=member, grid_code=grid, user=user,
                                                 scenario=scenario))
    if b[1].button(tr("edit.page.replace"), key="edit_replace", disabled=member is None or cand is None):
        _apply(project, lambda: replace_volunteer(table, grid_code=grid, old_id=member, new_id=cand,
                                                  distance_m=dist.get(cand), user=user, scenario=scenario))
    if b[2].button(tr("edit.page.lock"), key="edit_lock", disabled=member is None):
        _apply(project, lambda: lock_assignment(table, volunteer_id=member, grid_code=grid, user=user,
                                                scenario=scenario))
    if b[3].button(tr("edit.page.unlock"), key="edit_unlock", disabled=member is None):
        _apply(project, lambda: lock_assignment(table, volunteer_id=member, grid_code=grid, locked=False,
                                                user=user, scenario=scenario))


def _bulk_panel(project: Project, community: str | None, grid: str, staffing: pd.DataFrame) -> None:
    scenario, user = project.active_scenario, _user()
    table = project.table(s.ASSIGNMENTS)
    b = st.columns(4)
    if b[0].button(tr("edit.page.lock_grid"), key="edit_lock_grid"):
        _apply(project, lambda: lock_grids(table, [grid], user=user, scenario=scenario, label=grid))
    if b[1].button(tr("edit.page.unlock_grid"), key="edit_unlock_grid"):
        _apply(project, lambda: lock_grids(table, [grid], locked=False, user=user, scenario=scenario, label=grid))
    if community is not None:
        codes = grids_of_community(project, community)
        if b[2].button(tr("edit.page.lock_community"), key="edit_lock_community"):
            _apply(project, lambda: lock_grids(table, codes, user=user, scenario=scenario, label=community))
        if b[3].button(tr("edit.page.unlock_community"), key="edit_unlock_community"):
            _apply(project, lambda: lock_grids(table, codes, locked=False, user=user, scenario=scenario,
                                               label=community))
    points = project.layer(s.SERVICE_POINTS)
    if len(points):
        ids = points[s.POINT_ID].astype(str).tolist()
        names = dict(zip(ids, points[s.NAME].astype(str)))
        c1, c2 = st.columns([3, 1])
        _keep_valid(K_POINT, ids)
        point = c1.selectbox(tr("edit.page.point"), ids, key=K_POINT, format_func=partial(labels.code_and_name, names))
        levels = dict(zip(project.layer(s.GRIDS)[s.CODE].astype(str), project.layer(s.GRIDS)[s.LEVEL].astype(str)))
        if c2.button(tr("edit.page.move_point"), key="edit_move_point"):
            _apply(project, lambda: move_service_point(project.table(s.POINT_GRIDS), point_id=point, grid_code=grid,
                                                       level=levels.get(grid, s.LEVEL_GENERAL), user=user,
                                                       scenario=scenario))
    if community is not None:
        staffing = staffing[staffing[s.GRID_CODE].isin(grids_of_community(project, community))].copy()
        staffing.insert(1, "status", staffing.apply(
            lambda r: tr("edit.status.none") if r["target"] == 0 else tr(
                "edit.status.short" if r["short"] > 0 else "edit.status.ok"), axis=1))
        st.caption(tr("edit.page.community_staffing"))
        st.dataframe(_localised(staffing), hide_index=True, key="edit_community_staffing")


# --- split / merge with stable codes (geo.gridcodes) ----------------------------------------------
def _regrid(disk: Project, spec: dict[str, Any], user: str) -> tuple[Project, list[str]]:
    """The project after the previewed split or merge (nothing saved)."""
    if spec["op"] == "split":
        return split_grid(disk, spec["grid"], strip_parts(disk, spec["grid"], n=int(spec["n"])), user=user)
    return merge_grids(disk, [spec["grid"], *spec["others"]], user=user)


def _siblings(project: Project, grid: str) -> list[str]:
    """Grids that can merge with ``grid``: same level, same parent."""
    grids = project.layer(s.GRIDS)
    row = grids[grids[s.CODE].astype(str) == grid]
    if len(row) == 0:
        return []
    parent = grids.get(s.PARENT_CODE, pd.Series(None, index=grids.index)).astype(str)
    same = (grids[s.LEVEL] == row[s.LEVEL].iloc[0]) & (parent == parent[row.index[0]])
    return [c for c in grids.loc[same, s.CODE].astype(str) if c != grid]


def _regrid_panel(path: str, disk: Project, grid: str) -> None:
    """Split the selected grid or merge it with siblings: preview the codes kept, retired and new, then save."""
    st.subheader(tr("edit.codes.title"))
    st.caption(tr("edit.codes.caption"))
    user = _user()
    pending = bool(_history().journal)
    if pending:
        st.info(tr("edit.codes.save_first"))
    ops = ["split", "merge"]
    op = st.radio(tr("edit.codes.op"), ops, key=K_REGRID_OP, horizontal=True,
                  format_func=partial(labels.lookup, {o: tr(f"edit.codes.op_{o}") for o in ops}))
    names = dict(zip(disk.layer(s.GRIDS)[s.CODE].astype(str), disk.layer(s.GRIDS)[s.NAME].astype(str)))
    spec: dict[str, Any] = {"op": op, "grid": grid, "n": 2, "others": []}
    if op == "split":
        spec["n"] = int(st.number_input(tr("edit.codes.parts"), min_value=2, max_value=6, value=2, key=K_SPLIT_N))
    else:
        options = _siblings(disk, grid)
        if st.session_state.get(K_MERGE_WITH) and not set(st.session_state[K_MERGE_WITH]) <= set(options):
            st.session_state[K_MERGE_WITH] = []
        spec["others"] = st.multiselect(tr("edit.codes.merge_with"), options, key=K_MERGE_WITH,
                                        format_func=partial(labels.code_and_name, names))
    if st.button(tr("edit.codes.preview"), key="edit_regrid_preview", disabled=pending):
        st.session_state[REGRID] = spec
    shown = st.session_state.get(REGRID)
    if not shown or shown != spec or pending:
        return
    try:
        after, added = _regrid(disk, shown, user)
    except GeoInputError as exc:
        show_error(exc)
        return
    changes = code_changes(disk, after)
    counts = changes["change"].value_counts()
    m = st.columns(3)
    for col, change in zip(m, ("kept", "retired", "new")):
        col.metric(tr(f"edit.codes.{change}"), int(counts.get(change, 0)))
    moved = changes[changes["change"] != "kept"].assign(change=lambda d: d["change"].map(
        lambda c: tr(f"edit.codes.{c}")))
    st.dataframe(moved.rename(columns={s.CODE: tr("ui.col.code"), s.NAME: tr("ui.col.unit_name"),
                                       s.LEVEL: tr("edit.codes.level"), "change": tr("edit.codes.change"),
                                       "replaced_by": tr("edit.codes.replaced_by")}),
                 hide_index=True, key="edit_regrid_changes")
    lost = len(disk.table(s.ASSIGNMENTS)) - len(after.table(s.ASSIGNMENTS))
    if lost > 0:
        st.warning(tr("edit.codes.assignments_removed", n=lost))
    if st.button(tr("edit.codes.save"), key="edit_regrid_save", type="primary") \
            and allowed_to_edit(grids=[shown["grid"], *shown["others"]]):
        try:
            saved = save_current(after, expected_revision=disk.revision, user=user)
        except GeoInputError as exc:
            show_error(exc)
            return
        st.session_state[REGRID] = None
        _rebase(saved, path)
        _flash("success", tr("edit.codes.saved", revision=saved.revision, codes="、".join(added)))
        st.rerun()


def _violations_panel(project: Project, grid: str | None) -> None:
    v = find_violations(project)
    counts = rule_counts(v)
    with st.expander(tr("edit.page.violations"), expanded=False):
        st.markdown(tr("edit.page.violations_count", **{r: counts[r] for r in
                                                         ("over_capacity", "short", "two_micro_leader")}))
        view = v.copy()
        if grid is not None:
            view = view.sort_values(s.GRID_CODE, key=lambda c: c.astype(str) != grid, kind="stable")
        view["rule"] = view["rule"].map(lambda r: tr(f"edit.rule.{r}"))
        st.dataframe(_localised(view.head(500)), hide_index=True, key="edit_violations_table")


def _scenario_panel(project: Project) -> None:
    st.subheader(tr("edit.page.scenarios"))
    user = _user()
    st.markdown(plain(tr("edit.page.active_scenario", name=labels.scenario_label(project.active_scenario))))
    st.text_input(tr("edit.page.scenario_name"), key=K_SC_NAME)
    name = st.session_state.get(K_SC_NAME, "")
    c = st.columns(2)
    if c[0].button(tr("edit.page.scenario_save"), key="edit_scenario_save"):
        _apply(project, lambda: save_scenario(project, name, user=user))
    if c[1].button(tr("edit.page.scenario_branch"), key="edit_scenario_branch"):
        _apply(project, lambda: branch_scenario(project, name, user=user))
    names = scenario_names(project)
    c = st.columns([3, 1])
    _keep_valid(K_SC_PICK, names)
    _keep_valid(K_CMP_A, names)
    _keep_valid(K_CMP_B, names, default=len(names) - 1)
    pick = c[0].selectbox(tr("edit.page.scenario_pick"), names, key=K_SC_PICK, format_func=labels.scenario_label)
    if c[1].button(tr("edit.page.scenario_switch"), key="edit_scenario_switch",
                   disabled=pick == project.active_scenario, help=tr("edit.page.switch_active")):
        _apply(project, lambda: switch_scenario(project, pick, user=user))
    c = st.columns(3)
    a = c[0].selectbox(tr("edit.page.compare_a"), names, key=K_CMP_A, format_func=labels.scenario_label)
    b = c[1].selectbox(tr("edit.page.compare_b"), names, key=K_CMP_B, format_func=labels.scenario_label)
    if c[2].button(tr("edit.page.compare"), key="edit_compare_button"):
        st.session_state[COMPARE] = (a, b)
    if st.session_state.get(COMPARE):
        _compare(project, *st.session_state[COMPARE])


def _compare(project: Project, a: str, b: str) -> None:
    try:
        diff = compare_scenarios(project, a, b)
    except GeoInputError as exc:
        show_error(exc)
        return
    counts = diff.changes["change"].value_counts()
    st.markdown(plain(tr("edit.diff.title", a=labels.scenario_label(a), b=labels.scenario_label(b))) + " — " + tr(
        "edit.page.compare_rows", added=int(counts.get("added", 0)), removed=int(counts.get("removed", 0)),
        changed=int(counts.get("changed", 0))))
    summary = diff.summary.assign(metric=diff.summary["metric"].map(lambda m: tr(f"edit.metric.{m}")))
    summary = summary.rename(columns={"a": tr("edit.col.scenario_a", name=labels.scenario_label(a)),
                                      "b": tr("edit.col.scenario_b", name=labels.scenario_label(b))})
    st.dataframe(_localised(summary), hide_index=True, key="edit_compare_summary")
    st.caption(tr("edit.diff.service_coverage"))
    changes = diff.changes.assign(change=diff.changes["change"].map(lambda x: tr(f"edit.change.{x}")))
    st.dataframe(_localised(changes), hide_index=True, key="edit_compare_changes")
    if len(diff.staffing):
        st.dataframe(_localised(diff.staffing), hide_index=True, key="edit_compare_staffing")


def _history_bar(path: str, disk: Project, project: Project) -> None:
    history = _history()
    c = st.columns([1, 1, 2, 2])
    if c[0].button(tr("edit.page.undo"), key="edit_undo", disabled=not history.can_undo):
        _undo_redo(project, undo)
    if c[1].button(tr("edit.page.redo"), key="edit_redo", disabled=not history.can_redo):
        _undo_redo(project, redo)
    c[2].markdown(tr("edit.page.pending", n=pending_count(history)))
    if c[3].button(tr("edit.page.save"), key="edit_save", type="primary", disabled=not history.journal):
        _save(path, disk, merge=False)


def main() -> None:
    """Render the page: widgets -> cached load -> geo edits -> tables."""
    state.init_state()
    st.title(tr("ui.nav.edit"))  # the menu entry and the title are one key
    path = project_path()
    disk = current_project()  # only the signed-in user's units; on a city-size project the unit worked on
    if not allowed_to_edit():  # a viewer is told why and sees nothing to edit
        st.stop()
    _sync(disk, path)
    for kind, text in st.session_state.pop(FLASH, []):
        getattr(st, kind)(text)
    if not state.account_name():
        st.info(tr("edit.page.user_missing"))
    _conflict_panel(path, disk)
    project = _current(disk)
    _history_bar(path, disk, project)
    community, grid = _pick_grid(project)
    if grid is not None:
        staffing = staffing_by_grid(project)  # once a run: both panels show it
        _grid_panel(project, grid, staffing)
        _bulk_panel(project, community, grid, staffing)
        _regrid_panel(path, disk, grid)
    with st.expander(tr("setting.grid_code_pattern")):
        saved = code_pattern_form(disk, user=_user(), disabled=bool(_history().journal))
        if saved is not None:
            _rebase(saved, path)
            _flash("success", tr("edit.codes.pattern_saved", revision=saved.revision))
            st.rerun()
    _violations_panel(project, grid)
    _scenario_panel(project)
    with st.expander(tr("edit.page.audit")):
        log = localise_audit(read_audit(project).head(200), state.lang()).drop(columns="edit_id", errors="ignore")
        st.dataframe(_localised(log), hide_index=True,
                     key="edit_audit_table")


main()
