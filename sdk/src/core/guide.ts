// Guidance in the page: ask decide what this person may see here, keep the definitions between
// pages (and tell decide which it need not send), wait for each item's browser-side trigger, and
// hand one interruption at a time to the module that renders its kind (loaded when first needed).
// A builder's preview link (?waypost_preview=TOKEN) is kept for the tab's session and sent to
// decide, which then answers the draft it names; the badge saying so is a module of its own.

import type { Checklist, Host, Item, Props, Render } from "../shared/types";
import { Store } from "./store";
import type { Tracker } from "./tracker";
import { wordsFor } from "./words";

const MODULE_OF: Record<string, string> = {
  walkthrough: "walkthrough",
  shoutout: "shoutout",
  smart_tip: "tip",
  launcher: "launcher",
  survey: "survey",
  menu: "hub",
};
const INTERRUPTING = new Set(["walkthrough", "shoutout", "survey"]);
const KEPT_DEFINITIONS = 400;
const LOCK_MS = 5000; // another tab's interruption counts while it says so this recently
const PREVIEW = "waypost_preview";

type Answer = {
  locale: string;
  items: Item[];
  holdouts: { key: string; recorded: boolean }[];
  checklist: Checklist;
  theme?: Props | null;
};
type Trigger = {
  element?: { target: Props; on?: "present" | "click" };
  event?: { name?: string; action?: string };
  delay_seconds?: number;
  exit_intent?: boolean;
  scroll_percent?: number;
  manual?: boolean;
};

export class Guide {
  private items: Item[] = [];
  private reported = new Set<string>();
  private checklist: Checklist = { done: 0, total: 0, tasks: [] };
  private theme: Props | undefined;
  private showing: Item | null = null;
  private ended = new Set<string>(); // finished or dismissed on this page: not again until decide says
  private passive = new Set<string>(); // tips, launchers, the hub: drawn once per page
  private disarm: (() => void)[] = [];
  private loads = new Map<string, Promise<unknown>>();
  private asking = 0;
  private readonly tab: string;
  private readonly shared: Store;
  private readonly session: Store;
  private preview: string; // a preview link's token, while previewing
  private badge: Promise<(keys: string[]) => void> | null = null; // ends the badge and the drafts
  locale: string;

  constructor(
    private readonly tracker: Tracker,
    private readonly origin: string,
    private readonly writeKey: string,
    private readonly modules: Record<string, string>,
    readonly report: (where: string, error: unknown) => void,
  ) {
    this.shared = new Store(`waypost:${writeKey}:`);
    this.session = new Store(`waypost:${writeKey}:`, "sessionStorage");
    // The tab keeps its name across reloads, so its own lock never holds it back.
    this.tab = this.session.get("tab", "") || Math.random().toString(36).slice(2);
    this.session.set("tab", this.tab);
    // A preview link: kept for this tab, out of the address bar (and of the page views sent).
    const url = new URL(location.href);
    const token = url.searchParams.get(PREVIEW);
    if (token) {
      this.session.set("preview", token);
      url.searchParams.delete(PREVIEW);
      history.replaceState(history.state, "", url.href);
    }
    this.preview = this.session.get("preview", "");
    addEventListener("pagehide", () => {
      if (!this.lockedElsewhere()) this.shared.remove("stage");
    });
    this.locale = document.documentElement.lang || navigator.language || "en";
    tracker.listeners.push((name) => this.tracked(name));
    addEventListener("storage", (event) => {
      if (event.key?.endsWith(":ended")) this.endedElsewhere();
      // Another tab's interruption is over: what waits here may show now.
      if (event.key?.endsWith(":stage") && event.newValue === null && !this.showing) this.stage();
    });
  }

  // --- decide ---------------------------------------------------------------------------

