"""CPU seconds per step of one planner, browser and app server apart: `.venv/bin/python -m bench.web_cpu`.

Starts `streamlit run app.py` on the demo project and drives one headless Chromium tab (a new,
empty browser profile) through: the login page, sign-in to the first map, click → town, click → community, breadcrumb →
city, click → town, click → community; then a second tab on the now warm server. For each
step it prints the wall time and the CPU seconds the browser's and the server's processes used
(``bench.web_load._cpu_seconds``, 2 s of settling included). CPU seconds hardly change with
the machine's load, so they compare versions on a shared machine where wall times do not;
ten sessions cost about ten times one tab's browser CPU on the 2 cores (issue 18 item 6).
Under each step: the React commits of the page (its frames too), the bursts the server's
messages came in, the script runs and the deltas by element type — what the app made every
open page draw, which does not depend on the machine's load (commits and bursts do, a little).
"""
from __future__ import annotations

import re
import sys
import time

from playwright.sync_api import expect, sync_playwright

from bench.paint import MAP_DRAWN, MAP_IFRAME
from bench.web_load import (
    BROWSER_UI_FEATURES, CHROMIUM_ARGS, VIEWPORT, _browser_pids, _cpu_seconds, _load, _switch,
    bursts, decoded, delta_counts, delta_text,
)
from tests.browser.server import CHROMIUM, LOGIN_NAME, ROOT, sign_in, streamlit_server

TIMEOUT_MS = 90_000
# counts React commits (renders that reached the DOM) in the page and its frames: React calls a
# DevTools hook's onCommitFiberRoot on every commit, production builds too
COUNT_COMMITS = """
window.__commits = 0;
window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
  supportsFiber: true, isDisabled: false, renderers: new Map(), inject() { return 1; },
  onCommitFiberRoot() { window.top.__commits += 1; }, onCommitFiberUnmount() {}, onPostCommitFiberRoot() {},
  checkDCE() {}, onScheduleFiberRoot() {},
};
"""
SETTLE_S = 2.0


def _view(page, heading: str) -> None:
    expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible(timeout=TIMEOUT_MS)
    page.frame_locator(MAP_IFRAME).locator(MAP_DRAWN).first.wait_for(timeout=TIMEOUT_MS)


def _click(page, fx: float, fy: float, heading: str) -> None:
    box = page.locator(MAP_IFRAME).first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    _view(page, heading)


def _commits(page) -> int:
    try:
        return int(page.evaluate("window.__commits || 0"))
    except Exception:  # noqa: BLE001 - a page between documents: counted at the next step
        return 0


def _step(label: str, action, before: dict, messages: list, page) -> dict:
    commits = _commits(page)
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    time.sleep(SETTLE_S)
    after = _cpu_seconds()
    print(f"{label:<30}{wall:>7.2f}{after['browser'] - before['browser']:>10.2f}"
          f"{after['browser:renderer'] - before['browser:renderer']:>10.2f}"
          f"{after['server'] - before['server']:>10.2f}", flush=True)
    print(f"    {max(_commits(page) - commits, 0) if label[:5] != 'login' else _commits(page)} React commits, "
          f"{bursts([t for t, _ in messages])} bursts, "
          f"{delta_text(delta_counts([m for _, m in messages]))}", flush=True)
    messages.clear()
    return after


def _listen(page, messages: list) -> None:
    """Collect the page's ``ForwardMsg``s with their arrival times into ``messages`` (``bench.web_load.decoded``)."""
    def socket(ws) -> None:
        ws.on("framereceived", lambda d: (msg := decoded(d)) is not None
              and messages.append((time.perf_counter(), msg)))

    page.on("websocket", socket)


def _launch(p):
    """Chromium as ``bench.web_load.launch_browser`` starts it (the address bar's WebUI pages off), sync API."""
    before = set(_browser_pids())
    probe = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    started = [pid for pid in _browser_pids() if pid not in before]
    features = [f for f in ((_switch(started[0], "disable-features") if started else None) or "").split(",") if f]
    probe.close()
    features += [f for f in BROWSER_UI_FEATURES if f not in features]
    return p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-features=" + ",".join(features)])


def main(project: str = "build/demo.gpkg") -> int:
    if not (ROOT / project).exists():
        print(f"{project} missing: build it with .venv/bin/python -m cli demo --out {project}")
        return 2
    print(_load())
    print(f"{'step':<30}{'wall s':>7}{'browser':>10}{'renderer':>10}{'server':>10}   (CPU seconds)")
    with streamlit_server(ROOT / project) as url, sync_playwright() as p:
        browser = _launch(p)
        for run in ("server just started", "server warm"):
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            context.add_init_script(COUNT_COMMITS)
            page = context.new_page()
            messages: list = []
            _listen(page, messages)
            cpu = _cpu_seconds()
            cpu = _step(f"login page ({run})", lambda: (page.goto(url), page.locator(LOGIN_NAME).wait_for()),
                        cpu, messages, page)
            cpu = _step("sign in -> first map", lambda: (sign_in(page, url, reload=False), _view(page, r"^市 · ")),
                        cpu, messages, page)
            cpu = _step("click -> town", lambda: _click(page, 0.7, 0.5, r"^镇街 · "), cpu, messages, page)
            cpu = _step("click -> community", lambda: _click(page, 0.5, 0.5, r"^社区\/村 · "), cpu, messages, page)
            cpu = _step("breadcrumb -> city", lambda: (page.get_by_role("button", name="崇州市").click(),
                                                       _view(page, r"^市 · ")), cpu, messages, page)
            cpu = _step("click -> town", lambda: _click(page, 0.78, 0.6, r"^镇街 · "), cpu, messages, page)
            cpu = _step("click -> community", lambda: _click(page, 0.5, 0.5, r"^社区\/村 · "), cpu, messages, page)
            context.close()
        browser.close()
    print(_load())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
