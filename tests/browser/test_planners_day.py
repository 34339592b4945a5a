"""A planner's day on the demo in a real browser (Debian chromium via Playwright), the walk of bench.planners_day.

open -> drill to a grid -> edit -> undo -> save a scenario -> compare -> run coverage with a preview
-> suggest 3 service points -> export XLSX -> print a community PDF chosen by name. The test checks
what the walk leaves behind (files, saved scenario and coverage); the benchmark prints its timings.
"""
from __future__ import annotations

import shutil
import zipfile

import pytest

from bench.planners_day import SCENARIO, a_community, table, walk
from geo import schema as s
from geo.project import load_project
from geo.scenarios import scenario_names
from tests.browser.server import CHROMIUM, streamlit_server

pytestmark = pytest.mark.browser


def test_planners_day__walks_from_the_city_map_to_a_printed_community(demo_project_file, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_project_file, path)
    code, name = a_community(path)
    with streamlit_server(path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN", accept_downloads=True)
        result = walk(page, url, community_name=name, out=tmp_path)
        browser.close()
    print(table(result))
    assert result.grid_heading.startswith("网格 · ")
    with zipfile.ZipFile(result.files["xlsx"]) as book:  # a real workbook, not an error page
        assert "xl/workbook.xml" in book.namelist()
    assert result.files["pdf"].name == f"{code}.pdf"  # chosen by its name, printed as that unit
    assert result.files["pdf"].read_bytes().startswith(b"%PDF")
    saved = load_project(path)
    assert SCENARIO in scenario_names(saved)  # the edit page's scenario reached the file
    assert len(saved.table(s.COVERAGE))  # the previewed coverage was saved on confirmation
    assert [step for step, _kind, _sec in result.steps][-1] == "print PDF (full resolution)"
