"""Waiting for what a planner sees, checked on every painted frame: the browser benches' stopwatch.

Playwright's ``expect`` and ``locator.wait_for`` re-check on a back-off schedule (0, 20, 50, 100,
100 ms, then every 500 ms), so a panel that appears 0.3 s after a click was recorded at ~0.8 s:
the benches measured the schedule, not the app. These waits run the check in the page on every
animation frame (``wait_for_function(polling="raf")``), so a step ends within one frame (~16 ms) of
the moment it is painted. One set of checks for the sync benches and one for the async load bench
(every 50 ms there: ``LOAD_POLL_MS``).
"""
from __future__ import annotations

import re

MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"
# the view's layers drawn (Leaflet's canvas renderer, or SVG) in the overlay pane; not the
# attribution's SVG flag, which is there as soon as the empty map is
MAP_DRAWN = ".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg path"
STATUS = "[data-testid='stStatusWidget']"

HEADINGS = "h1,h2,h3,h4,h5,h6"
# an element of the selector shown whose text matches the pattern: what get_by_role(role, name=...) is visible
_SHOWN_JS = """([selector, source, flags]) => {
  const re = new RegExp(source, flags);
  return [...document.querySelectorAll(selector)]
    .some(e => e.getClientRects().length > 0 && re.test(e.innerText.trim()));
}"""
# Streamlit's running indicator absent or not shown (Playwright's "hidden")
_IDLE_JS = """(selector) => {
  const el = document.querySelector(selector);
  return !el || el.getClientRects().length === 0 || getComputedStyle(el).visibility === 'hidden';
}"""
_ONE_JS = "(selector) => document.querySelectorAll(selector).length === 1"  # a rerun may show a stale copy
_PRESENT_JS = "(selector) => document.querySelector(selector) !== null"


def js_pattern(name: str | re.Pattern) -> list[str]:
    """``[source, flags]`` of a JS RegExp matching like Playwright's ``name=``: text is a case-blind substring."""
    if isinstance(name, re.Pattern):
        return [name.pattern, "i" if name.flags & re.IGNORECASE else ""]
    return [re.escape(name), "i"]


def shown(page, name: str | re.Pattern, *, timeout_ms: float, selector: str = HEADINGS) -> None:
    """Until an element of ``selector`` (headings by default) whose text matches ``name`` is shown."""
    page.wait_for_function(_SHOWN_JS, arg=[selector, *js_pattern(name)], polling="raf", timeout=timeout_ms)


def idle(page, *, timeout_ms: float, settle_ms: float = 150) -> None:
    """Until Streamlit's running indicator is gone (``settle_ms`` first: a run may not have shown it yet)."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(_IDLE_JS, arg=STATUS, polling="raf", timeout=timeout_ms)


def map_drawn(page, *, timeout_ms: float) -> dict:
    """Until one map is on the page with its view's layers drawn; the map's box."""
    page.wait_for_function(_ONE_JS, arg=MAP_IFRAME, polling="raf", timeout=timeout_ms)
    frame = page.locator(MAP_IFRAME).first.element_handle(timeout=timeout_ms).content_frame()
    frame.wait_for_function(_PRESENT_JS, arg=MAP_DRAWN, polling="raf", timeout=timeout_ms)
    return page.locator(MAP_IFRAME).first.bounding_box()


# the load bench's sessions check every 50 ms, not every frame: ten pages each asking for every
# frame would add their own work to the machine the bench loads
LOAD_POLL_MS = 50


async def shown_async(page, name: str | re.Pattern, *, timeout_ms: float, selector: str = HEADINGS) -> None:
    await page.wait_for_function(_SHOWN_JS, arg=[selector, *js_pattern(name)], polling=LOAD_POLL_MS,
                                 timeout=timeout_ms)


async def map_drawn_async(page, *, timeout_ms: float) -> dict:
    await page.wait_for_function(_ONE_JS, arg=MAP_IFRAME, polling=LOAD_POLL_MS, timeout=timeout_ms)
    handle = await page.locator(MAP_IFRAME).first.element_handle(timeout=timeout_ms)
    frame = await handle.content_frame()
    await frame.wait_for_function(_PRESENT_JS, arg=MAP_DRAWN, polling=LOAD_POLL_MS, timeout=timeout_ms)
    return await page.locator(MAP_IFRAME).first.bounding_box()
