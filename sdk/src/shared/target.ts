// Targets are fingerprints, not one selector: candidate selectors, text, tag, role, attributes and
// ancestors. `fingerprint` records an element; `resolve` finds it again by scoring the visible
// candidates every clue brings (in the page, its open shadow roots and same-origin frames) and
// answers "not found" or "ambiguous" rather than a doubtful element: a tooltip on the wrong
// button is worse than none.

import type { Props } from "./types";

export interface Fingerprint {
  selector?: string;
  selectors?: string[];
  text?: string;
  tag?: string;
  role?: string;
  attributes?: Record<string, string>;
  ancestors?: string[];
  frame?: string;
  // The page region it sits in (banner, navigation, complementary, contentinfo, main, dialog).
  region?: string;
  // Among visible elements of its tag saying the same text, which one it is (document order).
  rank?: number;
}

export interface Resolved {
  element: Element | null;
  score: number;
  result: "found" | "not_found" | "ambiguous";
}

export const KEPT_ATTRIBUTES = ["id", "name", "type", "href", "aria-label", "data-testid", "placeholder", "title", "alt", "for"];
const ATTRIBUTE_WEIGHT: Record<string, number> = { id: 2, "data-testid": 2.5, name: 1.5, "aria-label": 1.5, href: 1.5 };
const TEXT_TAGS = "a,button,summary,label,[role],input,select,textarea,h1,h2,h3,h4,h5,h6,li,td,th,span,p,div,img";
const ENOUGH = 3; // the evidence an element needs
const MARGIN = 1.5; // and by how much it must beat the runner-up
const MAX_TEXT_CANDIDATES = 2000;
const POSITIONAL = /:nth-|:first-|:last-/;

const squash = (text: string | null | undefined) => (text ?? "").replace(/\s+/g, " ").trim().toLowerCase();

const REGIONS: Record<string, string> = {
  header: "banner",
  nav: "navigation",
  aside: "complementary",
  footer: "contentinfo",
  main: "main",
  dialog: "dialog",
};

// The outermost landmark around the element: where on the page it is, whatever its classes.
export function regionOf(element: Element): string | null {
  let found: string | null = null;
  for (let node = element.parentElement; node; node = node.parentElement) {
    const role = node.getAttribute("role");
    const region = role && Object.values(REGIONS).includes(role) ? role : REGIONS[node.tagName.toLowerCase()];
    if (region) found = region;
  }
  return found;
}

export function textOf(element: Element): string {
  const label =
    element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement
      ? element.getAttribute("aria-label") || element.getAttribute("placeholder") || element.getAttribute("title")
      : element instanceof HTMLImageElement
        ? element.alt
        : (element as HTMLElement).innerText ?? element.textContent;
  return squash(label).slice(0, 200);
}

export function roleOf(element: Element): string {
  const explicit = element.getAttribute("role");
  if (explicit) return explicit;
  const tag = element.tagName.toLowerCase();
  if (tag === "a" && element.hasAttribute("href")) return "link";
  if (tag === "button" || (tag === "input" && /^(submit|button|reset)$/.test((element as HTMLInputElement).type)))
    return "button";
  return "";
}

function visible(element: Element): boolean {
  if (!element.isConnected || !element.getClientRects().length) return false;
  const style = getComputedStyle(element);
  return style.visibility !== "hidden" && style.display !== "none";
}

// The document (or the frame the fingerprint names) and every open shadow root in it, and the
// documents of same-origin frames when no frame is named.
function roots(frame?: string): (Document | ShadowRoot)[] {
  let start: Document = document;
  if (frame) {
    const element = document.querySelector(frame);
    try {
      const inner = (element as HTMLIFrameElement | null)?.contentDocument;
      if (!inner) return [];
      start = inner;
    } catch {
      return [];
    }
  }
  const found: (Document | ShadowRoot)[] = [];
  const visit = (root: Document | ShadowRoot) => {
    found.push(root);
    for (const element of Array.from(root.querySelectorAll("*"))) {
      if (element.shadowRoot) visit(element.shadowRoot);
      if (!frame && element instanceof HTMLIFrameElement) {
        try {
          if (element.contentDocument) visit(element.contentDocument);
        } catch {
          // Another origin: out of reach, as it should be.
        }
      }
    }
  };
  visit(start);
  return found;
}

function all(root: Document | ShadowRoot, selector: string): Element[] {
  try {
    return Array.from(root.querySelectorAll(selector));
  } catch {
    return []; // a stored selector this browser cannot read
  }
}

