"""Export page: download assignment tables, GIS files and rosters; import an edited table back.

The main export holds what a planner compares with the screen (summary, grids per town, the
escalation chain one row per grid, governance); the per-building roster and the chain alone are
separate downloads (``ExportOptions.table``).
"""
from __future__ import annotations

import streamlit as st

from geo import export_tables as tab
from geo.errors import GeoInputError
from geo.export import TABLE_FORMATS, TABLES, ExportOptions, export_bytes
from geo.roundtrip import apply_diff, diff_assignments, preview_lines, read_edited_table
from ui import state
from ui.cached import cached_default_figures
from ui.common import allowed_to_edit, current_project, current_scope, project_path, save_current
from ui.i18n import show_error, show_notes, tr
from ui.progress import progress_bar
from ui.safe import plain

# widget keys of this page (small values only; the prepared file is kept until options change)
FMT = "export_fmt"
TABLE = "export_table"
LEVEL = "export_level"
CRS = "export_crs"
ENCODING = "export_encoding"
ROSTER_BY = "export_roster_by"
ROSTER_FORM = "export_roster_form"
MASK_NAMES = "export_mask_names"
PERSONAL = "export_personal"
PREPARED = "export_prepared"  # (options tuple, file name, bytes)
UPLOAD = "export_upload"

FORMAT_CHOICES = ("xlsx", "csv", "geojson", "gpkg", "shp", "roster")
FORMAT_LABELS = {"xlsx": "Excel (XLSX)", "csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage",
                 "shp": "Shapefile (.zip)", "roster": None}
CRS_CHOICES = ("", "gcj02", "EPSG:4543", "EPSG:4544")
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv",
        "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "zip": "application/zip",
        "md": "text/markdown", "txt": "text/plain"}


def _choose(widget, label: str, values: dict[str, str], key: str) -> str:
    """A selectbox/radio over display labels (no format_func: AppTest pickles widget state); returns the value."""
    chosen = widget(label, list(values), key=key)
    return values[chosen]


def _options(lang: str) -> ExportOptions:
    formats = {FORMAT_LABELS[f] or tr("export.ui.roster"): f for f in FORMAT_CHOICES}
    fmt = _choose(lambda *a, **k: st.radio(*a, **k, horizontal=True), tr("export.cli.format"), formats, FMT)
    table = "main"
    if fmt in TABLE_FORMATS:  # the per-building roster and the chain alone are downloads of their own
        tables = {tr(f"export.ui.table.{v}"): v for v in TABLES}
        table = _choose(lambda *a, **k: st.radio(*a, **k, horizontal=True), tr("export.ui.table"), tables, TABLE)
    c1, c2, c3 = st.columns(3)
    level = ""
    if table == "main":
        levels = {tr("export.ui.all_levels"): "", **{tab.level_label(v, lang): v for v in tab.EXPORT_LEVELS}}
        level = _choose(c1.selectbox, tr("export.ui.level"), levels, LEVEL)
    crs = None
    if fmt in ("geojson", "gpkg", "shp"):
        choices = CRS_CHOICES[:2] if fmt == "geojson" else CRS_CHOICES
        labels = {(v.upper().replace("GCJ02", "GCJ-02") if v else tr("export.ui.crs_wgs84")): v for v in choices}
        crs = _choose(c2.selectbox, tr("export.ui.crs"), labels, f"{CRS}_{fmt}")
    encoding = "utf-8-sig"
    if fmt == "csv":
        encoding = c2.selectbox(tr("export.ui.encoding"), ("utf-8-sig", "gb18030"), key=ENCODING)
    by, form = "grid", "md"
    if fmt == "roster":
        by = _choose(c2.selectbox, tr("export.ui.roster_by"),
                     {tr(f"export.ui.by_{v}"): v for v in ("grid", "community")}, ROSTER_BY)
        form = c3.selectbox(tr("export.cli.format"), ("md", "txt", "csv", "xlsx"), key=ROSTER_FORM)
    mask_names = st.checkbox(tr("export.ui.mask_names"), key=MASK_NAMES)
    personal = current_scope().can_unmask and st.checkbox(tr("export.ui.personal"), key=PERSONAL)
    user = state.account_name()
    if personal:
        st.warning(plain(tr("export.ui.personal_warning", user=user)) if user else tr("export.ui.need_user"))
    return ExportOptions(fmt=fmt, level=level or None, lang=lang, crs=crs or None, include_personal=personal,
                         mask_names=mask_names, encoding=encoding, user=user, scope=current_scope(), roster_by=by,
                         roster_form=form, table=table)


def _prepare(options: ExportOptions) -> None:
    """Build the file; a personal export is logged (project saved) before its bytes are offered."""
    project = current_project()
    try:
        # the roll-up of this saved version, shared with the print page, the map and the dashboard
        main_xlsx = options.fmt == "xlsx" and options.table == "main"
        figures = cached_default_figures(project_path(), project) if main_xlsx else None
        with progress_bar() as progress:  # personal data in full: geo.access.reveal (refused for viewers, logged)
            result = export_bytes(project, options, progress=progress, figures=figures)
        if result.audited:
            save_current(result.project, expected_revision=project.revision, user=options.user)
    except GeoInputError as exc:
        show_error(exc)
        return
    show_notes(result.notes)  # e.g. control characters removed from the workbook
    st.session_state[PREPARED] = (repr(options), result.filename, result.data)


def _download_section(options: ExportOptions) -> None:
    if st.button(tr("export.ui.prepare"), type="primary", disabled=options.include_personal and not options.user):
        _prepare(options)
    prepared = st.session_state.get(PREPARED)
    if prepared and prepared[0] == repr(options):
        _, name, data = prepared
        st.download_button(plain(tr("export.ui.download", name=name)), data=data, file_name=name,
                           mime=MIME.get(name.rsplit(".", 1)[-1], "application/octet-stream"), on_click="ignore")


def _roundtrip_section() -> None:
    st.subheader(tr("export.ui.roundtrip"))
    uploaded = st.file_uploader(tr("export.ui.upload"), type=["xlsx", "csv"], key=UPLOAD)
    if uploaded is None:
        return
    project = current_project()
    try:
        diff = diff_assignments(project, read_edited_table(uploaded.getvalue(), filename=uploaded.name))
    except GeoInputError as exc:
        show_error(exc)
        return
    lines = preview_lines(diff, state.lang())
    st.markdown("\n".join(f"- {plain(line)}" for line in lines))
    if diff.is_empty or diff.problems:
        return
    if st.button(tr("export.ui.apply")) and allowed_to_edit():
        try:
            user = state.account_name()
            updated = apply_diff(project, diff, user=user, file=uploaded.name)
            saved = save_current(updated, expected_revision=project.revision, user=user)
        except GeoInputError as exc:
            show_error(exc)
            return
        st.success(plain(tr("export.diff.applied", n=diff.n_changes, file=project_path(), revision=saved.revision)))


st.title(tr("export.ui.title"))
st.caption(tr("export.ui.intro"))
current_project()
_download_section(_options(state.lang()))
st.divider()
_roundtrip_section()
