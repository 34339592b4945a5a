"""Take the README screenshot of the app on the demo: `.venv/bin/python -m tests.browser.screenshot`."""
from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

from tests.browser.server import CHROMIUM, ROOT, sign_in, streamlit_server

MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


def main(project: str = "build/demo.gpkg", out: str = "docs/screenshot.png") -> None:
    target = ROOT / out
    target.parent.mkdir(parents=True, exist_ok=True)
    with streamlit_server(ROOT / project) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
        sign_in(page, url)
        page.get_by_role("heading", name="地图浏览").wait_for(timeout=60_000)
        page.locator(MAP_IFRAME).first.wait_for(timeout=60_000)
        page.wait_for_timeout(6000)
        box = page.locator(MAP_IFRAME).first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.72, box["y"] + box["height"] * 0.62)
        page.wait_for_timeout(6000)
        page.screenshot(path=str(target), full_page=False)
        browser.close()
    print(target)


if __name__ == "__main__":
    main(*sys.argv[1:3])