  async refresh(): Promise<void> {
    const asked = ++this.asking;
    // What this page reported first, so that decide counts it (a task just done, a step seen).
    if (this.tracker.outbox.waiting().length) await this.tracker.outbox.flush();
    const answer = await this.decide(true);
    if (!answer || asked !== this.asking) return; // a newer page asked meanwhile
    let items = answer.items;
    if (items.some((i) => !i.definition)) {
      const whole = await this.decide(false); // the cache lost some: ask for everything
      if (!whole || asked !== this.asking) return;
      items = whole.items;
    }
    for (const holdout of answer.holdouts)
      if (!holdout.recorded)
        this.tracker.track("$holdout_assigned", { $content_id: holdout.key });
    for (const item of items)
      if (item.unreported && !this.reported.has(item.key)) {
        this.reported.add(item.key); // once a page: the next answer knows it is stored
        this.tracker.track("$task_completed", this.about(item));
      }
    if (this.preview && !this.badge)
      this.badge = this.load<PreviewBadge>("preview").then(
        (show) => show(this.host(), () => this.endPreview()),
        (error) => (this.report("preview", error), () => undefined),
      );
    this.items = items;
    this.checklist = answer.checklist;
    this.theme = answer.theme ?? undefined;
    this.completeTasks();
    this.stage();
    document.dispatchEvent(new CustomEvent("waypost:decided"));
  }

