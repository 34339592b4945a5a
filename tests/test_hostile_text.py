"""Text is text (issue 18 item 5, issue 17 item 5): hostile names show literally on every page, export and print.

Names carry a Markdown image, HTML, ``$…$`` maths, a template literal, control characters and an
RTL override (tests/app_fixtures.py). Streamlit renders Markdown in most elements; what it
would render is checked with CommonMark (markdown-it, the parser family Streamlit's react-markdown
follows): no image, link or raw HTML, no unescaped ``$``, and the plain text equal to the name.
"""
from __future__ import annotations

import html
import io
import json
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from geo.errors import GeoWarning
from geo.export import ExportOptions, export_bytes
from geo.export_formats import to_xlsx_bytes
from geo.printdata import find_unit, map_page_data, notice_data
from geo.roster import roster_bytes
from geo.values import CONTROL_CHARACTERS, markdown_literal
from layers import atlas
from layers import print as lp
from tests.app_fixtures import (
    COMM11,
    COMM12,
    COMM21,
    CONTROLS,
    HOSTILE,
    MATH,
    MD_IMAGE,
    NAMES,
    NUL,
    PEOPLE,
    POINT_TYPE,
    RTL,
    TOWN2,
    XSS_IMG,
    XSS_TEMPLATE,
    hostile_project,
    save_hostile,
)
from tests.app_login import signed_in
from ui import state
from ui.safe import ZWSP, plain, visible

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
ALL_HOSTILE = (*HOSTILE, f"a{CONTROLS}{NUL}b{RTL}c", "**b** _i_ ~~s~~ `c` # h", ":smile: :red[x] :material/home:",
               "[a](javascript:alert(1)) <http://evil.example> &lt;", "1. a", "- b", "a|b", "\\$x$")


def _text(rendered_html: str) -> str:
    """What a reader sees of rendered HTML: tags dropped, entities decoded, zero-width spaces gone."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered_html)).replace(ZWSP, "").strip()


def assert_inert(source: str) -> None:
    """Markdown ``source`` renders no image, link or raw HTML element, no maths, no control character."""
    rendered = MD.render(source)
    assert "<img" not in rendered and "<a " not in rendered, source
    assert not re.search(r"(?<!\\)\$", source), f"unescaped $ (maths) in {source!r}"
    assert not CONTROL_CHARACTERS.search(source), source


# --- the helper -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_HOSTILE)
def test_plain__renders_the_name_literally(name):
    source = plain(name)
    assert_inert(source)
    assert _text(MD.renderInline(source)) == visible(name).strip()


def test_visible__drops_controls_and_bidi_overrides_keeps_the_rest():
    assert visible(f"甲{CONTROLS}{NUL}乙{RTL}丙") == "甲 乙丙".replace(" ", visible("\t\n\x0b\x0c\r"))
    assert visible(None) == "" and visible(float("nan")) == "" and visible(12) == "12"


@pytest.mark.parametrize("name", ALL_HOSTILE)
def test_markdown_literal__renders_the_name_literally(name):
    source = markdown_literal(name)
    rendered = MD.render(source)
    assert "<img" not in rendered and "<a " not in rendered
    assert _text(rendered) == re.sub(r"\s+", " ", visible(name)).strip()


# --- every page (AppTest) ---------------------------------------------------------------------

MARKDOWN_SINKS = ("markdown", "caption", "subheader", "header", "title", "info", "warning", "error", "success")


def _markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown source on the page: text elements, alert bodies, button/metric/widget labels."""
    sources = [el.value for kind in MARKDOWN_SINKS for el in getattr(at, kind)]
    sources += [el.label for kind in ("button", "metric", "selectbox", "multiselect", "text_input", "radio",
                                      "checkbox", "expander", "tabs") for el in getattr(at, kind)
                if getattr(el, "label", None)]
    return [str(v) for v in sources]


def _assert_page_inert(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    sources = _markdown_sources(at)
    for source in sources:
        assert_inert(source)
    for block in at.html:  # HTML blocks (the legend): names only as escaped text
        assert "<img" not in block.value and XSS_TEMPLATE not in block.value
    for comp in at.get("component_instance"):  # the map: names only as escaped JSON data
        args = json.loads(comp.proto.json_args)
        script = args.get("script", "") + (args.get("feature_group") or "")  # base map and the view's layers
        assert "<img" not in script and XSS_TEMPLATE not in script
    return [_text(MD.renderInline(src)) for src in sources]


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory):
    return save_hostile(tmp_path_factory.mktemp("hostile") / "hostile.gpkg")


