"""Element targeting across releases of a real web app: AdminLTE 3 (MIT; pages of three releases
in bench/targeting/adminlte/, with each release's own CSS).

For every visible interactive element of each page in the first release, waypost.js records a
fingerprint (`waypost.debug.fingerprint`); the benchmark then resolves each fingerprint on the
same page of a later release (`waypost.debug.resolve`) and compares the answer with the mapping
in bench/targeting/mapping.json (which element of the later release is the same control, or
none when it was removed). Counts: correct, wrong (another element), missing (the element is
there but resolve found nothing or called it ambiguous), and for removed elements whether
resolve rightly found nothing.

The mapping is made by `--make-mapping` from a rule that does not use the resolver (same tag,
text, href, name, type, placeholder and label; repeated ones in document order) and every
element the rule could not pair is listed for a person to decide; their decisions are kept in
bench/targeting/decisions.json and applied on top.

    .venv/bin/python bench/targeting.py                  # the benchmark
    .venv/bin/python bench/targeting.py --make-mapping   # the mapping, and what needs a person
"""

from __future__ import annotations

import argparse
import gzip
import json
import mimetypes
import sys
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).with_name("targeting")
SITE = HERE / "adminlte"
DIST = Path(__file__).parents[1] / "src" / "waypost" / "snippet" / "dist"
MAPPING = HERE / "mapping.json"
DECISIONS = HERE / "decisions.json"
CHROMIUM = "/usr/bin/chromium"
FIRST = "v3.0.0"
LATER = ("v3.1.0", "v3.2.0")
PAGES = (
    "index.html",
    "index3.html",
    "pages/forms/general.html",
    "pages/examples/login.html",
    "pages/examples/register.html",
    "pages/tables/simple.html",
    "pages/examples/profile.html",
    "pages/layout/top-nav.html",
)
TARGET_CORRECT = 0.95
TARGET_WRONG = 0.01

