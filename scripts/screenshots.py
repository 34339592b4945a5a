"""Screenshots of every page of the app in Chinese and English: `.venv/bin/python scripts/screenshots.py`.

Starts `streamlit run app.py` on the demo (``build/demo.gpkg``; built with ``python -m cli demo``
when missing), shoots the login page, then signs in as the demo's admin and opens each page of the
app's menu (``PAGE_TABLE`` in app.py, the one list of pages) with ``?lang=zh`` and ``?lang=en`` in
Debian's chromium, and writes ``docs/screens/<page>_<lang>.png`` (``shot_names``). The export page
is shot with its XLSX prepared (the download button showing), the print page with its preview.
PNGs are stored with a 256-colour palette (a third of the size, the screen's flat colours kept).
The README's screenshots section links these files.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.paint import MAP_DRAWN, MAP_IFRAME  # noqa: E402
from geo.messages import LANGS, t  # noqa: E402
from geo.demo import DEMO_ADMIN, DEMO_PASSWORD  # noqa: E402
from tests.browser.server import CHROMIUM, LOGIN_NAME, sign_in, streamlit_server  # noqa: E402

OUT = ROOT / "docs" / "screens"
LOGIN = "login"  # the login page: shot before signing in
TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1400, "height": 900}


def page_table() -> list[tuple[str, str, str]]:
    """``(file, nav key, url path)`` of every page, read from app.py's ``PAGE_TABLE`` (without running the app)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t_, "id", "") == "PAGE_TABLE" for t_ in node.targets):
            return [(file, key, url) for file, key, url, _icon in ast.literal_eval(node.value)]
    msg = "PAGE_TABLE not found in app.py"
    raise RuntimeError(msg)


def shot_names() -> list[str]:
    """The name of every screenshot (``docs/screens/<name>_<lang>.png``): the login page, then the menu's pages."""
    return [LOGIN, *(url for _file, _key, url in page_table())]


def _idle(page) -> None:
    page.wait_for_timeout(500)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=TIMEOUT_MS)


def _save(page, target: Path) -> None:
    """A screenshot of ``page`` as a palette PNG (the UI's flat colours need no more than 256)."""
    from PIL import Image

    raw = target.with_suffix(".raw.png")
    page.screenshot(path=str(raw))
    with Image.open(raw) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    raw.unlink()


def _page_ready(page, path: str, lang: str) -> None:
    """Wait for what a page shows once it is used: the map drawn, the XLSX prepared, the print preview."""
    if path == "explore":
        page.frame_locator(MAP_IFRAME).locator(MAP_DRAWN).first.wait_for(timeout=TIMEOUT_MS)
    if path == "export":
        _idle(page)
        page.get_by_role("button", name=t("export.ui.prepare", lang), exact=True).click()
        page.get_by_role("button", name=re.compile("^" + re.escape(t("export.ui.download", lang, name="")))).wait_for(
            timeout=TIMEOUT_MS)
    if path == "print":
        preview = page.locator("[data-testid='stImage'] img").first
        preview.wait_for(timeout=TIMEOUT_MS)
        _idle(page)
        preview.evaluate("img => img.scrollIntoView({block: 'center'})")  # the preview, not only the options


def shoot(url: str, out: Path = OUT, *, only: tuple[str, ...] = ()) -> list[Path]:
    """Every screenshot (or the names ``only``) in every language of the app at ``url``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        for lang in LANGS:
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN" if lang == "zh" else "en-GB")
            if not only or LOGIN in only:
                page.goto(f"{url}/?lang={lang}")
                page.locator(LOGIN_NAME).wait_for(timeout=TIMEOUT_MS)
                _idle(page)
                written.append(out / f"{LOGIN}_{lang}.png")
                _save(page, written[-1])
                print(written[-1].relative_to(ROOT), flush=True)
            for _file, key, path in page_table():
                if only and path not in only:
                    continue
                sign_in(page, f"{url}/{'' if path == 'explore' else path}?lang={lang}", name=DEMO_ADMIN,
                        password=DEMO_PASSWORD)
                page.locator("[data-testid='stSidebarNav']").get_by_role(
                    "link", name=t(key, lang)).wait_for(timeout=TIMEOUT_MS)
                page.get_by_role("heading", level=1).first.wait_for(timeout=TIMEOUT_MS)
                _page_ready(page, path, lang)
                _idle(page)
                page.wait_for_timeout(1500)  # maps and charts finish drawing
                written.append(out / f"{path}_{lang}.png")
                _save(page, written[-1])
                print(written[-1].relative_to(ROOT), flush=True)
            page.close()
        browser.close()
    return written


def main() -> int:
    """Shoot every page (or those named: ``python scripts/screenshots.py login admin``) on a copy of the demo."""
    demo = ROOT / "build" / "demo.gpkg"
    if not demo.exists():
        subprocess.run([sys.executable, "-m", "cli", "demo", "--out", str(demo)], cwd=ROOT, check=True)
    project = Path("build") / "screens.gpkg"  # relative to the app's folder: the sidebar shows a short path
    shutil.copy(demo, ROOT / project)
    try:
        with streamlit_server(project) as url:
            shoot(url, only=tuple(sys.argv[1:]))
    finally:
        (ROOT / project).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