// Evidence for an element and against it: what it says that the fingerprint says otherwise, or a
// place on the page none of the recorded ancestors fits, counts against it.
function score(element: Element, fp: Fingerprint, hits: Map<Element, number>): number {
  let total = hits.get(element) ?? 0;
  if (fp.text) {
    const text = textOf(element);
    const wanted = squash(fp.text);
    if (text === wanted) total += 3;
    else if (text && wanted && (text.includes(wanted) || wanted.includes(text)) && text.length < wanted.length * 3)
      total += 1;
    else total -= text ? 2.5 : 1;
  }
  if (fp.tag && element.tagName.toLowerCase() === fp.tag.toLowerCase()) total += 1;
  if (fp.role && roleOf(element) === fp.role) total += 0.5;
  for (const [name, value] of Object.entries(fp.attributes ?? {}))
    if (element.getAttribute(name) === value) total += ATTRIBUTE_WEIGHT[name] ?? 0.5;
  let placed = 0;
  for (const ancestor of fp.ancestors ?? []) {
    try {
      if (element.parentElement?.closest(ancestor)) placed += 1;
    } catch {
      // Unreadable selector: no evidence.
    }
  }
  if (fp.ancestors?.length) total += placed ? placed * 0.75 : -1;
  return total;
}

export function resolve(input: Fingerprint | Props): Resolved {
  const fp = input as Fingerprint;
  const hits = new Map<Element, number>();
  const add = (element: Element, weight: number) => hits.set(element, (hits.get(element) ?? 0) + weight);
  const candidates = new Set<Element>();
  for (const root of roots(fp.frame)) {
    // A selector that counts positions (`:nth-of-type`) breaks when anything is added before the
    // element: it weighs half as much as one naming the element.
    if (fp.selector) {
      const found = all(root, fp.selector);
      const weight = POSITIONAL.test(fp.selector) ? 0.5 : 1;
      for (const element of found) add(element, (found.length === 1 ? 3 : 1.5) * weight);
    }
    for (const selector of fp.selectors ?? []) {
      const found = all(root, selector);
      const weight = POSITIONAL.test(selector) ? 0.5 : 1;
      for (const element of found) add(element, (found.length === 1 ? 1.5 : 0.5) * weight);
    }
    for (const [name, value] of Object.entries(fp.attributes ?? {}))
      if (KEPT_ATTRIBUTES.includes(name) && (ATTRIBUTE_WEIGHT[name] ?? 0) >= 1.5)
        for (const element of all(root, `[${name}="${CSS.escape(value)}"]`)) candidates.add(element);
    if (fp.text) {
      const wanted = squash(fp.text);
      const pool = all(root, fp.tag ? fp.tag : TEXT_TAGS).slice(0, MAX_TEXT_CANDIDATES);
      // textContent first (no layout), innerText only for the few that could match.
      for (const element of pool) {
        const raw = element instanceof HTMLElement && !(element instanceof HTMLInputElement) ? squash(element.textContent) : "";
        if ((raw.includes(wanted) || element instanceof HTMLInputElement || element instanceof HTMLImageElement) && textOf(element) === wanted)
          candidates.add(element);
      }
    }
  }
  for (const element of hits.keys()) candidates.add(element);
  const shown = Array.from(candidates)
    .filter(visible)
    // A control does not move to another region of the page and stay the same control.
    .filter((element) => !fp.region || regionOf(element) === fp.region);
  // Several saying the same text: the one in the same place among them is likelier.
  if (fp.rank !== undefined && fp.text) {
    const wanted = squash(fp.text);
    const same = sameText(shown, wanted, fp.tag);
    if (same.length > 1 && same[fp.rank]) add(same[fp.rank], 1.5);
  }
  const ranked = shown
    .map((element) => ({ element, score: score(element, fp, hits) }))
    // An element and its own wrapper often share the text: keep the innermost.
    .filter((c, _, list) => !list.some((o) => o.element !== c.element && c.element.contains(o.element) && o.score >= c.score))
    .sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (!best || best.score < ENOUGH) return { element: null, score: best?.score ?? 0, result: "not_found" };
  const second = ranked[1];
  if (second && best.score - second.score < MARGIN)
    return { element: null, score: best.score, result: "ambiguous" };
  return { element: best.element, score: best.score, result: "found" };
}

// The elements of the tag whose text is `wanted`, in document order.
export function sameText(elements: Element[], wanted: string, tag?: string): Element[] {
  return elements
    .filter((e) => (!tag || e.tagName.toLowerCase() === tag) && textOf(e) === wanted)
    .sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
}

// Resolve now, or as soon as the page changes so that it resolves, for at most `seconds`.
export function waitFor(
  fp: Fingerprint | Props,
  seconds: number,
  stop?: { stopped: boolean },
): Promise<Resolved> {
  return new Promise((done) => {
    let last = resolve(fp);
    if (last.element) return done(last);
    let queued = false;
    const observer = new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (stop?.stopped) return finish();
        last = resolve(fp);
        if (last.element) finish();
      });
    });
    const timer = window.setTimeout(() => finish(), seconds * 1000);
    function finish() {
      observer.disconnect();
      window.clearTimeout(timer);
      done(last);
    }
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true, characterData: true });
  });
}

