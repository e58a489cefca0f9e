// waypost.js, the core: read the install tag, start tracking, and expose the JS API. Everything
// runs inside `guard`, so a failure in the snippet is reported and never thrown into the host page.

import { Guide, type TargetApi } from "./guide";
import { Outbox } from "./queue";
import { Store } from "./store";
import { Tracker, VERSION } from "./tracker";

type Call = [string, ...unknown[]];
type Api = Record<string, unknown>;

declare global {
  interface Window {
    waypost?: Api | Call[];
  }
}

const reported = new Set<string>();
let tracker: Tracker | null = null;

function warn(what: string, detail?: unknown): void {
  if (typeof console !== "undefined") console.warn(`[waypost] ${what}`, detail ?? "");
}

// Report a failure once per page and message, as an event the team can see; never rethrow.
function report(where: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const key = `${where}:${message}`;
  if (reported.has(key) || reported.size > 20) return;
  reported.add(key);
  warn(`${where} failed`, error);
  try {
    tracker?.track("$waypost_error", { where, message: message.slice(0, 500), version: VERSION });
  } catch {
    // Reporting must not fail either.
  }
}

export function guard<A extends unknown[], R>(
  where: string,
  fn: (...args: A) => R,
): (...args: A) => R | undefined {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch (error) {
      report(where, error);
      return undefined;
    }
  };
}

type Install = { key: string; origin: string };

// The write key from the tag's data-key, or from the script URL's ?key= (for hosts that can only
// add a script URL); the server is where the script came from, unless data-host says otherwise.
function install(): Install | null {
  const script = document.currentScript as HTMLScriptElement | null;
  const found =
    script ??
    Array.from(document.scripts).find((s) => /\/sdk\/v1\/waypost(\.[\w-]+)?\.js/.test(s.src)) ??
    null;
  if (!found?.src) return null;
  const source = new URL(found.src, location.href);
  const key = found.dataset.key || source.searchParams.get("key");
  if (!key) return null;
  return { key, origin: (found.dataset.host || source.origin).replace(/\/$/, "") };
}

function onRouteChange(changed: () => void): void {
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      changed();
      return result;
    };
  }
  addEventListener("popstate", changed);
  addEventListener("hashchange", changed);
}

function start(): void {
  const where = install();
  if (!where) {
    warn('no write key: add data-key="WRITE_KEY" to the script tag, or ?key=WRITE_KEY to its URL');
    return;
  }
  const store = new Store(`waypost:${where.key}:`);
  const outbox = new Outbox(store, `${where.origin}/v1/batch`, where.key, warn);
  const current = new Tracker(store, outbox);
  tracker = current;
  const guide = new Guide(current, where.origin, where.key, __WAYPOST_MODULES__, report);
  // Modules follow the page: a page view (a route change too) and each event tracked.
  current.listeners.push((name) =>
    document.dispatchEvent(new CustomEvent("waypost:track", { detail: name })),
  );
  const refresh = () => void guide.refresh().catch((error) => report("decide", error));
  const target = () => guide.load<TargetApi>("target");
  const earlier = Array.isArray(window.waypost) ? window.waypost : [];

  const api: Api = {
    version: VERSION,
    identify: guard("identify", (...args: Parameters<Tracker["identify"]>) => {
      current.identify(...args);
      refresh(); // another person may see other things
    }),
    track: guard("track", current.track.bind(current)),
    page: guard("page", current.page.bind(current)),
    group: guard("group", current.group.bind(current)),
    reset: guard("reset", () => {
      current.reset();
      refresh();
    }),
    start: guard("start", (key: string) => guide.start(key)),
    debug: {
      fingerprint: (element: Element) => target().then((t) => t.fingerprint(element)),
      resolve: (fingerprint: Record<string, unknown>) =>
        target().then((t) => t.resolve(fingerprint)),
    },
    flush: guard("flush", () => outbox.now()),
    user: () => ({ ...current.who }),
  };
  window.waypost = api;

  onRouteChange(
    guard("route", () => {
      if (current.routeChanged()) {
        document.dispatchEvent(new CustomEvent("waypost:page"));
        refresh();
      }
    }),
  );
  document.addEventListener("click", guard("autocapture", (e: Event) => current.click(e)), true);
  addEventListener("online", guard("online", () => outbox.now()));
  addEventListener("pagehide", guard("pagehide", () => outbox.beacon()));
  document.addEventListener(
    "visibilitychange",
    guard("visibility", () => {
      if (document.visibilityState === "hidden") outbox.beacon();
    }),
  );

  // Calls made before the script loaded (`window.waypost = [["identify", "u1"]]`), in order.
  for (const [method, ...args] of earlier) {
    const fn = api[method];
    if (typeof fn === "function") fn(...args);
    else warn(`unknown call ${method}`);
  }
  // The first page view, what earlier pages left waiting, and decide: in a task of their own,
  // after the one that evaluated this script.
  setTimeout(
    guard("first page", () => {
      current.page();
      outbox.now();
      refresh();
    }),
    0,
  );
}

guard("start", start)();