def _app(path: Path, page: str | None = None, **session) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=90), name=MD_IMAGE)  # the user name is shown too
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize(("selection", "heading"), [
    ({}, None),
    ({state.SELECTED_TOWN: TOWN2}, f"镇街 · {NAMES[TOWN2]}"),
    ({state.SELECTED_TOWN: "510184001000", state.SELECTED_COMMUNITY: COMM12}, f"社区/村 · {NAMES[COMM12]}"),
    ({state.SELECTED_TOWN: TOWN2, state.SELECTED_COMMUNITY: COMM21}, f"社区/村 · {visible(NAMES[COMM21])}"),
    ({state.SELECTED_TOWN: "510184001000", state.SELECTED_COMMUNITY: COMM11, state.SELECTED_GRID: f"{COMM11}-G1"},
     f"网格 · {NAMES[f'{COMM11}-G1']}"),
])
def test_explore__hostile_names_show_literally(hostile_file, selection, heading):
    at = _app(hostile_file, **selection)
    shown = _assert_page_inert(at)
    if heading:
        assert heading in shown
    if selection.get(state.SELECTED_COMMUNITY) == COMM12:  # a planner's own point type in the legend
        legend = [m.value for m in at.html if "<span" in m.value]  # the legend: an st.html block
        assert legend and _text(MD.render(legend[0])).count(POINT_TYPE) == 1


def test_explore__search_lists_hostile_names_as_text(hostile_file):
    at = _app(hostile_file)
    at.text_input(key=state.EXPLORE_SEARCH).set_value("网格").run()
    _assert_page_inert(at)
    options = [o for sb in at.selectbox for o in sb.options]  # the search picker among them
    assert any(MD_IMAGE in o for o in options) and not any(CONTROL_CHARACTERS.search(o) for o in options)


@pytest.mark.parametrize("page", ["ui/pages/dashboard.py", "ui/pages/run.py", "ui/pages/import_wizard.py",
                                  "ui/pages/edit.py", "ui/pages/export.py", "ui/pages/print.py"])
def test_pages__hostile_names_never_render_as_markdown(hostile_file, page):
    at = _app(hostile_file, page)
    _assert_page_inert(at)


def test_dashboard__town_filter_with_a_hostile_name(hostile_file):
    at = _app(hostile_file, "ui/pages/dashboard.py")
    at.selectbox(key=state.DASH_TOWN).set_value(TOWN2).run()
    _assert_page_inert(at)
    options = [o for sb in at.selectbox for o in sb.options]
    assert visible(NAMES[COMM21]) in options and not any(CONTROL_CHARACTERS.search(o) for o in options)


def test_edit__hostile_grid_and_people_stay_text(hostile_file):
    at = _app(hostile_file, "ui/pages/edit.py")
    at.selectbox(key=state.SELECTED_GRID).set_value(f"{COMM12}-G1-M1").run()
    _assert_page_inert(at)
    options = [o for sb in at.selectbox for o in sb.options]
    assert not any(CONTROL_CHARACTERS.search(o) for o in options)


def test_export_page__every_format_prepares_without_a_crash(hostile_file):
    at = _app(hostile_file, "ui/pages/export.py")
    radio = at.radio[0]
    notes = []
    for fmt_label in radio.options:
        radio.set_value(fmt_label).run()
        at.button[0].click().run()
        _assert_page_inert(at)
        assert at.session_state["export_prepared"][2]
        notes += [w.value for w in at.warning]
        radio = at.radio[0]
    assert any("控制字符" in n for n in notes)  # the workbook's note: control characters removed


def test_run__assignment_with_hostile_names(tmp_path):
    at = _app(save_hostile(tmp_path / "h.gpkg"), "ui/pages/run.py")
    at.button(key="run_assign_button").click().run()
    _assert_page_inert(at)
    assert at.success


def test_print_page__map_and_notice_of_hostile_units(hostile_file):
    at = _app(hostile_file, "ui/pages/print.py")
    at.text_input(key="print_org").set_value(f"{MATH}{MD_IMAGE}").run()
    picker = at.selectbox(key="print_unit_map")
    assert visible(NAMES[COMM21]) in " ".join(picker.options)  # picked by name, shown as typed
    picker.set_value(COMM12).run()
    _assert_page_inert(at)
    assert at.get("imgs") or at.get("image")
    at.radio(key="print_kind").set_value("notice").run()
    at.selectbox(key="print_unit_notice").set_value(f"{COMM12}-G1-M1").run()
    _assert_page_inert(at)
    assert at.get("imgs") or at.get("image")


# --- exports ----------------------------------------------------------------------------------

def _export(fmt: str, **kw) -> tuple[bytes, tuple]:
    result = export_bytes(hostile_project(), ExportOptions(fmt=fmt, **kw))
    return result.data, result.notes


