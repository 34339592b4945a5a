"""Every page speaks one language: in English no CJK text that is not the project's own data, in Chinese no
stray English labels (AppTest on the tiny project, with staff, coverage and the explore panel open)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import schema as s
from geo.coverage import service_reach, with_coverage
from geo.privacy import mask_name
from geo.project import save_project
from tests.app_fixtures import COMM11, POINT_TYPE, TOWN1, hostile_project
from tests.app_login import TEST_USER, signed_in
from ui import state
from ui.safe import plain, visible

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ("ui/pages/explore.py", "ui/pages/dashboard.py", "ui/pages/run.py", "ui/pages/edit.py",
         "ui/pages/export.py", "ui/pages/print.py", "ui/pages/import_wizard.py")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
# English words a Chinese page may show: names of things that have no Chinese name on screen
ZH_ALLOWED = {"Excel", "zip", "dpi", "gpkg", "GridAtlas", "OpenStreetMap", "OSM", "Tianditu", "Amap", "English", "XLSX", "CSV", "GeoJSON",
              "GeoPackage", "Shapefile", "PDF", "PNG", "Markdown", "HTML", "QGIS", "WGS", "CGCS", "GB", "UTM",
              "EPSG", "GCJ", "BD", "MCLP", "MILP", "HiGHS", "LP", "A", "B", "A4", "A3", "N", "km", "m", "ID", "id"}


@pytest.fixture(scope="module")
def project_file(tmp_path_factory):
    project = hostile_project()
    table = service_reach(project, radii_m=[300, 500])
    project = with_coverage(project, table, meta={"radii_m": [300, 500]})
    path = tmp_path_factory.mktemp("lang") / "tiny.gpkg"
    save_project(project, path)
    return path


def user_data() -> list[str]:
    """Every text of the project's own data (names, codes, ids, masked names), longest first."""
    project = hostile_project()
    texts: set[str] = {"示意", POINT_TYPE}  # a planner's own point type is shown as stored
    for gdf in project.layers.values():
        for col in (s.NAME, s.CODE, s.VOLUNTEER_ID, s.POINT_ID, s.COMMUNITY_CODE, s.TOWN_CODE, "address"):
            if col in gdf:
                values = gdf[col].dropna().astype(str)
                texts |= set(values)
                if col == s.NAME:
                    texts |= {mask_name(v) for v in values}
    texts |= {form(t) for t in texts for form in (visible, plain)}  # as shown, and as Markdown source
    return sorted((t for t in texts if t), key=len, reverse=True)


SHOWN_VALUE = {"Markdown", "Caption", "Title", "Header", "Subheader", "Text", "Success", "Info", "Warning",
               "Error", "Metric", "Latex", "Toast", "Exception", "Html"}
TAG = re.compile(r"<[^>]*>")
STYLE = re.compile(r"<style>.*?</style>", re.S)  # an st.html style sheet is no text the planner reads


def _strings(node) -> list[str]:
    """Every text an element shows: labels, help, displayed options, messages, tables (headers and cells).

    Widget values are left out (they are codes; what the planner reads is the formatted option), and so are
    the texts the planner typed.
    """
    out: list[str] = []
    for child in getattr(node, "children", {}).values():
        kind = type(child).__name__
        if kind == "Radio" and getattr(child, "key", None) == state.LANG:
            continue  # the language switch reads in both languages on purpose (语言 Language, 中文/English)
        for attr in ("label", "help", "placeholder"):
            value = getattr(child, attr, None)
            if isinstance(value, str):
                out.append(value)
        if kind in SHOWN_VALUE:
            value = getattr(child, "value", None)
            if isinstance(value, str):
                out.append(TAG.sub(" ", STYLE.sub(" ", value)))
        if kind in ("Dataframe", "Table"):
            value = child.value
            out += [str(c) for c in value.columns] + [str(v) for v in value.index]
            out += [str(v) for v in value.to_numpy().ravel()]
        options = getattr(child, "options", None)
        if kind in ("Selectbox", "Radio", "Multiselect", "SelectSlider") and isinstance(options, list):
            out += [str(o) for o in options]
        if kind == "Tab" or kind == "Expandable":
            proto = getattr(child, "proto", None)
            label = getattr(getattr(proto, "tab", None), "label", None) or getattr(
                getattr(proto, "expandable", None), "label", None)
            if label:
                out.append(label)
        out += _strings(child)
    return out


