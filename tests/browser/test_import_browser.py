"""Real browser (Debian chromium via Playwright): upload a file into the import wizard, declare BD-09, diff, save."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo import schema as s
from geo.project import load_project
from tests.browser.server import CHROMIUM, ensure_browser_account, sign_in, streamlit_server

pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000
KIT = Path(__file__).resolve().parents[1] / "data" / "fieldkit" / "boundaries"


def test_import_wizard_in_browser__upload_declare_diff_and_update_the_open_project(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from cli.main import main

    project_file = tmp_path / "锦澜.gpkg"
    assert main(["import", "--communities", str(KIT / "communities_amap.geojson"), "--communities-crs", "gcj02",
                 "--grids", str(KIT / "grids_baidu.geojson"), "--grids-crs", "bd09",
                 "--out", str(project_file)]) in (0, 1)
    ensure_browser_account(project_file)  # the sign-in account (a save of the audit log) before the baseline
    before = load_project(project_file)
    doc = json.loads((KIT / "grids_baidu.geojson").read_text(encoding="utf-8"))
    doc["features"] = doc["features"][1:]  # one micro-grid dropped
    upload = tmp_path / "网格_更新.geojson"
    upload.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    with streamlit_server(project_file) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        sign_in(page, f"{url}/import")
        expect(page.get_by_role("heading", name="导入数据")).to_be_visible(timeout=TIMEOUT_MS)
        page.locator("input[type=file]").first.set_input_files(str(upload))
        crs_box = page.locator("[data-testid=stSelectbox]").filter(has_text=f"{upload.name} 的坐标系")
        expect(crs_box).to_have_count(1, timeout=TIMEOUT_MS)
        layer_box = page.locator("[data-testid=stSelectbox]").filter(has_text=f"{upload.name} 是哪个图层")
        expect(layer_box).to_contain_text("网格", timeout=TIMEOUT_MS)  # guessed by content
        crs_box.click()
        page.get_by_role("option", name="BD-09（百度）").click()
        page.get_by_role("button", name="检查数据").click()
        expect(page.get_by_text("变化预览")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.get_by_text("BD-09").first).to_be_visible(timeout=TIMEOUT_MS)
        save = page.get_by_role("button", name="有问题也保存").or_(page.get_by_role("button", name="保存项目"))
        expect(save).to_have_count(1, timeout=TIMEOUT_MS)
        save.click()
        expect(page.get_by_text("已保存到").first).to_be_visible(timeout=TIMEOUT_MS)
        browser.close()
    after = load_project(project_file)
    assert len(after.layer(s.GRIDS)) == len(before.layer(s.GRIDS)) - 1
    assert len(after.layer(s.COMMUNITIES)) == 12  # kept
    assert after.revision == before.revision + 1
