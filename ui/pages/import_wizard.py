"""Import wizard: files (upload or a folder), layer guessed by content, CRS, columns, check all, diff, save."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import schema as s
from geo.access import require_edit
from geo.buildings import buildings_table
from geo.errors import GeoInputError
from geo.import_review import ORGANISATIONS, ROSTER, SKIP, FilePlan, LoadOutcome, load_files, qa_kinds, qa_table
from geo.messages import error_text, t
from geo.project import Project, save_project
from geo.progress import report as report_progress
from layers.web import PointSpec, PolygonSpec, layered_map
from ui import labels, state
from ui.cached import (
    cached_guess, cached_headers, cached_import, cached_organisations, cached_project, cached_projects, cached_roster,
    cached_selfgov,
)
from ui.common import allowed_to_edit, current_scope
from ui.i18n import show_error, tr
from ui.progress import progress_bar
from ui.safe import plain

GOVERNANCE = (s.GOV_PROJECTS, s.SELFGOV)  # read by geo.govprojects / geo.selfgov against the grids (as the CLI does)
TARGETS = (SKIP, s.TOWNS, s.COMMUNITIES, s.GRIDS, s.HOUSEHOLDS, s.SERVICE_POINTS, s.VOLUNTEERS, ROSTER, ORGANISATIONS,
           *GOVERNANCE)
NOT_LAYERS = (SKIP, ROSTER, ORGANISATIONS, *GOVERNANCE)  # files the layer loader does not read
CRS_CHOICES = ("file", "wgs84", "cgcs2000", "gcj02", "bd09", "epsg")
CHECKED = "import_checked"  # bool: the user pressed "check" for the current files
FOLDER = "import_folder"  # str: a folder on this computer to import from (instead of uploading)
REPAIR = "import_repair"
MODE = "import_mode"  # "new" | "update"
PENDING_PROJECT = "pending_project_path"  # applied to the sidebar before its widget is drawn (app.py)
SUFFIXES = ("geojson", "json", "gpkg", "zip", "kml", "csv", "txt", "xlsx")
_POINT_COLORS = {s.HOUSEHOLDS: "#7f7f7f", s.SERVICE_POINTS: "#1f78b4", s.VOLUNTEERS: "#33a02c"}


def _files() -> list[tuple[str, bytes]]:
    """(name, content) of every file: uploaded, or read from the folder the planner typed."""
    uploads = st.file_uploader(tr("ui.import.files"), accept_multiple_files=True, key="import_files", type=SUFFIXES)
    folder = st.text_input(tr("wizard.folder"), key=FOLDER, placeholder="D:/网格办/移交资料")
    files = [(u.name, u.getvalue()) for u in uploads or []]
    if folder.strip():
        root = Path(folder.strip()).expanduser()
        if not root.is_dir():
            st.error(plain(tr("wizard.folder_missing", folder=str(root))))
        else:
            found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in SUFFIXES)
            files += [(str(p.relative_to(root)), p.read_bytes()) for p in found]
    return files


def _declare(i: int, name: str, data: bytes) -> tuple[str, str | None]:
    """Widgets for one file: target (guessed by content) and CRS declaration."""
    guess = cached_guess(data, name)
    c1, c2, c3 = st.columns([2, 2, 1])
    key_layer = f"import_layer_{i}"
    st.session_state.setdefault(key_layer, guess.target)
    layer = c1.selectbox(tr("ui.import.layer_for", file=name), TARGETS, key=key_layer,
                         format_func=labels.import_target_label)
    c1.caption(tr("wizard.guessed", reason=tr(f"guess.{guess.reason}")))
    if layer in (SKIP, ROSTER, ORGANISATIONS, s.SELFGOV):  # projects have coordinates: they need a CRS
        return layer, None
    choice = c2.selectbox(tr("ui.import.crs_for", file=name), CRS_CHOICES, key=f"import_crs_{i}",
                          format_func=labels.import_crs_label)
    crs = None if choice == "file" else choice
    if choice == "epsg":
        code = c3.text_input(tr("ui.import.epsg_for", file=name), key=f"import_epsg_{i}", placeholder="EPSG:4544")
        crs = code.strip() or None
    return layer, crs


def _columns(i: int, name: str, data: bytes, layer: str) -> tuple[tuple[str, str], ...]:
    """Widgets mapping the file's unrecognised headers to schema columns."""
    from geo.tables import recognise_columns

    try:
        headers = cached_headers(data, Path(name).name, layer)
        found = recognise_columns(headers, layer, file=name)
    except GeoInputError as exc:
        st.error(plain(error_text(exc, state.lang(), front="web")))
        return ()
    schema_cols = sorted({*s.REQUIRED.get(layer, ()), s.CODE, s.NAME, s.TOWN_CODE, s.COMMUNITY_CODE, s.PARENT_CODE,
                          s.LEVEL, s.KIND, s.HOUSEHOLDS_N, s.PHONE, s.ADDRESS, s.TIER, s.CAPACITY, s.POINT_TYPE,
                          s.CATEGORY, "lon", "lat"} - set(found.renames.values()))
    mapping = []
    for j, header in enumerate(found.unrecognised):
        target = st.selectbox(plain(tr("ui.import.map_column", file=name, column=header)), (SKIP, *schema_cols),
                              key=f"import_map_{i}_{j}", format_func=labels.import_column_label)
        if target:
            mapping.append((header, target))
    return tuple(mapping)


