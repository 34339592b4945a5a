"""Real browser (Debian chromium via Playwright): drill down, language switch, XSS inert, offline."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from tests.app_fixtures import save_hostile
from tests.browser.server import CHROMIUM, sign_in, streamlit_server

pytestmark = pytest.mark.browser
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    project = save_hostile(tmp_path_factory.mktemp("browser") / "hostile.gpkg")
    with streamlit_server(project) as url:
        yield url


@pytest.fixture
def page(app_url):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        pg = context.new_page()
        pg.dialogs, pg.requests = [], []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.on("request", lambda r: pg.requests.append(r.url))
        sign_in(pg, app_url)
        yield pg
        browser.close()


def _map_box(page):
    frame_el = page.locator(MAP_IFRAME).first
    frame_el.wait_for(timeout=30_000)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-container canvas, .leaflet-container svg").first.wait_for(timeout=30_000)
    return frame_el.bounding_box()


def test_browser__click_town_shows_side_panel_and_xss_stays_inert(page):
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="地图浏览")).to_be_visible(timeout=30_000)
    box = _map_box(page)
    page.wait_for_timeout(1500)
    # hover over every part of the map: tooltips with the hostile names open, nothing runs
    for fx in (0.2, 0.3, 0.4, 0.6, 0.7, 0.8):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(150)
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)  # town 1 is the west half
    expect(page.get_by_text("镇街 · 测试1镇名`字")).to_be_visible(timeout=30_000)
    box = _map_box(page)
    page.wait_for_timeout(1500)
    for fx in (0.2, 0.3, 0.4, 0.6, 0.7):
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(150)
    assert page.dialogs == []
    assert page.evaluate("window.__xss === undefined")


def test_browser__language_switch_to_english(page):
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="地图浏览")).to_be_visible(timeout=30_000)
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Explore the map")).to_be_visible(timeout=30_000)


def test_browser__offline_no_request_leaves_the_machine(page):
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="地图浏览")).to_be_visible(timeout=30_000)
    _map_box(page)
    page.wait_for_timeout(2000)
    hosts = {urlparse(u).hostname for u in page.requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
    assert any(u.endswith("/app/static/leaflet.js") for u in page.requests)


def test_browser__hostile_names_show_literally_and_fetch_nothing(page):
    """Issue 18 item 5: a Markdown image and ``$…$`` in names show as typed (no <img>, no KaTeX, no fetch)."""
    from playwright.sync_api import expect

    from tests.app_fixtures import COMM12, MD_IMAGE, NAMES, TOWN2

    expect(page.get_by_role("heading", name="地图浏览")).to_be_visible(timeout=30_000)
    box = _map_box(page)
    page.wait_for_timeout(1500)
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5)  # town 2 is the east half
    expect(page.get_by_role("heading", name=f"镇街 · {NAMES[TOWN2]}")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name=NAMES[TOWN2]).wait_for(timeout=30_000)  # the breadcrumb, as typed
    # community 12 ($x^2$社区) through the search box
    page.get_by_label("按名称或编码搜索").fill(COMM12)
    page.get_by_label("按名称或编码搜索").press("Enter")
    page.get_by_role("button", name="定位").click()
    expect(page.get_by_role("heading", name=f"社区/村 · {NAMES[COMM12]}")).to_be_visible(timeout=30_000)
    assert page.locator(".katex, .stMarkdown img, [data-testid='stHeading'] img").count() == 0
    assert MD_IMAGE in page.inner_text("body")
    assert not [u for u in page.requests if "evil.example" in u]
    assert page.dialogs == []
