"""Sign-in in a real browser (issue #15): a wrong password shows no data, two users side by side each see
their own account, logout returns to the form, and a reload asks to sign in again."""
from __future__ import annotations

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from geo.access import COMMUNITY, TOWN  # noqa: E402
from tests.app_fixtures import COMM11, TOWN1, XSS_IMG, save_hostile  # noqa: E402
from tests.browser.server import (  # noqa: E402
    CHROMIUM, LOGIN_NAME, LOGIN_PASSWORD, LOGIN_SUBMIT, ensure_browser_account, sign_in, streamlit_server,
)

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


def test_login_browser__wrong_password_then_two_users_side_by_side(tmp_path):
    project = save_hostile(tmp_path / "hostile.gpkg")
    ensure_browser_account(project, name="comm11", password="comm-pass", role=COMMUNITY, code=COMM11)
    ensure_browser_account(project, name="town1", password="town-pass", role=TOWN, code=TOWN1)
    with streamlit_server(project) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        one, two = browser.new_page(), browser.new_page()
        one.goto(url)
        one.locator(LOGIN_NAME).fill("comm11")
        one.locator(LOGIN_PASSWORD).fill("wrong password")
        one.locator(LOGIN_SUBMIT).click()
        expect(one.get_by_text("账号或密码不正确")).to_be_visible(timeout=TIMEOUT_MS)
        assert one.locator(MAP_IFRAME).count() == 0 and XSS_IMG not in one.content()  # no data before sign-in
        sign_in(one, url, name="comm11", password="comm-pass")
        sign_in(two, url, name="town1", password="town-pass")
        expect(one.get_by_text(f"community:{COMM11}")).to_be_visible(timeout=TIMEOUT_MS)
        expect(two.get_by_text(f"town:{TOWN1}")).to_be_visible(timeout=TIMEOUT_MS)
        assert "comm11" not in two.locator("[data-testid='stSidebar']").inner_text()
        one.locator(MAP_IFRAME).first.wait_for(timeout=TIMEOUT_MS)
        one.get_by_role("button", name="退出登录").click()
        one.locator(LOGIN_NAME).wait_for(timeout=TIMEOUT_MS)
        two.reload()  # a new browser session: sign in again
        two.locator(LOGIN_NAME).wait_for(timeout=TIMEOUT_MS)
        browser.close()