def _open_project() -> Project | None:
    path = Path(str(st.session_state.get(state.PROJECT_PATH) or ""))
    if not path.is_file():
        return None
    try:
        return cached_project(path)
    except GeoInputError:
        return None


def _load(files, plans, salt: str | None, base: Project | None) -> LoadOutcome:
    contents = dict(files)

    def loader(plan: FilePlan, *, area=None):
        return cached_import(contents[plan.label], Path(plan.label).name, plan.target, plan.crs, plan.mapping,
                             plan.repair, salt, None if area is None else area.wkb)

    plans = [p for p in plans if p.target not in GOVERNANCE]
    return load_files(plans, loader=loader, known_layers=base.layers if base is not None else None)


def _grids_key(grids: gpd.GeoDataFrame) -> str:
    return f"{len(grids)}:" + ",".join(grids[s.CODE].astype(str).head(2000)) if len(grids) else "0"


def _place_people(files, plans, project: Project, salt: str | None):
    """Rosters and organisation sheets placed in the project's grids (names already resolved to codes)."""
    grids, comms = project.layer(s.GRIDS), project.layer(s.COMMUNITIES)
    contents = dict(files)
    rosters, orgs, errors = [], [], {}
    for plan in plans:
        if plan.target not in (ROSTER, ORGANISATIONS):
            continue
        if not len(grids) or not len(comms):
            errors[plan.label] = tr("wizard.need_grids", file=plan.label)
            continue
        try:
            if plan.target == ROSTER:
                rosters.append(cached_roster(contents[plan.label], plan.label, _grids_key(grids), grids, comms,
                                             salt, project.active_scenario))
            else:
                bld = buildings_table(project)  # an organisation may serve single buildings, named
                orgs.append(cached_organisations(contents[plan.label], plan.label, f"{_grids_key(grids)}|{len(bld)}",
                                                 grids, comms, bld))
        except GeoInputError as exc:
            errors[plan.label] = error_text(exc, state.lang(), front="web")
    return rosters, orgs, errors


