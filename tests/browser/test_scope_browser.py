"""Two offices side by side in a real browser (issue #15): a 社区 user and a 镇街 user, each in their own
browser context, signed in through the login form. By content: each one's map payload, XLSX export and
printed PDF hold only their units, and the 镇街 user's roll-ups cover both of its communities.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from geo.access import COMMUNITY, TOWN  # noqa: E402
from geo.messages import t  # noqa: E402
from tests.app_fixtures import COMM11, COMM12, COMM21, COMM22, TOWN1, TOWN2, save_hostile  # noqa: E402
from tests.browser.server import CHROMIUM, ensure_browser_account, sign_in, streamlit_server  # noqa: E402

pytestmark = pytest.mark.browser
TIMEOUT_MS = 90_000
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
NOT_C11 = (COMM12, COMM21, COMM22, TOWN2, "测试2镇")
NOT_T1 = (COMM21, COMM22, TOWN2, "测试2镇")


def _unescaped(text: str) -> str:
    for _ in range(3):
        text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text


def _record(page) -> list:
    """Every websocket frame the server sends to ``page`` (the map payload, tables, texts), from now on."""
    frames: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    return frames


def _sent(frames: list) -> str:
    """What the server sent so far, as text (protobuf strings are UTF-8; JSON escapes decoded)."""
    data = b"".join(f if isinstance(f, bytes) else f.encode() for f in frames)
    return _unescaped(data.decode("utf-8", errors="ignore"))


def _map_payload(page, frames: list) -> str:
    """What the server sent once the map has drawn (the base map and the view's GeoJSON)."""
    page.locator(MAP_IFRAME).first.wait_for(timeout=TIMEOUT_MS)
    page.frame_locator(MAP_IFRAME).first.locator(".leaflet-container").first.wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    return _sent(frames)


def _switch(page, nav_key: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=t(nav_key, "zh")).click()
    expect(page.get_by_role("heading", name=t(nav_key, "zh")).first).to_be_visible(timeout=TIMEOUT_MS)


def _idle(page) -> None:
    page.wait_for_timeout(500)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=TIMEOUT_MS)


def _export_text(page, out: Path) -> str:
    _switch(page, "ui.nav.export")
    _idle(page)
    page.get_by_role("button", name=t("export.ui.prepare", "zh")).click()
    download = page.get_by_role("button", name=re.compile("^" + re.escape(t("export.ui.download", "zh", name=""))))
    expect(download).to_be_visible(timeout=TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        download.click()
    path = out / info.value.suggested_filename
    info.value.save_as(path)
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)


def _print_text(page, out: Path) -> tuple[str, str]:
    """The printed PDF's text (the page the print page opens on: the user's whole area) and its unit picker."""
    _switch(page, "ui.nav.print")
    expect(page.get_by_text(t("print.ui.preview", "zh"))).to_be_visible(timeout=TIMEOUT_MS)
    _idle(page)
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text=t("print.ui.unit", "zh"))
    picker.click()
    options = " ".join(page.get_by_role("option").all_inner_texts())
    page.keyboard.press("Escape")
    _idle(page)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name=t("print.ui.download_pdf", "zh")).click()
    path = out / info.value.suggested_filename
    info.value.save_as(path)
    return "\n".join(p.extract_text() or "" for p in PdfReader(path).pages), options


def _leaks(text: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f for f in forbidden if f in text]


def test_scope_browser__community_and_town_users_side_by_side_see_only_their_units(tmp_path):
    project = save_hostile(tmp_path / "hostile.gpkg")
    ensure_browser_account(project, name="comm11", password="comm-pass", role=COMMUNITY, code=COMM11)
    ensure_browser_account(project, name="town1", password="town-pass", role=TOWN, code=TOWN1)
    with streamlit_server(project) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        comm = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN", accept_downloads=True)
        town = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN", accept_downloads=True)
        one, two = comm.new_page(), town.new_page()
        one_frames, two_frames = _record(one), _record(two)
        sign_in(two, url, name="town1", password="town-pass")
        # the map payloads: the town user's map first, so a shared cache would hand it to the community user
        town_map = _map_payload(two, two_frames)
        sign_in(one, url, name="comm11", password="comm-pass")
        comm_map = _map_payload(one, one_frames)
        assert "测试1镇" in comm_map and "FeatureCollection" in comm_map and not _leaks(comm_map, NOT_C11)
        assert "测试1镇" in town_map and "FeatureCollection" in town_map and not _leaks(town_map, NOT_T1)
        # exports: the community user's rows, the town user's rows of both its communities
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        comm_xlsx, town_xlsx = _export_text(one, tmp_path / "one"), _export_text(two, tmp_path / "two")
        assert COMM11 in comm_xlsx and not _leaks(comm_xlsx, NOT_C11)
        assert COMM11 in town_xlsx and COMM12 in town_xlsx and not _leaks(town_xlsx, NOT_T1)
        # prints: the PDF of the area each opens on, and what each may pick to print
        comm_pdf, comm_units = _print_text(one, tmp_path / "one")
        town_pdf, town_units = _print_text(two, tmp_path / "two")
        assert comm_pdf.strip() and not _leaks(comm_pdf, NOT_C11) and not _leaks(comm_units, NOT_C11)
        assert COMM11 in comm_units
        assert town_pdf.strip() and not _leaks(town_pdf, NOT_T1) and not _leaks(town_units, NOT_T1)
        assert COMM11 in town_units and COMM12 in town_units  # the town's roll-ups cover both communities
        # everything each browser received over the whole walk
        assert not _leaks(_sent(one_frames), NOT_C11) and not _leaks(_sent(two_frames), NOT_T1)
        browser.close()
