"""The layers popover of the explore map (issue 18: what every browser draws for the first map): its
widgets are drawn once the planner opens it, and what the planner chose there is kept after it closes."""
from __future__ import annotations

import shutil

import pytest

from bench import paint
from geo.messages import t
from tests.browser.server import CHROMIUM, sign_in, streamlit_server

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000


def test_layers__widgets_appear_when_opened_and_keep_the_planners_choice(demo_project_file, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_project_file, path)
    volunteers = t("ui.explore.show_volunteers", "zh")
    with streamlit_server(path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
        sign_in(page, url)
        paint.shown(page, "市 · ", timeout_ms=TIMEOUT_MS)
        paint.map_drawn(page, timeout_ms=TIMEOUT_MS)
        paint.idle(page, timeout_ms=TIMEOUT_MS)
        assert page.get_by_test_id("stCheckbox").count() == 0  # nothing of the popover on the first map
        layers = page.get_by_role("button", name=t("ui.explore.layers", "zh"))
        layers.click()
        checkbox = page.get_by_role("checkbox", name=volunteers)
        expect(checkbox).to_be_checked(timeout=TIMEOUT_MS)
        page.get_by_test_id("stCheckbox").filter(has_text=volunteers).click()
        expect(checkbox).not_to_be_checked(timeout=TIMEOUT_MS)
        paint.idle(page, timeout_ms=TIMEOUT_MS)
        page.keyboard.press("Escape")  # closed
        expect(page.get_by_test_id("stCheckbox")).to_have_count(0, timeout=TIMEOUT_MS)
        paint.idle(page, timeout_ms=TIMEOUT_MS)
        layers.click()  # opened again: the choice is still there
        expect(page.get_by_role("checkbox", name=volunteers)).not_to_be_checked(timeout=TIMEOUT_MS)
        browser.close()