def _place_governance(files, plans, project: Project):
    """Governance projects and self-governance sheets read against the project's grids (``geo.govprojects``,
    ``geo.selfgov``, the readers the command line uses): ``(label, layer or table name, frame, findings)``."""
    from geo.selfgov import selfgov_table

    grids, comms = project.layer(s.GRIDS), project.layer(s.COMMUNITIES)
    contents = dict(files)
    read, errors = [], {}
    for plan in plans:
        if plan.target not in GOVERNANCE:
            continue
        if not len(grids) or not len(comms):
            errors[plan.label] = tr("wizard.need_grids", file=plan.label)
            continue
        try:
            if plan.target == s.GOV_PROJECTS:
                gdf, findings = cached_projects(contents[plan.label], plan.label, _grids_key(grids), plan.crs, project)
                read.append((plan.label, s.GOV_PROJECTS, gdf, findings))
            else:
                result = cached_selfgov(contents[plan.label], plan.label, _grids_key(grids), grids, comms)
                read.append((plan.label, s.SELFGOV, selfgov_table(result), result.findings))
        except GeoInputError as exc:
            errors[plan.label] = error_text(exc, state.lang(), front="web")
    return read, errors


def _with_governance(project: Project, governance) -> Project:
    """The project with the governance projects layer and the self-governance table of the files read."""
    for _, name, frame, _ in governance:
        project = project.with_layer(name, frame) if name == s.GOV_PROJECTS else project.with_table(name, frame)
    return project


def _governance_rows(governance, findings: list[dict]) -> None:
    """Per governance file: how many rows were kept, and its problems row by row."""
    for label, name, frame, _ in governance:
        key = "wizard.gov.summary_projects" if name == s.GOV_PROJECTS else "wizard.gov.summary_selfgov"
        st.caption(plain(tr(key, file=label, n=len(frame))))
        mine = [f for f in findings if f.get("file") == label and f.get("severity") != "info"]
        if mine:
            st.markdown(plain(tr("wizard.gov.rows", file=label)))
            st.dataframe(qa_table(mine, state.lang()), hide_index=True, width="stretch",
                         height=min(35 * len(mine) + 38, 260))


def _shifts(outcome: LoadOutcome) -> None:
    for item in outcome.loaded.values():
        st.caption(plain(tr("ui.import.rows", file=item.file, n=len(item.gdf))))
        if item.declared_shift is not None and item.declared_shift.n:
            st.info(plain(tr("wizard.shift", file=item.file, crs=item.source_crs,
                             median=f"{item.declared_shift.median_m:.0f}", max=f"{item.declared_shift.max_m:.0f}")))


def _repair_preview(outcome: LoadOutcome) -> None:
    """Invalid geometries of the files as loaded, and what the repair option would make of them (nothing saved)."""
    from geo.io import REPAIR_COLUMNS, repair_changes

    for item in outcome.loaded.values():
        changes = repair_changes(item.gdf, item.layer)
        if changes.empty:
            continue
        st.warning(plain(tr("wizard.repair_preview", file=item.file, n=len(changes))))
        shown = changes.assign(type_before=[tr(f"wizard.geom.{g}") for g in changes["type_before"]],
                               type_after=[tr(f"wizard.geom.{g}") for g in changes["type_after"]],
                               area_before_m2=changes["area_before_m2"].round(1),
                               area_after_m2=changes["area_after_m2"].round(1))
        st.dataframe(shown.rename(columns={c: tr(f"wizard.repair_col.{c}") for c in REPAIR_COLUMNS}),
                     hide_index=True, key=f"import_repair_preview_{item.layer}")


def _report(findings: list[dict]) -> None:
    from geo.validate import has_errors

    st.subheader(tr("ui.import.report"))
    if not findings:
        st.success(tr("ui.import.ok"))
        return
    frame = pd.DataFrame(findings)
    problems = frame[frame["severity"] != "info"]
    if len(problems):
        (st.error if has_errors(frame) else st.warning)(tr("ui.import.problems", n=len(problems)))
    else:
        st.success(tr("ui.import.ok"))
    st.dataframe(qa_kinds(findings, state.lang()), hide_index=True, width="stretch")
    with st.expander(tr("wizard.all_findings", n=len(findings))):
        st.dataframe(qa_table(findings, state.lang()), hide_index=True, width="stretch", height=260)


