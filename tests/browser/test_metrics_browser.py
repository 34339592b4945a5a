"""Figures are shown whole (issue 17: "every number with its unit", a boss compares screen and spreadsheet):
no metric of the explore panel or the dashboard is cut to "245,…" on a laptop-size window."""
from __future__ import annotations

import shutil

import pytest

from bench import paint
from tests.browser.server import CHROMIUM, sign_in, streamlit_server

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000
# the text of a metric's value cut by its column (text-overflow: ellipsis): wider than its box
CUT = """() => [...document.querySelectorAll("[data-testid='stMetricValue'] div, [data-testid='stMetricValue']")]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


@pytest.mark.parametrize("width", [1280, 1500])
def test_metrics__demo_figures_are_not_cut_in_the_panel_or_dashboard(demo_project_file, tmp_path, width):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_project_file, path)
    with streamlit_server(path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
        sign_in(page, url)
        paint.shown(page, "市 · ", timeout_ms=TIMEOUT_MS)
        page.get_by_test_id("stMetric").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_test_id("stMetricValue").count() >= 3
        assert page.evaluate(CUT) == []
        page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="统计看板").click()
        paint.shown(page, "统计看板", timeout_ms=TIMEOUT_MS)
        page.get_by_test_id("stMetric").first.wait_for(timeout=TIMEOUT_MS)
        paint.idle(page, timeout_ms=TIMEOUT_MS)
        assert page.evaluate(CUT) == []
        browser.close()
