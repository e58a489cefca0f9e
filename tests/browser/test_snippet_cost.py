"""What waypost.js costs the page it runs in, measured in real Chromium over five loads: none
of its scripts runs longer than 50 ms at a time (in the median load) while it loads, asks decide
and draws a walkthrough step (Chromium's long-animation-frame entries name the script behind
each long frame, so a slow host page or a busy machine is not blamed on the snippet), and how
much later the page's load event comes with the snippet than without it (it loads async, so it
must not hold the page back)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import Tenant

pytestmark = pytest.mark.browser

LONG_FRAMES = """
window.__scripts = [];
new PerformanceObserver((list) => {
  for (const frame of list.getEntries())
    for (const script of frame.scripts)
      window.__scripts.push([script.sourceURL, script.invoker, script.duration]);
}).observe({type: 'long-animation-frame', buffered: true});
"""
ROUNDS = 5


def _load(browser: Browser, url: str, block_snippet: bool) -> tuple[float, list[Any]]:
    """The page's load event (ms after navigation start) and the long-running scripts seen."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(LONG_FRAMES)
        if block_snippet:
            page.route("**/sdk/v1/**", lambda route: route.abort())
        page.goto(url, wait_until="load")
        if not block_snippet:
            expect(page.locator("waypost-layer").get_by_role("region")).to_be_visible()
            page.wait_for_timeout(300)
        load: float = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return n.loadEventEnd - n.startTime; }"
        )
        return load, page.evaluate("() => window.__scripts")
    finally:
        context.close()


def test_the_snippet_never_holds_the_main_thread_for_long_nor_delays_the_page(
    chromium: Browser, site: str, live_server: str, tenant: Tenant
) -> None:
    document = {
        "kind": "walkthrough",
        "key": "tour",
        "name": "Tour",
        "steps": [
            {
                "kind": "tooltip",
                "target": {"selector": "#new-project", "text": "New project"},
                "title": {"en": "Start here"},
            }
        ],
    }
    saved = httpx.post(f"{live_server}/api/v1/content", json=document, headers=tenant.bearer())
    assert saved.status_code == 201, saved.text
    published = httpx.post(f"{live_server}/api/v1/content/tour/publish", headers=tenant.bearer())
    assert published.status_code == 200, published.text
    url = f"{site}/shop/index.html"
    with_snippet, without, longest, slow = [], [], [], []
    for _ in range(ROUNDS):  # in turns, so a busy moment of the machine hits both
        load, scripts = _load(chromium, url, block_snippet=False)
        with_snippet.append(load)
        ours = [s for s in scripts if s[0].startswith(live_server)]
        longest.append(max((s[2] for s in ours), default=0))
        slow += [s for s in ours if s[2] >= 50]
        without.append(_load(chromium, url, block_snippet=True)[0])
    added = sorted(a - b for a, b in zip(with_snippet, without, strict=True))[ROUNDS // 2]
    typical = sorted(longest)[ROUNDS // 2]
    print(
        f"longest snippet script per load {[round(t) for t in longest]} ms; load event "
        f"{sorted(without)[ROUNDS // 2]:.0f} ms without the snippet, +{added:.0f} ms with it"
    )
    # A shared two-core machine stalls now and then; a load's longest script is judged by the
    # median load, and no load may come near three times the limit.
    assert typical < 50, f"snippet scripts over 50 ms: {slow}"
    assert max(longest) < 150, f"snippet scripts far over 50 ms: {slow}"
    assert added < 250, f"the snippet delays the load event by {added:.0f} ms"