def _preview_map(layers: dict[str, gpd.GeoDataFrame], findings: list[dict]) -> None:
    """Points over polygons (misalignment shows), plus the problem spots."""
    specs: list = [PolygonSpec(gdf, name=name, line_color="#555555", weight=1, fill=False, interactive=False)
                   for name, gdf in layers.items() if name in (s.TOWNS, s.COMMUNITIES, s.GRIDS) and len(gdf)]
    for name, color in _POINT_COLORS.items():
        gdf = layers.get(name)
        if gdf is not None and len(gdf):
            pts = gpd.GeoDataFrame(geometry=gdf.geometry[gdf.geometry.notna()].to_numpy(), crs=gdf.crs)
            specs.append(PointSpec(pts, name=name, radius_px=3, default_color=color))
    spots = [f for f in findings if f.get("geometry") is not None]
    if spots:
        from geo.validate import finding_text

        pts = gpd.GeoDataFrame({"message": [finding_text(r, state.lang(), front="web") for r in spots]},
                               geometry=gpd.GeoSeries([r["geometry"] for r in spots], crs=s.STORAGE_CRS)
                               .representative_point().to_numpy(), crs=s.STORAGE_CRS)
        specs.append(PointSpec(pts, name="problems", radius_px=6, default_color="#e31a1c",
                               fields={"message": tr("ui.import.col.problem")}))
    frames = [g for g in layers.values() if len(g)]
    if not frames:
        return
    bounds = gpd.GeoSeries(pd.concat([f.geometry.to_crs(s.STORAGE_CRS) for f in frames]),
                           crs=s.STORAGE_CRS).total_bounds
    st_folium(layered_map(specs, bounds=bounds), key="import_map", height=420, width="stretch", returned_objects=[])


def _with_people(project: Project, report, rosters, orgs) -> Project:
    """The project with its rosters placed (volunteers + assignments) and organisation sheets kept."""
    from geo.organisations import ORGANISATIONS as ORG_TABLE
    from geo.organisations import organisations_table
    from geo.project_update import apply_roster

    for roster in rosters:
        project, roster_report = apply_roster(project, roster)
        report.diffs.update(roster_report.diffs)
        report.added_assignments += roster_report.added_assignments
    for org in orgs:
        project = project.with_table(ORG_TABLE, organisations_table(org))
    return project


