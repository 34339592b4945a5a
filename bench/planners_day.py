"""A planner's day in a real browser on the demo, timed step by step: `.venv/bin/python -m bench.planners_day`.

Starts `streamlit run app.py` on the demo project and drives Debian's chromium with Playwright
through the walk of issue #17: open -> drill to a grid -> edit -> undo -> save a scenario ->
compare -> run coverage (preview, then save) -> suggest 3 service points -> export XLSX ->
print a community PDF chosen by name. ``walk`` is the one walk: the browser test
(tests/browser/test_planners_day.py) runs it too and checks what it produced.
Budgets (#17): first page < 5 s, page switch < 1.5 s, click -> panel < 1 s median / < 1.5 s p95,
export < 3 s, print preview < 3 s; the table says "met" or "NOT MET" for each.
"""
from __future__ import annotations

import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from geo import schema as s
from geo.messages import label, t
from geo.project import load_project
from bench import paint
from bench.web_clicks import p95
from tests.browser.server import CHROMIUM, LOGIN_NAME, ROOT, sign_in, streamlit_server

TIMEOUT_MS = 90_000
LANG = "zh"
SCENARIO = "方案甲"
# step kind -> (statistic, budget in seconds); kinds without a budget are reported only
BUDGETS = {"first page": ("max", 5.0), "page switch": ("max", 1.5), "click -> panel": ("median", 1.0),
           "click -> panel p95": ("p95", 1.5), "export XLSX": ("max", 3.0), "print preview": ("max", 3.0)}


@dataclass
class Walk:
    """What one walk measured and produced: (step, kind, seconds) rows and the downloaded files."""

    steps: list[tuple[str, str, float]] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    grid_heading: str = ""

    def add(self, step: str, kind: str, seconds: float) -> None:
        self.steps.append((step, kind, seconds))


def _heading(page: Page, pattern: str | re.Pattern) -> None:
    paint.shown(page, pattern, timeout_ms=TIMEOUT_MS)


def _idle(page: Page) -> None:
    """Until Streamlit's "running" indicator is gone (the page has finished its run)."""
    paint.idle(page, timeout_ms=TIMEOUT_MS)


def _map_box(page: Page) -> dict:
    return paint.map_drawn(page, timeout_ms=TIMEOUT_MS)


def _escaped(text: str) -> str:
    """``re.escape`` plus "/" (Playwright writes a pattern as /.../ in its selector)."""
    return re.escape(text).replace("/", r"\/")


def _level_heading(*levels: str) -> re.Pattern:
    return re.compile("^(" + "|".join(_escaped(label("level", v, LANG)) for v in levels) + ") · ")


def _timed_click(page: Page, locator, then) -> float:
    start = time.perf_counter()
    locator.click()
    expect(then).to_be_visible(timeout=TIMEOUT_MS)
    return time.perf_counter() - start


def _button(page: Page, key: str, **kw):
    button = page.get_by_role("button", name=t(key, LANG, **kw), exact=True)
    _idle(page)  # a rerun may briefly show a stale copy beside the new one: let it finish
    expect(button).to_have_count(1, timeout=TIMEOUT_MS)
    return button.first  # a copy that a late rerun adds after the count does not make the click ambiguous


def _switch(page: Page, walk: Walk, nav_key: str) -> None:
    link = page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=t(nav_key, LANG))
    start = time.perf_counter()
    link.click()
    _heading(page, t(nav_key, LANG) if nav_key in ("ui.nav.edit", "ui.nav.print") else re.compile("."))
    _idle(page)
    walk.add(f"-> {t(nav_key, LANG)}", "page switch", time.perf_counter() - start)