def _page_texts(path: Path, page: str, lang: str, **session) -> list[str]:
    at = signed_in(AppTest.from_file(APP, default_timeout=60), name="tester")
    at.session_state[state.PROJECT_PATH] = str(path)
    for key, value in session.items():
        at.session_state[key] = value
    at.query_params[state.LANG] = lang
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return _strings(at._tree)


def _without_user_data(text: str, path: Path | None = None) -> str:
    if path is not None:  # the project file's path and name are the planner's own
        text = text.replace(str(path), " ").replace(path.name, " ")
    for value in (*user_data(), TEST_USER):  # the signed-in account's name is the planner's own too
        text = text.replace(value, " ")
    return text


def _session_for(page: str) -> dict:
    if page.endswith("explore.py"):  # the community view: legend, staff table, reach, problems
        # 产业 has no service point in the tiny project: the panel lists "no reach" problems naming it
        return {state.SELECTED_TOWN: TOWN1, state.SELECTED_COMMUNITY: COMM11, state.EXPLORE_METRIC: "coverage",
                state.EXPLORE_CATEGORY: "产业", state.EXPLORE_STAFF: True, state.EXPLORE_GOV_ORGS: True, state.EXPLORE_GOV_PROJECTS: True,
                state.EXPLORE_GOV_SELFGOV: True}  # the governance tables' lazy expanders open
    return {}


@pytest.mark.parametrize("page", PAGES)
def test_pages__english_shows_no_chinese_but_the_projects_own_names(project_file, page):
    texts = _page_texts(project_file, page, "en", **_session_for(page))
    found = sorted({f"{m} ← {t[:80]!r}" for t in texts for m in CJK.findall(_without_user_data(t, project_file))
                    if m not in ("中文",)})  # the language switch names itself
    assert not found, "\n".join(found)


@pytest.mark.parametrize("page", PAGES)
def test_pages__chinese_shows_no_stray_english_labels(project_file, page):
    texts = _page_texts(project_file, page, "zh", **_session_for(page))
    words = re.compile(r"[A-Za-z][A-Za-z_]{1,}")
    found = sorted({f"{w} ← {t[:80]!r}" for t in texts for w in words.findall(_without_user_data(t, project_file))
                    if w not in ZH_ALLOWED and not t.startswith(("/", "http"))})
    assert not found, "\n".join(found)


def test_run_preview__reads_in_english_after_a_coverage_rerun(project_file, tmp_path):
    import shutil
    path = tmp_path / project_file.name
    shutil.copy(project_file, path)
    at = signed_in(AppTest.from_file(APP, default_timeout=60))
    at.session_state[state.PROJECT_PATH] = str(path)
    at.switch_page("ui/pages/run.py")
    at.run()
    at.multiselect(key="run_radii").set_value([300]).run()  # 500 m was measured: its rows go, and why
    at.button(key="run_coverage_button").click().run()
    # AppTest cannot click in English (it compares formatted options to raw values): switch after the run
    at.radio(key=state.LANG).set_value("en").run()
    assert not at.exception
    texts = _strings(at._tree)
    assert any(t.startswith("Why rows are removed") for t in texts)
    found = sorted({f"{m} ← {t[:80]!r}" for t in texts for m in CJK.findall(_without_user_data(t, path))})
    assert not found, "\n".join(found)


def test_edit_page__tables_and_comparison_read_in_english(project_file, tmp_path):
    import shutil
    path = tmp_path / project_file.name
    shutil.copy(project_file, path)
    at = signed_in(AppTest.from_file(APP, default_timeout=60), name="tester")
    at.session_state[state.PROJECT_PATH] = str(path)
    at.switch_page("ui/pages/edit.py")
    at.run()
    at.selectbox(key="edit_community").set_value(COMM11).run()
    at.button(key="edit_add").click().run()
    at.button(key="edit_compare_button").click().run()
    at.radio(key=state.LANG).set_value("en").run()  # AppTest clicks in Chinese only (see above)
    assert not at.exception
    texts = _strings(at._tree)
    assert any("Scenario A" in t for t in texts)
    found = sorted({f"{m} ← {t[:80]!r}" for t in texts for m in CJK.findall(_without_user_data(t, path))})
    assert not found, "\n".join(found)