# Every visible control a builder could point a step at, in document order.
LIST_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary,' +
    '[role=button], [role=tab], [role=menuitem], [role=checkbox], [role=switch]';
  const seen = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  window.__controls = Array.from(document.querySelectorAll(selector)).filter(seen);
  const squash = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  return window.__controls.map((el) => ({
    tag: el.tagName.toLowerCase(),
    text: squash(el.textContent).slice(0, 80),
    href: el.getAttribute('href'), name: el.getAttribute('name'), type: el.getAttribute('type'),
    placeholder: el.getAttribute('placeholder'),
    label: el.getAttribute('aria-label') || el.getAttribute('title'),
    icon: el.querySelector('i[class]') ? el.querySelector('i[class]').className : null,
    role: el.getAttribute('role'), id: el.id || null,
    labelled: el.labels && el.labels.length ? squash(el.labels[0].textContent) : null,
    zone: ['nav', 'aside', 'footer', 'table', '.card', 'form'].find((z) => el.closest(z)) || null,
  }));
}"""
FINGERPRINTS = """async () => {
  const out = [];
  for (const el of window.__controls) out.push(await waypost.debug.fingerprint(el));
  return out;
}"""
RESOLVE = """async (prints) => {
  const out = [];
  for (const print of prints) {
    const found = await waypost.debug.resolve(print);
    out.push([found.result, found.element ? window.__controls.indexOf(found.element) : null]);
  }
  return out;
}"""


def _serve() -> tuple[ThreadingHTTPServer, str]:
    """The releases' pages with the snippet's tag added, the snippet itself, and nothing else
    (pictures, fonts and the app's own scripts answer 404, as on a page whose assets moved)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path.startswith("/sdk/v1/"):
                file = DIST / path.removeprefix("/sdk/v1/")
            else:
                file = SITE / path.lstrip("/")
            body: bytes | None = None
            if file.is_file():
                body = file.read_bytes()
            elif Path(f"{file}.gz").is_file():
                body = gzip.decompress(Path(f"{file}.gz").read_bytes())
            if body is None or SITE.parent.parent.parent not in file.resolve().parents:
                self.send_error(404)
                return
            if file.suffix == ".html":
                tag = '<script async src="/sdk/v1/waypost.js" data-key="bench"></script>'
                body = body.replace(b"</head>", tag.encode() + b"</head>", 1)
            self.send_response(200)
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # the snippet's events and decide: not wanted here
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _open(page: Page, url: str) -> list[dict[str, Any]]:
    page.goto(url)
    page.wait_for_function("() => window.waypost && window.waypost.debug")
    controls: list[dict[str, Any]] = page.evaluate(LIST_CONTROLS)
    return controls


DESCRIBED = (
    "tag",
    "text",
    "href",
    "name",
    "type",
    "placeholder",
    "label",
    "icon",
    "role",
    "labelled",
    "zone",
)


def _pass(
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    paired: list[int | str | None],
    fields: tuple[str, ...],
    unique: bool,
) -> None:
    """Pair what is still open when alike in `fields` (and, for looser passes, non-empty and the
    only one of its kind on both sides); repeated ones pair in document order when both releases
    have the same number of them."""
    used = {p for p in paired if isinstance(p, int)}
    key = lambda c: tuple(c[f] for f in fields)  # noqa: E731
    open_after: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, control in enumerate(after):
        if index not in used:
            open_after[key(control)].append(index)
    open_before: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, control in enumerate(before):
        if paired[index] == "?":
            open_before[key(control)].append(index)
    for k, mine in open_before.items():
        theirs = open_after.get(k, [])
        if not theirs or len(theirs) != len(mine):
            continue
        if unique and (len(mine) != 1 or not all(k)):
            continue
        for i, j in zip(mine, theirs, strict=True):
            paired[i] = j


def _pair(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[int | str | None]:
    """The rule, in passes from strict to loose: alike in every described way; then the only
    control with the same tag and id; the same field label; the same tag and text; the same tag
    and link; the same tag and icon. What is left needs a person ("?")."""
    paired: list[int | str | None] = ["?"] * len(before)
    _pass(before, after, paired, DESCRIBED, unique=False)
    _pass(before, after, paired, ("tag", "id"), unique=True)
    _pass(before, after, paired, ("tag", "type", "labelled"), unique=True)
    _pass(before, after, paired, ("tag", "text"), unique=True)
    _pass(before, after, paired, ("tag", "href"), unique=True)
    _pass(before, after, paired, ("tag", "icon", "text"), unique=True)
    return paired


def _decided(decision: Any, after: list[dict[str, Any]], ident: str) -> int | None:
    """A person's decision: "removed", the later control's index, or a description that only
    one later control fits (`{"zone": "nav", "icon": "fas fa-bars"}`)."""
    if decision == "removed":
        return None
    if isinstance(decision, int):
        return decision
    fits = [i for i, c in enumerate(after) if all(c[k] == v for k, v in decision.items())]
    if len(fits) != 1:
        raise SystemExit(f"{ident}: {decision} fits {len(fits)} controls, not one")
    return fits[0]


def make_mapping() -> int:
    decisions: dict[str, Any] = json.loads(DECISIONS.read_text()) if DECISIONS.exists() else {}
    decisions.pop("_why", None)
    mapping: dict[str, Any] = {}
    undecided = 0
    server, base = _serve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new"])
        page = browser.new_page()
        for later in LATER:
            for name in PAGES:
                before = _open(page, f"{base}/{FIRST}/{name}")
                after = _open(page, f"{base}/{later}/{name}")
                paired = _pair(before, after)
                ident = f"{later}/{name}"
                for index, answer in enumerate(paired):
                    decided = decisions.get(ident, {}).get(str(index))
                    if decided is not None:
                        paired[index] = _decided(decided, after, ident)
                    elif answer == "?":
                        undecided += 1
                        print(f"{ident} #{index} {before[index]}")
                        candidates = [
                            (j, c)
                            for j, c in enumerate(after)
                            if c["tag"] == before[index]["tag"]
                            and (
                                c["text"] == before[index]["text"]
                                or c["href"] == before[index]["href"]
                            )
                        ]
                        for j, c in candidates[:6]:
                            print(f"      candidate #{j} {c}")
                mapping[ident] = {"controls": len(before), "later": paired}
        browser.close()
    server.shutdown()
    MAPPING.write_text(json.dumps(mapping, indent=1) + "\n")
    print(f"{undecided} controls need a decision in {DECISIONS.name}" if undecided else "complete")
    return 1 if undecided else 0


def run(verbose: bool = False) -> int:
    mapping: dict[str, Any] = json.loads(MAPPING.read_text())
    server, base = _serve()
    totals: dict[str, dict[str, int]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new"])
        page = browser.new_page()
        for later in LATER:
            count = totals.setdefault(
                later,
                {
                    "kept": 0,
                    "correct": 0,
                    "wrong": 0,
                    "missing": 0,
                    "ambiguous": 0,
                    "removed": 0,
                    "removed_not_found": 0,
                },
            )
            for name in PAGES:
                ident = f"{later}/{name}"
                expected: list[int | str | None] = mapping[ident]["later"]
                _open(page, f"{base}/{FIRST}/{name}")
                prints = page.evaluate(FINGERPRINTS)
                assert len(prints) == len(expected), (
                    f"{ident}: the page no longer matches the mapping"
                )
                after = _open(page, f"{base}/{later}/{name}")
                found = page.evaluate(RESOLVE, prints)
                for index, (want, (result, got)) in enumerate(zip(expected, found, strict=True)):
                    if verbose and got != want and want != "?" and later == LATER[0]:
                        print(f"{ident} #{index}: {result}, got {got} want {want}")
                        print(f"    print {prints[index]}")
                        print(f"    want  {after[want] if isinstance(want, int) else None}")
                        print(f"    got   {after[got] if isinstance(got, int) else None}")
                    if want == "?":
                        continue
                    if want is None:
                        count["removed"] += 1
                        count["removed_not_found"] += got is None
                        count["wrong"] += got is not None
                        continue
                    count["kept"] += 1
                    if got == want:
                        count["correct"] += 1
                    elif got is not None:
                        count["wrong"] += 1
                    elif result == "ambiguous":
                        count["ambiguous"] += 1
                    else:
                        count["missing"] += 1
        browser.close()
    server.shutdown()
    failed = False
    print(f"AdminLTE {FIRST} fingerprints, {len(PAGES)} pages, resolved on later releases")
    for later, c in totals.items():
        asked = c["kept"] + c["removed"]
        correct = (c["correct"] + c["removed_not_found"]) / asked
        wrong = c["wrong"] / asked
        print(
            f"{FIRST} → {later}: {asked} controls ({c['removed']} removed); correct {correct:.1%}"
            f" (target ≥ {TARGET_CORRECT:.0%}), wrong {wrong:.1%} (target < {TARGET_WRONG:.0%}),"
            f" not found {c['missing']}, ambiguous {c['ambiguous']}"
        )
        failed |= correct < TARGET_CORRECT or wrong >= TARGET_WRONG
    print("anchors: Similo 88% located (598 elements, 40 sites); HybridSimilo 98.8%")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--make-mapping", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print each miss")
    args = parser.parse_args(argv)
    return make_mapping() if args.make_mapping else run(args.verbose)


if __name__ == "__main__":
    sys.exit(main())