  private async decide(useCache: boolean): Promise<Answer | null> {
    const cached = this.shared.get<Record<string, Props>>(`defs:${this.locale}`, {});
    const who = this.tracker.who;
    const body = {
      writeKey: this.writeKey,
      anonymousId: who.anonymousId,
      ...(who.userId ? { userId: who.userId } : {}),
      ...(who.userHash ? { userHash: who.userHash } : {}),
      ...(who.groupId ? { groupId: who.groupId } : {}),
      ...(who.traits ? { traits: who.traits } : {}),
      ...(this.preview ? { preview: this.preview } : {}),
      locale: this.locale,
      url: location.href,
      have: useCache ? Object.keys(cached).slice(-1000) : [],
    };
    const response = await fetch(`${this.origin}/sdk/v1/decide`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body),
      credentials: "omit",
    }).catch(() => null);
    if (!response || response.status !== 200) {
      const error = response?.status === 401 && (await response.json().catch(() => null))?.error;
      if (this.preview && error?.code === "preview_invalid") {
        console.warn(`[waypost] preview ended: ${error.message}`);
        this.endPreview(); // and ask again, for production
      } else if (response) this.report("decide", new Error(`decide answered ${response.status}`));
      return null;
    }
    const answer = (await response.json()) as Answer;
    for (const item of answer.items) {
      const id = `${item.key}@${item.version}`;
      if (item.definition) {
        delete cached[id];
        cached[id] = item.definition;
      } else if (cached[id]) item.definition = cached[id];
    }
    const ids = Object.keys(cached);
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT_DEFINITIONS))) delete cached[id];
    this.shared.set(`defs:${this.locale}`, cached);
    return answer;
  }

  // The preview is over (Exit, or decide refused the token): its drafts go, production follows.
  private endPreview(): void {
    this.preview = "";
    this.session.remove("preview");
    const drafts = this.items.filter((i) => i.preview).map((i) => i.key);
    for (const key of drafts) {
      this.passive.delete(key);
      this.ended.delete(key);
      document.dispatchEvent(new CustomEvent("waypost:close", { detail: key }));
    }
    if (this.showing?.preview) {
      this.showing = null;
      this.shared.remove("stage");
    }
    void this.badge?.then((end) => end(drafts));
    this.badge = null;
    void this.refresh().catch((error) => this.report("decide", error));
  }

  // What a guidance event says about its item (and that it is a draft seen in a preview).
  private about(item: Item, props?: Props): Props {
    return {
      $content_id: item.key,
      $content_version: item.version,
      ...(item.preview ? { $preview: true } : {}),
      ...props,
    };
  }

  // --- what shows when ------------------------------------------------------------------

  private stage(): void {
    for (const off of this.disarm.splice(0)) off();
    for (const item of this.items) {
      if (this.ended.has(item.key)) continue;
      const module = MODULE_OF[item.kind];
      if (!module) continue; // tasks, resources and shuttles live in the hub
      if (!INTERRUPTING.has(item.kind)) {
        if (!this.passive.has(item.key)) {
          this.passive.add(item.key);
          void this.render(item);
        }
        continue;
      }
      if (item.under_way) this.offer(item);
      else if (!item.listed) this.arm(item, () => this.offer(item));
    }
  }

  private arm(item: Item, fire: () => void): void {
    const trigger = (item.definition.trigger ?? {}) as Trigger;
    if (trigger.manual) return;
    const gates: Promise<unknown>[] = [];
    const listen = <K extends keyof WindowEventMap>(
      type: K,
      test: (event: WindowEventMap[K]) => boolean,
      on: Window | Document = window,
    ) =>
      gates.push(
        new Promise<void>((resolve) => {
          const handler = (event: Event) => {
            if (test(event as WindowEventMap[K])) {
              on.removeEventListener(type, handler, true);
              resolve();
            }
          };
          on.addEventListener(type, handler, true);
          this.disarm.push(() => on.removeEventListener(type, handler, true));
        }),
      );
    if (trigger.delay_seconds)
      gates.push(
        new Promise<void>((resolve) => {
          const timer = window.setTimeout(resolve, trigger.delay_seconds! * 1000);
          this.disarm.push(() => window.clearTimeout(timer));
        }),
      );
    if (trigger.exit_intent)
      listen("mouseout", (e) => !e.relatedTarget && e.clientY <= 0, document);
    if (trigger.scroll_percent) {
      const wanted = trigger.scroll_percent;
      listen(
        "scroll",
        () =>
          ((scrollY + innerHeight) / Math.max(document.documentElement.scrollHeight, 1)) * 100 >=
          wanted,
      );
    }
    const event = trigger.event?.name ?? trigger.event?.action;
    if (event)
      gates.push(
        new Promise<void>((resolve) => {
          this.waitingFor.set(item.key, { name: event, resolve });
          this.disarm.push(() => this.waitingFor.delete(item.key));
        }),
      );
    if (trigger.element) {
      const element = trigger.element;
      gates.push(
        this.load<TargetApi>("target").then(async (api) => {
          if (element.on === "click") {
            await new Promise<void>((resolve) => {
              const handler = (e: Event) => {
                const found = api.resolve(element.target).element;
                if (found && e.composedPath().includes(found)) resolve();
              };
              document.addEventListener("click", handler, true);
              this.disarm.push(() => document.removeEventListener("click", handler, true));
            });
          } else {
            const stop = { stopped: false };
            this.disarm.push(() => (stop.stopped = true));
            const found = await api.waitFor(element.target, 3600, stop);
            if (!found.element) throw new Error("never present");
          }
        }),
      );
    }
    let live = true;
    this.disarm.push(() => (live = false));
    Promise.all(gates).then(
      () => live && fire(),
      () => undefined,
    );
  }

  private waitingFor = new Map<string, { name: string; resolve: () => void }>();

  // Tasks done by an event seen in this page, or by finishing a walkthrough, are reported as done.
  private completeTasks(finished?: string, event?: string): void {
    let any = false;
    for (const item of this.items) {
      if (item.kind !== "task" || item.state.completed) continue;
      const when = (item.definition.complete_when ?? {}) as Props;
      if ((event && when.event === event) || (finished && when.walkthrough === finished)) {
        item.state.completed = any = true;
        this.tracker.track("$task_completed", this.about(item));
      }
    }
    if (!any || !event) return;
    // Tick it off at once (and unlock what waited for it); decide confirms once it is stored.
    const done = new Set(this.items.filter((i) => i.kind === "task" && i.state.completed).map((i) => i.key));
    const list = this.checklist;
    for (const task of list.tasks) {
      task.done = done.has(task.key);
      const after = (this.items.find((i) => i.key === task.key)?.definition.after as string[] | undefined) ?? [];
      task.unlocked = after.every((k) => done.has(k));
    }
    list.done = list.tasks.filter((t) => t.done).length;
    document.dispatchEvent(new CustomEvent("waypost:decided"));
    void this.tracker.outbox.flush().then(() => this.refresh());
  }

  private tracked(name: string): void {
    if (!name.startsWith("$")) this.completeTasks(undefined, name);
    for (const [key, waiting] of this.waitingFor)
      if (waiting.name === name) {
        this.waitingFor.delete(key);
        waiting.resolve();
      }
  }

  private offer(item: Item): void {
    if (this.showing || this.ended.has(item.key) || this.lockedElsewhere()) return;
    this.showing = item;
    this.lock();
    void this.render(item);
  }

  // --- one interruption across the person's tabs -----------------------------------------

  private lockedElsewhere(): boolean {
    const lock = this.shared.get<{ tab: string; at: number } | null>("stage", null);
    return !!lock && lock.tab !== this.tab && Date.now() - lock.at < LOCK_MS;
  }

  private lock(): void {
    this.shared.set("stage", { tab: this.tab, at: Date.now() });
    const beat = window.setInterval(() => {
      if (this.showing) this.shared.set("stage", { tab: this.tab, at: Date.now() });
      else window.clearInterval(beat);
    }, LOCK_MS / 2);
  }

  // The item another tab just ended (the last in the shared list) is over here too.
  private endedElsewhere(): void {
    const key = this.shared.get<string[]>("ended", []).slice(-1)[0];
    if (key) this.ended.add(key);
    if (this.showing && this.ended.has(this.showing.key)) {
      document.dispatchEvent(new CustomEvent("waypost:close", { detail: this.showing.key }));
      this.showing = null;
    }
  }

  // --- modules --------------------------------------------------------------------------

  // A module's default export (a renderer, or the target API), imported once.
  load<T = Render>(name: string): Promise<T> {
    let found = this.loads.get(name);
    if (!found) {
      const file = this.modules[name];
      found = file
        ? import(`${this.origin}/sdk/v1/${file}`).then((m: { default: unknown }) => m.default)
        : Promise.reject(new Error(`no module ${name}`));
      this.loads.set(name, found);
    }
    return found as Promise<T>;
  }

  private async render(item: Item): Promise<void> {
    try {
      const render = await this.load(MODULE_OF[item.kind]);
      await render(this.host(), item);
    } catch (error) {
      this.report(`render ${item.kind}`, error);
      if (this.showing?.key === item.key) this.showing = null;
    }
  }

  start(key: string): void {
    const item = this.items.find((i) => i.key === key);
    if (!item) return;
    this.ended.delete(key);
    const d = item.definition;
    if (item.kind === "shuttle") {
      this.tracker.track("$guide_cta_clicked", this.about(item, { $url: d.url }));
      if (d.new_tab === false) location.assign(d.url as string);
      else window.open(d.url as string, "_blank", "noopener");
    } else if (item.kind === "task" && typeof d.start === "string") this.start(d.start);
    else if (INTERRUPTING.has(item.kind)) this.offer(item);
    else if (MODULE_OF[item.kind]) void this.render(item);
  }

  private host(): Host {
    const emit = (event: string, item: Item, props?: Props) => {
      this.tracker.track(event, this.about(item, props));
      if (event === "$guide_completed" && item.kind === "walkthrough") this.completeTasks(item.key);
    };
    return {
      locale: this.locale,
      words: wordsFor(this.locale),
      theme: this.theme,
      emit,
      release: (item) => {
        // Other tabs learn that it ended before they learn the stage is free.
        this.ended.add(item.key);
        const ended = this.shared.get<string[]>("ended", []).filter((k) => k !== item.key);
        this.shared.set("ended", [...ended.slice(-50), item.key]);
        if (this.showing?.key === item.key) {
          this.showing = null;
          this.shared.remove("stage");
        }
        // Once the events are stored, decide knows: ask again (the next item may show).
        void this.tracker.outbox.flush().then(() => this.refresh());
      },
      start: (key) => this.start(key),
      memory: (item) => this.session.get<Props>(`item:${item.key}@${item.version}`, {}),
      remember: (item, value) =>
        value
          ? this.session.set(`item:${item.key}@${item.version}`, value)
          : this.session.remove(`item:${item.key}@${item.version}`),
      report: this.report,
      items: () => this.items,
      checklist: () => this.checklist,
    };
  }
}

// The preview module: shows the badge; its answer removes the badge and the drafts drawn.
type PreviewBadge = (host: Host, exit: () => void) => (keys: string[]) => void;

// What the target module offers (also behind waypost.debug).
export interface TargetApi {
  fingerprint(element: Element): Props;
  resolve(fingerprint: Props): { element: Element | null; score: number; result: string };
  waitFor(
    fingerprint: Props,
    seconds: number,
    stop?: { stopped: boolean },
  ): Promise<{ element: Element | null; score: number; result: string }>;
}
