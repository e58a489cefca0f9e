// Who the person is, their session, and the messages the tracking API receives: identify, track,
// page, group, reset; page views on every route change of a single-page app; clicks on engaged
// elements (never what anyone typed).

import { finder } from "@medv/finder";
import { Outbox, type Message } from "./queue";
import { Store, uuid } from "./store";

export const VERSION = "0.1.0";
const SESSION_MS = 30 * 60 * 1000;
const TEXT_LIMIT = 255;
const ENGAGED =
  "a,button,summary,select,label,[role=button],[role=link],[role=menuitem],[role=tab]," +
  "[role=checkbox],[role=switch],input[type=submit],input[type=button],input[type=reset]," +
  "input[type=checkbox],input[type=radio],[data-waypost-track]";
const IGNORE = "[data-waypost-ignore]";
// Fields people type into: a click there is not an action, and nothing of them is ever sent.
const TYPING =
  "input:not([type=submit]):not([type=button]):not([type=reset]):not([type=checkbox])" +
  ":not([type=radio]),textarea,[contenteditable]:not([contenteditable=false])";

type Props = Record<string, unknown>;
type Who = {
  userId?: string;
  anonymousId: string;
  userHash?: string;
  groupId?: string;
  // The traits identify gave (decide reads them before the server has stored them).
  traits?: Props;
};
type Session = { id: string; last: number };

export class Tracker {
  who: Who;
  // Told of every event tracked in this page (guidance triggers on events).
  readonly listeners: ((name: string) => void)[] = [];
  private lastUrl = "";

  constructor(
    private readonly store: Store,
    readonly outbox: Outbox,
  ) {
    this.who = store.get<Who>("who", { anonymousId: uuid() });
    store.set("who", this.who);
  }

  private session(): string {
    const now = Date.now();
    let session = this.store.get<Session | null>("session", null);
    if (!session || now - session.last > SESSION_MS) session = { id: uuid(), last: now };
    session.last = now;
    this.store.set("session", session);
    return session.id;
  }

  private context(): Props {
    const { userHash, groupId } = this.who;
    return {
      page: {
        url: location.href,
        path: location.pathname,
        search: location.search,
        title: document.title,
        referrer: document.referrer,
      },
      userAgent: navigator.userAgent,
      locale: navigator.language,
      // Minutes from UTC. (Not Intl's zone name: its first use costs tens of milliseconds.)
      timezoneOffset: -new Date().getTimezoneOffset(),
      library: { name: "waypost.js", version: VERSION },
      sessionId: this.session(),
      ...(userHash ? { userHash } : {}),
      ...(groupId ? { groupId } : {}),
    };
  }

  send(type: string, fields: Props): void {
    const { userId, anonymousId } = this.who;
    const message: Message = {
      type,
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      anonymousId,
      ...(userId ? { userId } : {}),
      ...fields,
      context: this.context(),
    };
    this.outbox.add(message);
  }

  identify(userId?: string | null, traits?: Props, options?: { userHash?: string }): void {
    if (userId != null && String(userId) !== this.who.userId) {
      this.who.userId = String(userId);
      delete this.who.userHash;
      delete this.who.traits;
    }
    if (traits) this.who.traits = { ...this.who.traits, ...traits };
    if (options?.userHash) this.who.userHash = options.userHash;
    this.store.set("who", this.who);
    this.send("identify", { traits: traits ?? {} });
  }

  track(event: string, properties?: Props): void {
    this.send("track", { event, properties: properties ?? {} });
    for (const listener of this.listeners) listener(event);
  }

  page(name?: string, properties?: Props): void {
    this.lastUrl = location.href;
    this.send("page", {
      ...(name ? { name } : {}),
      properties: {
        url: location.href,
        path: location.pathname,
        title: document.title,
        referrer: document.referrer,
        ...properties,
      },
    });
  }

  group(groupId: string, traits?: Props): void {
    this.who.groupId = String(groupId);
    this.store.set("who", this.who);
    this.send("group", { groupId: String(groupId), traits: traits ?? {} });
  }

  reset(): void {
    this.who = { anonymousId: uuid() };
    this.store.set("who", this.who);
    this.store.remove("session");
  }

  // A route change of a single-page app (or a hash change): one page view per new URL.
  routeChanged(): boolean {
    if (location.href === this.lastUrl) return false;
    this.page();
    return true;
  }

  click(event: Event): void {
    const path = event.composedPath();
    const start = path[0];
    if (!(start instanceof Element) || start.closest(TYPING)) return;
    const element = start.closest(ENGAGED);
    // The opt-out holds across shadow roots (Waypost's own layer carries it too).
    if (!element || path.some((n) => n instanceof Element && n.matches(IGNORE))) return;
    const properties: Props = {
      $element_selector: selectorOf(element),
      $element_tag: element.tagName.toLowerCase(),
    };
    const text = labelOf(element);
    if (text) properties.$element_text = text;
    const href = element.getAttribute("href");
    if (href) properties.$element_href = (element as HTMLAnchorElement).href || href;
    this.track("$autocapture", properties);
  }
}

export function selectorOf(element: Element): string {
  try {
    return finder(element, { timeoutMs: 50, className: (name) => !/\d{3,}|^(is|has)-/.test(name) });
  } catch {
    return element.tagName.toLowerCase();
  }
}

// What the element says: its visible text, or its accessible name; never a form field's value.
function labelOf(element: Element): string {
  const fieldLike =
    element instanceof HTMLInputElement ||
    element instanceof HTMLSelectElement ||
    element instanceof HTMLTextAreaElement;
  const text = fieldLike
    ? element.getAttribute("aria-label") || element.getAttribute("title") || ""
    : (element as HTMLElement).innerText || element.textContent || "";
  return text.replace(/\s+/g, " ").trim().slice(0, TEXT_LIMIT);
}