def _drill(page: Page, walk: Walk) -> None:
    """City -> town -> community -> grid by clicks near the map centre (the demo's eastern plain first)."""
    for target, (fx, fy) in ((("town",), (0.7, 0.5)), (("community",), (0.5, 0.5)),
                             (("grid",), (0.5, 0.5))):
        box = _map_box(page)
        page.wait_for_timeout(2000)  # let Leaflet and the component settle (not timed)
        heading = page.get_by_role("heading", name=_level_heading(*target)).first
        start = time.perf_counter()
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        _heading(page, _level_heading(*target))
        walk.add(f"click -> {label('level', target[0], LANG)}", "click -> panel", time.perf_counter() - start)
        if target[0] != "town" and target[0] != "community":
            walk.grid_heading = heading.inner_text()
    _map_box(page)


def _edit(page: Page, walk: Walk) -> None:
    done = t("edit.action.add", LANG)
    walk.add("edit: add to grid", "edit click",
             _timed_click(page, _button(page, "edit.page.add"), page.get_by_text(f"已完成：{done}").first))
    walk.add("edit: undo", "edit click",
             _timed_click(page, _button(page, "edit.page.undo"), page.get_by_text(f"已完成：撤销：{done}").first))
    page.get_by_label(t("edit.page.scenario_name", LANG)).fill(SCENARIO)
    page.get_by_label(t("edit.page.scenario_name", LANG)).press("Enter")
    _idle(page)
    walk.add("edit: save scenario", "edit click",
             _timed_click(page, _button(page, "edit.page.scenario_save"),
                          page.get_by_text(f"已完成：{t('edit.action.scenario_save', LANG)}").first))
    walk.add("edit: compare", "edit click",
             _timed_click(page, _button(page, "edit.page.compare"),
                          page.get_by_text(t("edit.diff.title", LANG, a="X", b="Y").split("X")[0]).first))
    walk.add("edit: save to the project file", "edit click",
             _timed_click(page, _button(page, "edit.page.save"), page.get_by_text(t("edit.page.saved", LANG, revision="X").split("X")[0]).first))


def _run(page: Page, walk: Walk) -> None:
    page.get_by_role("tab", name=t("ui.run.coverage", LANG)).click()
    done = page.get_by_text(t("ui.run.done_preview", LANG, seconds="X").split("X")[0]).first
    walk.add("coverage run -> preview", "run", _timed_click(page, _button(page, "ui.run.run_coverage"), done))
    saved = page.get_by_text(t("ui.run.saved", LANG, revision="X").split("X")[0]).first
    walk.add("coverage: save previewed", "run", _timed_click(page, _button(page, "ui.run.confirm_save"), saved))
    page.get_by_role("tab", name=t("ui.suggest.tab", LANG)).click()
    title = page.get_by_role("heading", name=re.compile(r"^" + _escaped(
        t("coverage.suggest_title", LANG, n=3, category="X", radius="Y").split("X")[0])))
    walk.add("suggest 3 service points", "run", _timed_click(page, _button(page, "ui.suggest.run"), title.first))


def _export(page: Page, walk: Walk, out: Path) -> None:
    download_name = re.compile("^" + _escaped(t("export.ui.download", LANG, name="")))
    download = page.get_by_role("button", name=download_name)
    prepare = _button(page, "export.ui.prepare")
    start = time.perf_counter()
    prepare.click()
    paint.shown(page, download_name, timeout_ms=TIMEOUT_MS, selector="button")
    walk.add("export XLSX (prepare)", "export XLSX", time.perf_counter() - start)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        download.click()
    walk.files["xlsx"] = out / info.value.suggested_filename
    info.value.save_as(walk.files["xlsx"])


