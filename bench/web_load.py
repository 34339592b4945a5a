"""Ten planners at once: `.venv/bin/python -m bench.web_load [project.gpkg] [--sessions 1,5,10]`.

Starts `streamlit run app.py` on the demo project (loopback only) and drives N concurrent
headless Chromium sessions (one browser, one context per session, Playwright async API)
for N = 1, 5 and 10. Every session opens the app at the same moment (first map: from
`goto` to the city heading and the map's first drawn path), then repeats
breadcrumb → city, click → town view, click → community view (click → view: from the
mouse click to the new heading and a drawn map). Prints p50/p95 per N and the ratio to
one session and to the target (issue 18: 10 sessions first map < 15 s, click p95 < 3 s).

Bounded: at most ``MAX_SESSIONS`` sessions, ``ROUNDS`` drill rounds per session, a
``STEP_TIMEOUT_S`` per step and ``LEVEL_BUDGET_S`` per level (late steps are counted as
timeouts, never waited for). The server is warmed by one untimed visit first, so figures
are for a running server; the cold first visit is printed on its own line.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from bench import paint
from tests.browser.server import CHROMIUM, ROOT, sign_in_async, streamlit_server

# the side panel's heading (st.subheader). A CSS selector and its text, not get_by_role: a role
# query computes every element's accessible name and visibility on each poll, in the page's
# renderer; ten polling pages cost the busy cores a few tenths of a CPU-second per step
HEADING = "[data-testid='stHeading'] h3"
MAX_SESSIONS = 10
ROUNDS = 2
STEP_TIMEOUT_S = 90.0
LEVEL_BUDGET_S = 420.0
TARGET_FIRST_MAP_S = 15.0
TARGET_CLICK_P95_S = 3.0
# the machine's own notes (/work/.library/env/machines/python.md): no background networking
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Chromium >= 151 pre-renders the address bar's drop-down (chrome://omnibox-popup.top-chrome, a WebUI
# page of ~0.9 CPU-s) in every new window, headless too, and each session here is a new window. A
# planner's browser does that once when it starts, not per page (Puppeteer disables both by default).
BROWSER_UI_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
# click targets as fractions of the map box: towns on the county's eastern plain
TARGETS = ((0.7, 0.5), (0.78, 0.6), (0.74, 0.42), (0.8, 0.45), (0.72, 0.7))
VIEWPORT = {"width": 1500, "height": 1000}
CITY = re.compile(r"^市 · ")
TOWN = re.compile(r"^镇街 · ")
COMMUNITY = re.compile(r"^社区\/村 · ")


async def _ready_map(page, timeout_ms: float):
    return await paint.map_drawn_async(page, timeout_ms=timeout_ms)


async def _view(page, heading: re.Pattern, timeout_ms: float) -> dict:
    await paint.shown_async(page, heading, timeout_ms=timeout_ms, selector=HEADING)
    return await _ready_map(page, timeout_ms)


async def _click_view(page, box: dict, fx: float, fy: float, heading: re.Pattern, timeout_ms: float) -> float:
    start = time.perf_counter()
    await page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    await _view(page, heading, timeout_ms)
    return time.perf_counter() - start


async def _session(browser, url: str, k: int, deadline: float, out: dict, own=None, *,
                   leave_open: list | None = None) -> None:
    """One planner: first map, then ``ROUNDS`` drill-downs city → town → community.

    ``own``: the planner's own browser (a persistent context on a profile whose HTTP and code
    caches already hold the app: a planner who opened it before), else a new empty context of
    ``browser``. Either way the page is a window of its own, drawn in the foreground.
    """
    context = own or await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.pages[0] if own is not None and context.pages else await context.new_page()
    timeout_ms = STEP_TIMEOUT_S * 1000
    try:
        start = time.perf_counter()
        await sign_in_async(page, url)  # first map: from opening the login page, sign-in included
        box = await _view(page, CITY, timeout_ms)
        out["first"].append(time.perf_counter() - start)
        for r in range(ROUNDS):
            if time.monotonic() > deadline:
                out["late"] += 1
                return
            if r:
                await page.get_by_role("button", name="崇州市").click()
                box = await _view(page, CITY, timeout_ms)
            await page.wait_for_timeout(1500)  # Leaflet settles (not timed)
            fx, fy = TARGETS[(k + r) % len(TARGETS)]
            out["click"].append(await _click_view(page, box, fx, fy, TOWN, timeout_ms))
            box = await _ready_map(page, timeout_ms)
            await page.wait_for_timeout(1500)
            out["click"].append(await _click_view(page, box, 0.5, 0.5, COMMUNITY, timeout_ms))
    except (PlaywrightError, AssertionError) as exc:  # a timeout or a miss counts as a failed session, the bench goes on
        out["errors"].append(f"session {k}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
    finally:
        if leave_open is not None:  # closed by the caller once it has read the CPU times
            leave_open.append(context)
        else:
            await context.close()


async def _warm_profiles(p, url: str, n: int, folder: Path) -> list:
    """``n`` browsers, each on its own copy of one profile that has opened the app once (untimed).

    Each is a Chromium of its own (a planner's browser on a planner's PC), with the app's
    static files and compiled scripts in its HTTP and code caches, and its page in the foreground.
    """
    first = folder / "profile-0"
    context = await launch_profile(p, first)
    await _session(None, url, 0, time.monotonic() + LEVEL_BUDGET_S, {"first": [], "click": [], "errors": [],
                                                                     "late": 0}, context)
    for k in range(1, n):
        shutil.copytree(first, folder / f"profile-{k}", ignore=shutil.ignore_patterns("Singleton*"))
    return [await launch_profile(p, folder / f"profile-{k}") for k in range(n)]


async def _level(browser, url: str, n: int, *, profiles: list | None = None) -> dict:
    out: dict = {"first": [], "click": [], "errors": [], "late": 0}
    await asyncio.sleep(2.0)  # the previous level's renderers exit and are counted before this one starts
    cpu0, wall0 = _cpu_seconds(), time.monotonic()
    deadline = time.monotonic() + LEVEL_BUDGET_S
    # pages stay open until the CPU times are read: a closed page's renderer exits, and its CPU
    # time only reaches its parent's count once reaped, so it could be missed
    still_open: list = []
    tasks = [_session(browser, url, k, deadline, out, profiles[k] if profiles else None, leave_open=still_open)
             for k in range(n)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=LEVEL_BUDGET_S + STEP_TIMEOUT_S)
    except TimeoutError:
        out["errors"].append(f"level {n}: over {LEVEL_BUDGET_S + STEP_TIMEOUT_S:.0f} s, stopped")
    cpu1 = _cpu_seconds()
    out["cpu"] = {k: cpu1[k] - cpu0.get(k, 0.0) for k in cpu1}
    out["wall"] = time.monotonic() - wall0
    for opened in still_open:
        await opened.close()
    return out


def _browser_pids() -> list[int]:
    """The Chromium browser processes (not renderers or helpers) among this bench's descendants."""
    pids = []
    for pid in _descendants():
        try:
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"chrom" in argv[0] and not any(a.startswith(b"--type=") for a in argv):
            pids.append(pid)
    return pids


