"""Element targeting in real Chromium: fingerprints taken on one release of a page find the same
elements on the next (ids renamed, classes changed, a wrapper added, items reordered) and find
nothing rather than a wrong element; targets inside open shadow roots and same-origin frames;
a tooltip that follows its element through nested scroll containers and stays above the
host's sticky header and its high z-index modal."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.snippet import publish, ready
from tests.conftest import Tenant

pytestmark = pytest.mark.browser

FINGERPRINT_ALL = """async () => {
  const out = {};
  for (const el of document.querySelectorAll('[truth]'))
    out[el.getAttribute('truth')] = await waypost.debug.fingerprint(el);
  return out;
}"""

RESOLVE_ALL = """async (prints) => {
  const out = {};
  for (const [truth, print] of Object.entries(prints)) {
    const found = await waypost.debug.resolve(print);
    const element = found.element;
    out[truth] = {result: found.result, truth: element && element.getAttribute('truth')};
  }
  return out;
}"""


def test_fingerprints_from_one_release_find_the_same_elements_on_the_next(
    browser_page: Page, site: str
) -> None:
    page = browser_page
    page.goto(f"{site}/targets/release1.html")
    ready(page)
    prints: dict[str, Any] = page.evaluate(FINGERPRINT_ALL)
    assert len(prints) == 28
    assert all("truth" not in repr(p) for p in prints.values())  # the oracle stays hidden
    page.goto(f"{site}/targets/release2.html")
    ready(page)
    found: dict[str, dict[str, Any]] = page.evaluate(RESOLVE_ALL, prints)
    removed = {"export"}
    wrong = {t: f for t, f in found.items() if f["truth"] is not None and f["truth"] != t}
    correct = [t for t, f in found.items() if f["truth"] == t]
    missing = [t for t, f in found.items() if f["truth"] is None and t not in removed]
    assert wrong == {}, wrong
    assert found["export"] == {"result": "not_found", "truth": None}  # gone in release 2
    assert len(correct) == len(prints) - len(removed), missing


def test_nothing_rather_than_a_doubtful_element(browser_page: Page, site: str) -> None:
    page = browser_page
    page.goto(f"{site}/targets/release2.html")
    ready(page)
    # Two "Edit" buttons and nothing else to tell them apart.
    ambiguous = page.evaluate("async () => (await waypost.debug.resolve({text: 'Edit'})).result")
    assert ambiguous == "ambiguous"
    # A tag alone is not enough evidence.
    weak = page.evaluate("async () => (await waypost.debug.resolve({tag: 'button'})).result")
    assert weak == "not_found"


def test_targets_inside_shadow_roots_and_same_origin_frames(browser_page: Page, site: str) -> None:
    page = browser_page
    page.goto(f"{site}/targets/widgets.html")
    ready(page)
    page.wait_for_function(
        "() => document.getElementById('frame').contentDocument?.getElementById('frame-save')"
    )
    shadow = page.evaluate(
        """async () => {
          const r = await waypost.debug.resolve({text: 'Shadow action', tag: 'button'});
          return r.element && r.element.id;
        }"""
    )
    assert shadow == "shadow-action"
    framed = page.evaluate(
        """async () => {
          const frame = document.getElementById('frame').contentDocument;
          const inner = frame.getElementById('frame-save');
          const print = await waypost.debug.fingerprint(inner);
          const r = await waypost.debug.resolve(print);
          return [print.frame, r.element && r.element.id];
        }"""
    )
    assert framed == ["#frame", "frame-save"]


def test_a_tooltip_follows_its_element_and_stays_above_the_hosts_layers(
    browser_page: Page, site: str, live_server: str, tenant: Tenant
) -> None:
    publish(
        live_server,
        tenant,
        {
            "kind": "walkthrough",
            "key": "deep",
            "name": "Deep",
            "steps": [
                {
                    "kind": "tooltip",
                    "target": {"selector": "#deep-button", "text": "Deep button"},
                    "title": {"en": "Down here"},
                    "placement": "bottom",
                },
                {
                    "kind": "tooltip",
                    "target": {"selector": "#modal-ok"},
                    "title": {"en": "Over the modal"},
                },
            ],
        },
    )
    page = browser_page
    page.goto(f"{site}/targets/widgets.html")
    card = page.locator("waypost-layer").get_by_role("region", name="Down here")
    expect(card).to_be_visible()
    page.wait_for_timeout(800)  # the smooth scroll into view settles

    def gap() -> float:
        box = card.bounding_box()
        target = page.locator("#deep-button").bounding_box()
        assert box and target
        return box["y"] - (target["y"] + target["height"])

    assert 0 <= gap() <= 20
    header = page.locator(".sticky").bounding_box()
    box = card.bounding_box()
    assert header and box and box["y"] >= header["y"] + header["height"]  # not under the header
    page.evaluate("() => { document.getElementById('inner').scrollTop += 40; }")
    page.wait_for_timeout(200)
    assert 0 <= gap() <= 20  # followed the element in its scroll container
    page.evaluate("() => { document.getElementById('outer').scrollTop += 30; }")
    page.wait_for_timeout(200)
    assert 0 <= gap() <= 20
    card.get_by_role("button", name="Next").click()
    page.click("#open-modal")  # the host's own modal, z-index 99999
    over = page.locator("waypost-layer").get_by_role("region", name="Over the modal")
    expect(over).to_be_in_viewport()
    box = over.bounding_box()
    assert box
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).tagName",
        [box["x"] + box["width"] / 2, box["y"] + 10],
    )
    assert on_top == "WAYPOST-LAYER"