def test_xlsx__control_characters_removed_with_a_note_not_a_crash():
    from openpyxl import load_workbook

    data, notes = _export("xlsx")
    assert [n.code for n in notes] == ["export.control_chars_removed"] and notes[0].context["n"] >= 1
    cells = [str(c.value) for ws in load_workbook(io.BytesIO(data)) for row in ws.iter_rows() for c in row
             if c.value is not None]
    assert not any(CONTROL_CHARACTERS.search(c) for c in cells)
    text = "\n".join(cells)
    assert NAMES[COMM12] in text and MD_IMAGE in text and XSS_IMG in text


def test_csv__control_characters_removed_with_a_note_not_a_crash():
    data, notes = _export("csv")
    assert [n.code for n in notes] == ["export.control_chars_removed"] and notes[0].context["n"] >= 1
    text = data.decode("utf-8-sig")
    assert not CONTROL_CHARACTERS.search(text.replace("\r\n", ""))
    assert NAMES[COMM12] in text and XSS_IMG in text


def test_cli_export__control_character_note_in_words_not_a_python_warning(tmp_path):
    import subprocess
    import sys

    project = save_hostile(tmp_path / "h.gpkg")
    for fmt, out in (("xlsx", "out.xlsx"), ("csv", "out.csv")):
        done = subprocess.run([sys.executable, "-m", "cli", "--lang", "en", "export", str(project), "--format", fmt,
                               "--out", str(tmp_path / out)], capture_output=True, text=True, cwd=ROOT, check=False)
        assert done.returncode == 0, done.stderr
        assert "Note: " in done.stderr and "control characters" in done.stderr
        assert "Warning" not in done.stderr and "warnings.warn" not in done.stderr


def test_xlsx_writer__warns_when_called_without_notes():
    with pytest.warns(GeoWarning):
        to_xlsx_bytes({"s": pd.DataFrame({"name": [f"a{NUL}b"]})})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_xlsx_bytes({"s": pd.DataFrame({"name": ["ab"]})})  # nothing to say, no warning


@pytest.mark.parametrize("form", ["md", "txt", "csv", "xlsx"])
def test_roster__every_form_with_hostile_names(form):
    data, _ = _export("roster", roster_form=form, roster_by="community")
    assert data
    if form == "md":
        rendered = MD.render(data.decode("utf-8"))
        assert "<img" not in rendered and "<a " not in rendered
        text = _text(rendered)
        for name in (NAMES[COMM12], XSS_IMG, MD_IMAGE):
            assert name in text


def test_roster_md__names_of_people_inert_in_html_viewers():
    from geo.export_tables import Privacy

    data = roster_bytes(hostile_project(), form="md", privacy=Privacy())
    rendered = MD.render(data.decode("utf-8"))
    assert "<img" not in rendered and "<a " not in rendered
    assert visible(PEOPLE["V120"]) in _text(rendered)


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "shp"])
def test_exports__other_formats_do_not_crash_on_hostile_names(fmt):
    data, _ = _export(fmt)
    assert data
    if fmt == "shp":
        assert zipfile.ZipFile(io.BytesIO(data)).namelist()


# --- print ------------------------------------------------------------------------------------

def _texts(fig) -> str:
    from matplotlib.text import Text

    return "\n".join(t.get_text() for t in fig.findobj(Text))


@pytest.mark.parametrize("code", [TOWN2, COMM12, COMM21, f"{COMM11}-G2"])
def test_print__hostile_unit_prints_literally_as_pdf_and_png(code):
    project = hostile_project()
    options = lp.PageOptions(organisation=f"{MATH}{CONTROLS}{NUL}")
    fig = lp.render_map_page(map_page_data(project, find_unit(project, code)), options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a control character would print as a missing glyph
        pdf = lp.figure_bytes(fig, fmt="pdf")
        png = lp.figure_bytes(fig, fmt="png", dpi=40)
    assert pdf.startswith(b"%PDF") and png.startswith(b"\x89PNG")
    texts = _texts(fig)
    assert MATH in texts and not CONTROL_CHARACTERS.search(texts)
    assert all(not t.get_parse_math() for t in fig.findobj(lambda a: hasattr(a, "get_parse_math")))


def test_print__notice_of_a_grid_with_hostile_people():
    project = hostile_project()
    fig = atlas.render_notice_page(notice_data(project, f"{COMM12}-G1-M1"), lp.PageOptions())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lp.figure_bytes(fig, fmt="pdf").startswith(b"%PDF")
    assert not CONTROL_CHARACTERS.search(_texts(fig))


@pytest.mark.slow
def test_print__atlas_of_hostile_communities(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = atlas.render_atlas(hostile_project(), "community", tmp_path / "atlas.pdf")
    assert result.n_pages >= 4