def _switch(pid: int, name: str) -> str | None:
    """The value Chromium uses for ``--name`` in process ``pid``: the last occurrence wins."""
    value = None
    for arg in (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace").split("\0"):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
    return value


_ARGS: list[str] = []  # CHROMIUM_ARGS with the merged --disable-features, once found (``_browser_args``)


async def _browser_args(p) -> list[str]:
    """``CHROMIUM_ARGS`` and ``BROWSER_UI_FEATURES`` off.

    Chromium keeps only the last ``--disable-features``, so the switch is Playwright's own list
    (read back from the browser it starts) plus ours: nothing Playwright turns off comes back on.
    """
    if not _ARGS:
        before = set(_browser_pids())
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        started = [pid for pid in _browser_pids() if pid not in before]
        current = _switch(started[0], "disable-features") if started else None
        await browser.close()
        features = [f for f in (current or "").split(",") if f]
        features += [f for f in BROWSER_UI_FEATURES if f not in features]
        _ARGS[:] = [*CHROMIUM_ARGS, "--disable-features=" + ",".join(features)]
    return _ARGS


async def launch_browser(p):
    """Chromium as the bench drives it (``_browser_args``); sessions are new contexts (empty profiles) of it."""
    return await p.chromium.launch(executable_path=CHROMIUM, args=await _browser_args(p))


async def launch_profile(p, folder: Path):
    """A Chromium of its own on the profile in ``folder`` (kept between launches: its caches)."""
    return await p.chromium.launch_persistent_context(str(folder), executable_path=CHROMIUM,
                                                      args=await _browser_args(p), viewport=VIEWPORT,
                                                      locale="zh-CN")


def _kind_of(url: str) -> str:
    """What a response is, for the byte count: Streamlit's own front end, the map component, Leaflet, fonts…"""
    path = url.split("?")[0]
    if "/component/streamlit_folium" in path:
        return "streamlit-folium component (page + JS)"
    if "/app/static/" in path:
        return "Leaflet (vendored, ./static)"
    if path.endswith((".woff2", ".woff", ".ttf")):
        return "fonts"
    if "/static/" in path and path.endswith((".js", ".css")):
        return "Streamlit front end (JS, CSS)"
    return "page, health, config, images"


async def _bytes(browser, url: str) -> None:
    """One cold session to the first map: bytes by kind of response and the WebSocket traffic."""
    context = await browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await context.new_page()
    sizes: dict[str, list[int]] = {}
    ws = {"received": 0, "frames": 0, "sent": 0}
    messages: list = []

    async def count(response) -> None:
        try:
            n = len(await response.body())
        except PlaywrightError:  # redirects and the like have no body
            return
        sizes.setdefault(_kind_of(response.url), []).append(n)

    def socket(w) -> None:
        def received(d) -> None:
            ws.update(received=ws["received"] + len(d), frames=ws["frames"] + 1)
            msg = decoded(d)
            if msg is not None:
                messages.append(msg)

        w.on("framereceived", received)
        w.on("framesent", lambda d: ws.update(sent=ws["sent"] + len(d)))

    page.on("response", lambda r: asyncio.ensure_future(count(r)))
    page.on("websocket", socket)
    await sign_in_async(page, url)
    await _view(page, CITY, STEP_TIMEOUT_S * 1000)
    await page.wait_for_timeout(1000)
    print("\nbytes to the first map, one cold session (decoded sizes):")
    for kind, values in sorted(sizes.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {kind:<42}{len(values):>5} files {sum(values) / 1024:>9.0f} KB")
    print(f"  {'WebSocket (script runs: elements, map)':<42}{ws['frames']:>5} msgs  {ws['received'] / 1024:>9.0f} KB"
          f" received, {ws['sent'] / 1024:.1f} KB sent")
    print(f"  deltas, login page and first map: {delta_text(delta_counts(messages))}")
    await context.close()


def decoded(payload) -> object | None:
    """A WebSocket frame from the app server as Streamlit's ``ForwardMsg`` (None: not one)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return None
    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - a frame that is no ForwardMsg is not counted
        return None
    return msg


BURST_GAP_S = 0.008  # deltas further apart than this reach the page in separate tasks: one React render each


def bursts(times: list[float]) -> int:
    """How many bursts the page received ``times`` (arrival times, s) in: gaps over ``BURST_GAP_S`` split them.

    The front end renders its element tree once per burst of deltas, not once per script run:
    deltas trickling in while the server works cost the page a render each.
    """
    return sum(1 for a, b in zip([float("-inf"), *times], times) if b - a > BURST_GAP_S)


def delta_counts(messages: list) -> dict[str, int]:
    """What the front end had to draw from ``messages`` (``ForwardMsg``): script runs, elements by type, blocks.

    Every delta is a React update in each open page (issue 18: the browsers, not the server, filled
    the two cores), so this is the app-side measure of a page's front-end work.
    """
    out: dict[str, int] = {"runs": 0, "deltas": 0, "elements": 0, "blocks": 0}
    for msg in messages:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            out["runs"] += 1
        if kind != "delta":
            continue
        out["deltas"] += 1
        which = msg.delta.WhichOneof("type")
        if which == "new_element":
            out["elements"] += 1
            name = msg.delta.new_element.WhichOneof("type") or "?"
            out[name] = out.get(name, 0) + 1
        elif which == "add_block":
            out["blocks"] += 1
            name = "block:" + (msg.delta.add_block.WhichOneof("type") or "?")
            out[name] = out.get(name, 0) + 1
    return out


def delta_text(counts: dict[str, int]) -> str:
    """``delta_counts`` on one line: totals, then element and block types, most first."""
    head = f"{counts['runs']} runs, {counts['deltas']} deltas ({counts['elements']} elements, {counts['blocks']} blocks)"
    rest = sorted(((k, v) for k, v in counts.items() if k not in ("runs", "deltas", "elements", "blocks")),
                  key=lambda kv: -kv[1])
    return head + ": " + ", ".join(f"{k} {v}" for k, v in rest)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _descendants(parents: dict[int, int] | None = None) -> set[int]:
    """Process ids below this one (``parents``: pid -> parent pid, read from /proc when not given)."""
    if parents is None:
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2:].split()[1])
    mine, todo = set(), [os.getpid()]
    while todo:
        parent = todo.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent and pid not in mine]
        mine.update(kids)
        todo.extend(kids)
    return mine


BROWSER_PARTS = ("renderer", "gpu-process", "utility", "ui")  # Chromium's --type (zygote: renderers); ui: no --type


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this bench's descendants: the app server, the browser, the driver.

    ``browser`` is split into ``browser:<part>`` (``BROWSER_PARTS``): the pages' renderers, the
    compositor (GPU process), network and storage services, and the browser's own process.
    """
    procs: dict[int, tuple[int, str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        # own user+system time and that of reaped children (a closed tab's renderer counts for its browser)
        procs[int(stat.parent.name)] = (int(fields[1]), cmd, sum(int(f) for f in fields[11:15]) / tick)
    mine = _descendants({pid: ppid for pid, (ppid, _, _) in procs.items()})
    out = {"server": 0.0, "browser": 0.0, "driver": 0.0, **{f"browser:{part}": 0.0 for part in BROWSER_PARTS}}
    for pid in mine:
        _, cmd, secs = procs[pid]
        kind = "server" if "streamlit" in cmd else "browser" if "chrom" in cmd else "driver"
        out[kind] += secs
        if kind == "browser":
            found = re.search(r"--type=(\S+)", cmd)
            part = "ui" if found is None else "renderer" if found[1] == "zygote" else found[1]
            out[f"browser:{part if part in BROWSER_PARTS else 'utility'}"] += secs
    out["bench"] = sum(os.times()[:2])
    return out


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


async def _run(url: str, levels: list[int], *, warm_cache: bool,
               count_bytes: bool = False) -> tuple[float, dict[int, dict]]:
    async with async_playwright() as p:
        browser = await launch_browser(p)
        if count_bytes:
            await _bytes(browser, url)
        warm: dict = {"first": [], "click": [], "errors": [], "late": 0}
        await _session(browser, url, 0, time.monotonic() + LEVEL_BUDGET_S, warm)  # cold start, then warm caches
        cold = warm["first"][0] if warm["first"] else float("nan")
        results = {}
        for n in levels:
            print(f"... {n} session(s), {_load()}", flush=True)
            if not warm_cache:
                results[n] = await _level(browser, url, n)
                continue
            with tempfile.TemporaryDirectory(prefix="gridatlas-profiles-") as folder:
                profiles = await _warm_profiles(p, url, n, Path(folder))
                results[n] = await _level(browser, url, n, profiles=profiles)
        await browser.close()
    return cold, results


def _table(cold: float, results: dict[int, dict]) -> None:
    base = results.get(min(results)) if results else None
    print(f"\ncold first visit after server start: {cold:.1f} s")
    head = (f"{'sessions':>8}{'first map p50':>15}{'p95':>7}{'click p50':>11}{'p95':>7}"
            f"{'clicks':>8}{'first×1':>9}{'click p95×1':>13}{'first/15s':>11}{'p95/3s':>8}  failed")
    print(head)
    for n, r in results.items():
        f50, f95 = _pct(r["first"], 50), _pct(r["first"], 95)
        c50, c95 = _pct(r["click"], 50), _pct(r["click"], 95)
        b_f95 = _pct(base["first"], 95) if base else float("nan")
        b_c95 = _pct(base["click"], 95) if base else float("nan")
        print(f"{n:>8}{f50:>15.1f}{f95:>7.1f}{c50:>11.2f}{c95:>7.2f}{len(r['click']):>8}"
              f"{f95 / b_f95:>9.1f}{c95 / b_c95:>13.1f}{f95 / TARGET_FIRST_MAP_S:>11.2f}"
              f"{c95 / TARGET_CLICK_P95_S:>8.2f}  {len(r['errors']) + r['late']}")
    print("\nwhere the CPU went per level (seconds of CPU; 2 cores give 2 s per wall second):")
    for n, r in results.items():
        cpu = r.get("cpu", {})
        parts = ", ".join(f"{part} {cpu.get(f'browser:{part}', 0):.1f}" for part in BROWSER_PARTS)
        print(f"{n:>8} sessions: wall {r.get('wall', 0):6.1f} s, app server {cpu.get('server', 0):6.1f}, "
              f"browser {cpu.get('browser', 0):6.1f} ({parts}), "
              f"Playwright driver {cpu.get('driver', 0) + cpu.get('bench', 0):5.1f}")
    for n, r in results.items():
        for err in r["errors"]:
            print(f"  [{n}] {err}")
    top = results.get(max(results)) if results else None
    if top is not None:
        met = (_pct(top["first"], 95) < TARGET_FIRST_MAP_S and _pct(top["click"], 95) < TARGET_CLICK_P95_S
               and not top["errors"])
        print(f"target at {max(results)} sessions (first map < {TARGET_FIRST_MAP_S:.0f} s, "
              f"click p95 < {TARGET_CLICK_P95_S:.0f} s): {'met' if met else 'NOT MET'}")
    print(_load())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web_load", description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default="build/demo.gpkg")
    parser.add_argument("--sessions", default="1,5,10", help="comma-separated session counts (max 10)")
    parser.add_argument("--warm-cache", action="store_true",
                        help="every session its own Chromium on a copy of a profile that opened the app once (HTTP "
                             "and code caches filled), as for planners who opened it before; default: every session "
                             "a new, empty browser profile")
    parser.add_argument("--bytes", action="store_true",
                        help="first count the bytes one cold session loads up to its first map, by kind, and "
                             "the deltas (elements by type) the app sends it")
    args = parser.parse_args(argv)
    levels = [min(int(v), MAX_SESSIONS) for v in args.sessions.split(",") if v.strip()]
    if not (ROOT / args.project).exists():
        print(f"{args.project} missing: build it with .venv/bin/python -m cli demo --out {args.project}")
        return 2
    print(_load(), flush=True)
    with streamlit_server(ROOT / args.project) as url:
        cold, results = asyncio.run(_run(url, levels, warm_cache=args.warm_cache, count_bytes=args.bytes))
    print(f"browser cache: {'warm (own browser per session, profile that opened the app once)' if args.warm_cache else 'empty per session'}")
    _table(cold, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
