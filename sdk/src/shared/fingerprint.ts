// Recording an element as a fingerprint (with @medv/finder's short unique selectors): what
// builders store and `resolve` reads. Kept apart so that rendering modules do not carry finder.

import { finder } from "@medv/finder";
import { KEPT_ATTRIBUTES, regionOf, roleOf, sameText, textOf, type Fingerprint } from "./target";

function safeFinder(element: Element, options: Parameters<typeof finder>[1] = {}): string | null {
  try {
    return finder(element, { timeoutMs: 200, root: element.ownerDocument.body, ...options });
  } catch {
    return null;
  }
}

// The stored form of an element: what `resolve` needs to find it again after a release.
export function fingerprint(element: Element): Fingerprint {
  const tag = element.tagName.toLowerCase();
  const attributes: Record<string, string> = {};
  for (const name of KEPT_ATTRIBUTES) {
    const value = element.getAttribute(name);
    if (value && value.length <= 300) attributes[name] = value;
  }
  const selectors = new Set<string>();
  const structural = safeFinder(element, { className: () => false, idName: () => false, attr: () => false });
  if (structural) selectors.add(structural);
  for (const name of ["data-testid", "name", "aria-label"])
    if (attributes[name]) selectors.add(`${tag}[${name}="${CSS.escape(attributes[name])}"]`);
  const ancestors: string[] = [];
  for (let parent = element.parentElement; parent && ancestors.length < 2; parent = parent.parentElement) {
    const landmark = parent.id || parent.getAttribute("data-testid") || /^(nav|header|footer|main|aside|form|dialog|section)$/.test(parent.tagName.toLowerCase());
    if (landmark) {
      const selector = parent.id ? `#${CSS.escape(parent.id)}` : safeFinder(parent);
      if (selector) ancestors.push(selector);
    }
  }
  const found: Fingerprint = { tag };
  const selector = safeFinder(element);
  if (selector) found.selector = selector;
  selectors.delete(selector ?? "");
  if (selectors.size) found.selectors = Array.from(selectors);
  const field = element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement;
  // A field's text is its label as resolve reads it (never its value).
  const text = (
    field
      ? element.getAttribute("aria-label") || element.getAttribute("placeholder") || element.getAttribute("title")
      : element instanceof HTMLImageElement
        ? element.alt
        : (element as HTMLElement).innerText
  )
    ?.replace(/\s+/g, " ")
    .trim();
  if (text && text.length <= 200) {
    found.text = text;
    const visible = Array.from(element.ownerDocument.querySelectorAll(tag)).filter((e) => e.getClientRects().length);
    const same = sameText(visible, textOf(element), tag);
    if (same.length > 1) found.rank = same.indexOf(element);
  }
  const region = regionOf(element);
  if (region) found.region = region;
  const role = roleOf(element);
  if (role) found.role = role;
  if (Object.keys(attributes).length) found.attributes = attributes;
  if (ancestors.length) found.ancestors = ancestors;
  const frame = element.ownerDocument.defaultView?.frameElement;
  if (frame && element.ownerDocument !== document) {
    const frameSelector = safeFinder(frame);
    if (frameSelector) found.frame = frameSelector;
  }
  return found;
}
