"""Real browser (Debian chromium via Playwright): add, undo/redo, lock, compare and save on the edit page."""
from __future__ import annotations

import pytest

from geo import schema as s
from geo.messages import t
from geo.project import load_project, save_project
from tests.browser.server import CHROMIUM, sign_in, streamlit_server
from tests.factories import tiny_project

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000


def test_edit_page_in_browser__add_undo_redo_lock_compare_save(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    path = tmp_path / "tiny.gpkg"
    save_project(tiny_project(), path)
    with streamlit_server(path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()
        sign_in(page, f"{url}/edit")
        expect(page.get_by_role("heading", name=t("ui.nav.edit", "zh"))).to_be_visible(timeout=TIMEOUT_MS)

        def click(label: str, then: str) -> None:
            button = page.get_by_role("button", name=label, exact=True)
            expect(button).to_have_count(1, timeout=TIMEOUT_MS)  # a rerun may briefly show a stale copy
            button.click()
            expect(page.get_by_text(then).first).to_be_visible(timeout=TIMEOUT_MS)

        click("加入本网格", "已完成：加入网格")
        expect(page.get_by_text("未保存的修改：1 项")).to_be_visible(timeout=TIMEOUT_MS)
        click("撤销", "已完成：撤销：加入网格")
        click("重做", "已完成：重做：加入网格")
        click("锁定此分配", "已完成：锁定")
        click("比较", "方案比较")
        click("保存到项目文件", "已保存")
        browser.close()
    saved = load_project(path)
    rows = saved.table(s.ASSIGNMENTS)
    assert len(rows) == 1 and bool(rows[s.LOCKED].iloc[0])
    actions = saved.table(s.AUDIT)["action"].tolist()
    assert [a for a in actions if a not in ("save", "account")] == ["add", "undo:add", "redo:add", "lock"]
    assert actions[-1] == "save"  # the save itself is logged too
