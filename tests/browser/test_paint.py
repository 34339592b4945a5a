"""The browser benches' stopwatch (``bench.paint``): it ends on what Playwright's own checks would see —
a shown heading by pattern or case-blind text, not a hidden one; Streamlit idle once its running
indicator is gone; one map with its layers drawn — checked on every frame."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench import paint  # noqa: E402
from tests.browser.server import CHROMIUM  # noqa: E402

pytestmark = pytest.mark.browser

PAGE = """<h3 style="display:none">镇街 · 隐藏</h3><h3>市 · 锦澜市</h3><p>镇街 · 正文</p>
<div data-testid="stStatusWidget">running</div>
<script>
setTimeout(() => { const h = document.createElement('h3'); h.textContent = '社区/村 · 晚到'; document.body.append(h); }, 300);
setTimeout(() => { document.querySelector("[data-testid='stStatusWidget']").style.display = 'none'; }, 400);
</script>"""


@pytest.fixture(scope="module")
def page():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        yield browser.new_page()
        browser.close()


def test_shown__matches_a_shown_heading_by_pattern_or_case_blind_text(page):
    page.set_content(PAGE)
    paint.shown(page, re.compile(r"^市 · "), timeout_ms=2000)
    paint.shown(page, "锦澜", timeout_ms=2000)
    paint.shown(page, re.compile(r"^社区\/村 · "), timeout_ms=5000)  # appears 0.3 s later
    page.set_content("<h3>Town · North</h3>")
    paint.shown(page, "town · NORTH", timeout_ms=2000)


def test_shown__ignores_hidden_headings_and_other_elements(page):
    page.set_content(PAGE)
    with pytest.raises(PlaywrightTimeout):
        paint.shown(page, re.compile(r"^镇街 · "), timeout_ms=600)
    paint.shown(page, re.compile(r"^镇街 · "), timeout_ms=2000, selector="p")


def test_idle__waits_until_the_running_indicator_is_gone(page):
    page.set_content(PAGE)
    with pytest.raises(PlaywrightTimeout):
        paint.idle(page, timeout_ms=100, settle_ms=0)
    paint.idle(page, timeout_ms=5000, settle_ms=0)
    assert page.locator(paint.STATUS).is_hidden()


def test_map_drawn__needs_one_map_with_its_layers_drawn(page):
    frame = '<iframe title="streamlit_folium.st_folium" srcdoc="{}"></iframe>'
    page.set_content(frame.format("<div class=leaflet-overlay-pane></div>"))
    with pytest.raises(PlaywrightTimeout):
        paint.map_drawn(page, timeout_ms=600)
    drawn = frame.format("<div class=leaflet-overlay-pane><canvas></canvas></div>")
    page.set_content(drawn + drawn)
    with pytest.raises(PlaywrightTimeout):  # a stale copy beside the new one
        paint.map_drawn(page, timeout_ms=600)
    page.set_content(drawn)
    assert paint.map_drawn(page, timeout_ms=5000)["width"] > 0