def _diff(report) -> None:
    rows = [{tr("ui.import.col.layer"): tr(f"layer.{k}"), **{tr(f"wizard.diff.{c}"): v for c, v in d.counts().items()}}
            for k, d in report.diffs.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if report.kept_layers:
        st.caption(tr("wizard.kept", layers="、".join(tr(f"layer.{k}") for k in report.kept_layers)))
    for scenario, n in report.orphaned_assignments.items():
        st.warning(plain(t("import.update.orphaned", state.lang(), scenario=scenario, n=n)))
    if report.coverage_stale:
        st.warning(tr("wizard.coverage_stale"))
    for what, n in report.inferred_counts().items():
        st.info(t("import.inferred_parents", state.lang(), n=n, what=what))


def _save(project: Project, base: Project | None, findings: list[dict]) -> None:
    from geo.validate import has_errors

    st.subheader(tr("ui.import.step_save"))
    updating = base is not None
    default = str(st.session_state.get(state.PROJECT_PATH)) if updating else "build/project.gpkg"
    path = st.text_input(tr("ui.import.save_to"), value=default, key="import_save_path", disabled=updating)
    risky = has_errors(pd.DataFrame(findings)) if findings else False
    label = tr("ui.import.save_anyway") if risky else tr("ui.import.save")
    if not st.button(label, type="secondary" if risky else "primary", key="import_save"):
        return
    target = Path(path)
    if not updating and target.exists():
        st.error(plain(tr("wizard.exists", file=str(target))))
        return
    try:
        require_edit(current_scope(), project, whole_project=True)
        saved = save_project(project, target, expected_revision=base.revision if updating else None,
                             user=state.account_name())
    except GeoInputError as exc:
        show_error(exc)
        return
    st.session_state[PENDING_PROJECT] = str(target)
    st.success(plain(tr("ui.import.saved", file=str(target), revision=saved.revision)))


st.title(tr("ui.import.title"))
st.caption(tr("ui.import.intro"))
if not allowed_to_edit(whole_project=True):  # an import writes whole layers: city and administrator accounts only
    st.stop()
st.subheader(tr("ui.import.step_upload"))
files_ = _files()
if not files_:
    st.stop()
st.subheader(tr("ui.import.step_crs"))
declared_ = [_declare(i, name, data) for i, (name, data) in enumerate(files_)]
st.subheader(tr("ui.import.step_columns"))
repair_ = st.checkbox(tr("wizard.repair"), key=REPAIR)
plans_ = [FilePlan(Path(name), layer, crs, _columns(i, name, data, layer) if layer not in NOT_LAYERS
                   else (), label=name, repair=repair_)
          for i, ((name, data), (layer, crs)) in enumerate(zip(files_, declared_))]
open_ = _open_project()
mode_ = "new"
if open_ is not None:
    mode_ = st.radio(tr("wizard.mode"), ("update", "new"), key=MODE, horizontal=True,
                     format_func=partial(labels.import_mode_label, str(st.session_state.get(state.PROJECT_PATH))))
base_ = open_ if mode_ == "update" else None
st.subheader(tr("ui.import.step_check"))
if st.button(tr("ui.import.check"), type="primary", key="import_check"):
    st.session_state[CHECKED] = True
if st.session_state.get(CHECKED):
    from geo.project_update import import_layers
    from geo.validate import check_layers

    salt_ = base_.meta.get("id_salt") if base_ is not None else None
    with progress_bar() as progress_:
        report_progress(progress_, "progress.import.read", 0, 1)
        outcome_ = _load(files_, plans_, salt_, base_)
        report_progress(progress_, "progress.import.read", 1, 1)
        report_progress(progress_, "progress.import.check", 0, 1)
        project_, report_ = import_layers(base_, outcome_.loaded, user=state.account_name())
        rosters_, orgs_, place_errors_ = _place_people(files_, plans_, project_, project_.meta.get("id_salt") or salt_)
        project_ = _with_people(project_, report_, rosters_, orgs_)
        governance_, gov_errors_ = _place_governance(files_, plans_, project_)
        place_errors_.update(gov_errors_)
        project_ = _with_governance(project_, governance_)
        report_progress(progress_, "progress.import.check", 1, 1)
    for error_ in outcome_.errors.values():  # every file's problem, not only the first
        st.error(plain(error_text(error_, state.lang(), front="web")))
    for text_ in place_errors_.values():
        st.error(plain(text_))
    _shifts(outcome_)
    if not repair_:
        _repair_preview(outcome_)
    if outcome_.loaded or rosters_ or orgs_ or governance_:
        checked_ = check_layers(project_.layers, files={k: v.file for k, v in outcome_.loaded.items()})
        findings_ = outcome_.findings() + report_.findings + [f for r in rosters_ for f in r.findings] + \
            [f for o in orgs_ for f in o.findings] + [f for g in governance_ for f in g[3]] + \
            checked_.to_dict("records")
        _report(findings_)
        _governance_rows(governance_, findings_)
        _preview_map(project_.layers, findings_)
        st.subheader(tr("wizard.diff"))
        _diff(report_)
        if not outcome_.errors and not place_errors_:
            _save(project_, base_, findings_)
        else:
            st.warning(tr("wizard.fix_first", n=len(outcome_.errors) + len(place_errors_)))
