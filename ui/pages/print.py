"""Print page: choose a unit, measure and paper; preview a PNG; download the PDF (or an atlas, a notice board)."""
from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import streamlit as st

from geo import schema as s
from geo.errors import GeoInputError
from geo.noticeboard import notice_chain, with_phone_consent
from geo.printdata import CITY, atlas_units, find_unit, map_page_data, notice_data
from layers import print as lp
from layers.style import parse_measure
from ui import labels, state
from ui.cached import cached_default_figures, cached_print_units, project_stamp, scope_key
from ui.common import allowed_to_edit, current_project, save_current
from ui.i18n import show_error, tr
from ui.progress import progress_bar
from ui.safe import plain

st.title(tr("ui.nav.print"))
project = current_project()  # narrowed to the signed-in user's units: every page printed holds only them

kind = st.radio(tr("print.ui.kind"), ["map", "atlas", "notice"], horizontal=True, key="print_kind",
                format_func=labels.print_kind_label)
measure = st.selectbox(tr("print.ui.measure"), ["staffing", "households", "coverage:生活", "coverage:政务",
                                                 "coverage:产业", "coverage:群团"], key="print_measure",
                       format_func=labels.measure_label)
c1, c2 = st.columns(2)
paper = c1.selectbox(tr("print.ui.paper"), ["A4", "A3"], key="print_paper")
orientation = c2.selectbox(tr("print.ui.orientation"), ["portrait", "landscape"], key="print_orientation",
                           format_func=labels.orientation_label)
c1, c2 = st.columns(2)
org = c1.text_input(tr("print.arg.org"), key="print_org")
approval = c2.text_input(tr("print.ui.approval"), key="print_approval", help=tr("print.ui.approval_help"))
internal = st.checkbox(tr("print.arg.internal"), value=True, key="print_internal")
options = lp.PageOptions(paper=paper, orientation=orientation, lang=state.lang(), organisation=org,
                         internal=internal, approval_number=approval.strip())


def _page_figure(project, page: tuple, figures):
    """The figure of one map page or notice board: ``page`` = (kind, code, measure, category, options)."""
    kind, code, measure_name, category, page_options = page
    if kind == "notice":
        from layers import atlas  # PDF pages (and matplotlib's PDF backend): not imported for a map preview

        return atlas.render_notice_page(notice_data(project, code), page_options)
    data = map_page_data(project, find_unit(project, code), measure=measure_name, category=category, figures=figures)
    return lp.render_map_page(data, page_options)


def _page_bytes(project, page: tuple, figures, *, fmt: str, dpi: int | None = None) -> bytes:
    """One page as bytes; also runs on a download click, outside the script run (no session state here)."""
    fig = _page_figure(project, page, figures)
    return lp.figure_bytes(fig, fmt=fmt, dpi=dpi) if dpi else lp.figure_bytes(fig, fmt=fmt)


@st.cache_data(max_entries=16, show_spinner=False)
def _preview_png(path: str, stamp: object, page: tuple, _project, _figures) -> bytes:
    """The low-resolution preview, cached per project file state and page (a page switch back is instant)."""
    return _page_bytes(_project, page, _figures, fmt="png", dpi=80)


def _notice_settings(project, code: str, path: str) -> None:
    """Supervision phone, QR URL and who agrees to show their work phone: saved to the project (audited)."""
    with st.expander(tr("notice.ui.settings")):
        phone = st.text_input(tr("setting.supervision_phone"), value=str(project.settings.get("supervision_phone") or ""),
                              key="notice_supervision_phone")
        url = st.text_input(tr("setting.notice_qr_url"), value=str(project.settings.get("notice_qr_url") or ""),
                            key="notice_qr_url")
        chain = notice_chain(project, code)
        people = chain[chain[s.VOLUNTEER_ID].notna()].drop_duplicates(s.VOLUNTEER_ID)
        ids = people[s.VOLUNTEER_ID].astype(str).tolist()
        names = {i: f"{n} · {p or ''}" for i, n, p in zip(ids, people[s.NAME], people["post"])}
        chosen = st.multiselect(tr("notice.ui.consent"), ids, default=[i for i, c in zip(ids, people["consented"]) if c],
                                format_func=partial(labels.lookup, names), key=f"notice_consent_{code}")
        user = st.text_input(tr("notice.ui.user"), key="notice_user")
        if st.button(tr("notice.ui.save"), key="notice_save") and allowed_to_edit(grids=[code]):
            updated = with_phone_consent(project.with_settings(supervision_phone=phone.strip(), notice_qr_url=url.strip()),
                                         consented=chosen, withdrawn=[i for i in ids if i not in chosen], user=user)
            try:
                saved = save_current(updated, expected_revision=project.revision, user=user)
            except GeoInputError as exc:
                show_error(exc)
                return
            st.success(tr("notice.ui.saved", revision=saved.revision))


try:
    spec = parse_measure(measure)
    if kind == "atlas":
        from layers import atlas

        level = st.selectbox(tr("print.ui.atlas_level"), ["community", "town", "grid"], key="print_atlas_level",
                             format_func=labels.level_label)
        pages = st.text_input(tr("print.arg.pages"), key="print_pages")
        n = len(atlas_units(project, level))
        st.caption(f"1–{n}")
        if st.button(tr("print.ui.build"), key="print_build"):
            with tempfile.TemporaryDirectory() as tmp, progress_bar() as progress:
                out = Path(tmp) / "atlas.pdf"
                atlas.render_atlas(project, level, out, pages=pages or None, measure=spec.name,
                                   category=spec.category, options=options, progress=progress)
                st.download_button(tr("print.ui.download_pdf"), out.read_bytes(), file_name=f"atlas_{level}.pdf",
                                   mime="application/pdf", key="print_download_atlas")
    else:
        path = str(st.session_state[state.PROJECT_PATH])
        choices = cached_print_units(path, project, notice=kind == "notice", lang=state.lang())
        default = st.session_state.get(state.SELECTED_GRID) if kind == "notice" else (
            st.session_state.get(state.SELECTED_COMMUNITY) or st.session_state.get(state.SELECTED_TOWN) or CITY)
        key = f"print_unit_{kind}"
        if st.session_state.get(key) not in choices:
            st.session_state[key] = default if default in choices else None
        code = st.selectbox(tr("print.ui.unit_notice" if kind == "notice" else "print.ui.unit"), list(choices),
                            key=key, format_func=partial(labels.lookup, choices),
                            placeholder=tr("print.ui.unit_placeholder"))
        if not code:
            st.stop()
        if kind == "notice":
            _notice_settings(project, code, path)
        page = (kind, code, spec.name, spec.category, options)
        stamp = (project_stamp(path), scope_key(project))  # a file's state or a server's revision, and the scope
        figures = cached_default_figures(path, project, spec.category) if kind == "map" else None  # shared roll-up
        st.image(_preview_png(path, stamp, page, project, figures), caption=tr("print.ui.preview"))
        # full resolution only when downloaded (a callable runs on the click, not on every rerun); the
        # button names its unit: what is on screen is what the click downloads, even mid-rerun
        unit = plain(labels.lookup(choices, code))
        st.download_button(tr("print.ui.download_pdf_of", unit=unit), partial(_page_bytes, project, page, figures, fmt="pdf"),
                           file_name=f"{code}.pdf", mime="application/pdf", key="print_download_pdf")
        st.download_button(tr("print.ui.download_png_of", unit=unit), partial(_page_bytes, project, page, figures, fmt="png", dpi=300),
                           file_name=f"{code}.png", mime="image/png", key="print_download_png")
except GeoInputError as exc:
    show_error(exc)
    st.stop()