def _print(page: Page, walk: Walk, community_name: str, out: Path) -> None:
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text=t("print.ui.unit", LANG))
    chosen = picker.locator("input").first  # shows the chosen unit's label as its value
    label = re.compile("^" + _escaped(community_name) + " · ")
    _idle(page)  # the page's first run (the preview of the unit it opens on) has finished
    image = page.locator("[data-testid='stImage'] img").first
    before = image.get_attribute("src") if image.count() else None  # the preview of the unit shown so far
    start = 0.0
    for attempt in range(3):  # a click on an option that a rerun re-rendered is lost: pick again
        picker.click()
        page.keyboard.type(community_name)
        option = page.get_by_role("option", name=label).first
        expect(option).to_be_visible(timeout=TIMEOUT_MS)
        start = start or time.perf_counter()  # timed from the first click on the option
        option.click()
        try:
            expect(chosen).to_have_value(label, timeout=5000 if attempt < 2 else TIMEOUT_MS)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    expect(page.get_by_text(t("print.ui.preview", LANG))).to_be_visible(timeout=TIMEOUT_MS)
    if before is not None:  # the preview of the chosen unit, not the one shown before the choice
        expect(image).not_to_have_attribute("src", before, timeout=TIMEOUT_MS)
    walk.add("print preview (unit chosen by name)", "print preview", time.perf_counter() - start)
    # the button names its unit (sent with its file name in one element): the chosen unit's, not a stale copy
    button = page.get_by_role("button", name=t("print.ui.download_pdf_of", LANG, unit=community_name + " · "))
    _idle(page)
    expect(button).to_have_count(1, timeout=TIMEOUT_MS)
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        start = time.perf_counter()
        button.first.click()
    walk.files["pdf"] = out / info.value.suggested_filename
    info.value.save_as(walk.files["pdf"])
    walk.add("print PDF (full resolution)", "download", time.perf_counter() - start)


def walk(page: Page, url: str, *, community_name: str, out: Path) -> Walk:
    """Walk a planner's day on an open ``page`` of the app at ``url``; downloads land in ``out``."""
    result = Walk()
    start = time.perf_counter()
    page.goto(url)  # the walk starts at the login page
    page.locator(LOGIN_NAME).wait_for(timeout=TIMEOUT_MS)
    result.add("open (login page, cold start)", "first page", time.perf_counter() - start)
    start = time.perf_counter()
    sign_in(page, url, reload=False)
    _heading(page, _level_heading("city"))
    _map_box(page)
    result.add("sign in -> city map (cold)", "first page", time.perf_counter() - start)
    _drill(page, result)
    _switch(page, result, "ui.nav.edit")
    _edit(page, result)
    _switch(page, result, "ui.nav.run")
    _run(page, result)
    _switch(page, result, "ui.nav.export")
    _export(page, result, out)
    _switch(page, result, "ui.nav.print")
    _print(page, result, community_name, out)
    return result


def a_community(project_file: Path) -> tuple[str, str]:
    """``(code, name)`` of a community to print: the last of the layer (not where the drill landed)."""
    comms = load_project(project_file).layer(s.COMMUNITIES)
    return str(comms[s.CODE].iloc[-1]), str(comms[s.NAME].iloc[-1])


def table(result: Walk) -> str:
    """Per-step timings, then each budget with its verdict."""
    lines = [f"{'step':<44}{'kind':<16}{'s':>7}"]
    lines += [f"{step:<44}{kind:<16}{sec:>7.2f}" for step, kind, sec in result.steps]
    lines.append("")
    for name, (stat, limit) in BUDGETS.items():
        kind = name.removesuffix(" p95")
        secs = [sec for _s, k, sec in result.steps if k == kind]
        if not secs:
            continue
        value = {"max": max, "median": statistics.median, "p95": p95}[stat](secs)
        lines.append(f"{name:<30}{stat:>7} {value:6.2f} s  budget < {limit:g} s  {'met' if value < limit else 'NOT MET'}")
    return "\n".join(lines)


def main(project: str = "build/demo.gpkg") -> int:
    """Copy the demo (the walk saves into it), run the walk once, print the table."""
    import shutil
    import tempfile

    source = ROOT / project
    if not source.exists():
        print(f"{project} missing: build it with .venv/bin/python -m cli demo --out {project}")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.gpkg"
        shutil.copy(source, path)
        with streamlit_server(path) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport={"width": 1500, "height": 1000}, locale="zh-CN", accept_downloads=True)
            result = walk(page, url, community_name=a_community(path)[1], out=Path(tmp))
            browser.close()
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
