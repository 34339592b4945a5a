"""A waiting page does not animate (issue 18: ten planners' browsers on two cores): Streamlit's skeletons
stay still, so a page that waits for the server costs its browser no repaint every frame."""
from __future__ import annotations

import shutil

import pytest

from bench import paint
from tests.browser.server import CHROMIUM, sign_in, streamlit_server

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000
# a skeleton as Streamlit draws one (its shimmer is an animation on the element), added to the live page:
# the app's own style sheet must stop it
SKELETON = """() => {
  const style = document.createElement('style');
  style.textContent = '@keyframes shimmer-test { from { opacity: 1 } to { opacity: 0.5 } }'
    + ' .shimmer-test { animation: shimmer-test 1s infinite; }';
  document.head.appendChild(style);
  const skeleton = document.createElement('div');
  skeleton.setAttribute('data-testid', 'stSkeleton');
  skeleton.className = 'shimmer-test';
  skeleton.innerHTML = '<div class="shimmer-test"></div>';
  const free = document.createElement('div');
  free.className = 'shimmer-test';  // not a skeleton: animations elsewhere are left alone
  document.body.append(skeleton, free);
  return [skeleton, skeleton.firstChild, free].map(e => getComputedStyle(e).animationName);
}"""


def test_still_page__skeletons_do_not_shimmer(demo_project_file, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_project_file, path)
    with streamlit_server(path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
        sign_in(page, url)
        paint.shown(page, "市 · ", timeout_ms=TIMEOUT_MS)
        assert page.evaluate(SKELETON) == ["none", "none", "shimmer-test"]
        browser.close()
