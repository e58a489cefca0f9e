// Walkthroughs: tooltip and popup steps, wait steps, auto-steps (Waypost clicks, types, selects or
// focuses for the person), splits decided by the server, action steps; advancing by the Next
// button, a click or input on the target, an element appearing or the URL changing; back, close
// and "2 of 5"; carried across pages and reloads by the session's memory (and decide's state).

import { anchor, bringIntoView } from "../shared/anchor";
import { onPage, matches } from "../shared/match";
import { resolve, waitFor } from "../shared/target";
import type { Host, Item, Props } from "../shared/types";
import { announce, card, follow, type ButtonSpec } from "../shared/ui";

interface Step {
  kind: "tooltip" | "popup" | "wait" | "auto" | "split" | "action";
  key?: string;
  target?: Props;
  placement?: string;
  title?: string;
  body?: string;
  buttons?: ButtonSpec[];
  advance?: "next" | "click" | "input" | "element" | "url";
  page?: Props;
  on_missing?: "skip" | "wait" | "end";
  wait_seconds?: number;
  wait?: { element?: Props; url?: Props; event?: string; timeout_seconds?: number; on_timeout?: "next" | "end" };
  auto?: { do: "click" | "type" | "select" | "focus"; value?: string };
  split?: { then: string; otherwise: string; holds?: boolean };
  action?: { open_url?: string; new_tab?: boolean; start?: string; track?: string };
}

const SHOWN = new Set(["tooltip", "popup"]);
const LONG_WAIT_SECONDS = 600;

const render = (host: Host, item: Item): void => {
  const steps = item.definition.steps as Step[];
  const memory = host.memory(item);
  let index =
    typeof memory.step === "number"
      ? memory.step
      : item.under_way && item.state.step != null
        ? item.state.step
        : 0;
  let ended = false;
  let run = 0; // each step's run: what an older one started must not act after it
  let cleanup: (() => void)[] = [];
  const total = steps.filter((s) => SHOWN.has(s.kind)).length;

  const clear = () => {
    for (const off of cleanup.splice(0)) off();
  };
  const end = (event: string | null) => {
    if (ended) return;
    ended = true;
    clear();
    host.remember(item, null);
    if (event) host.emit(event, item, { $content_step: index });
    host.release(item);
  };
  const go = (to: number | string) => {
    if (ended) return;
    const next = typeof to === "number" ? to : to === "end" ? steps.length : steps.findIndex((s) => s.key === to);
    if (next < 0 || next >= steps.length) return end("$guide_completed");
    index = next;
    host.remember(item, { step: index });
    void show();
  };
  const previous = () => {
    for (let i = index - 1; i >= 0; i--) if (SHOWN.has(steps[i].kind)) return go(i);
  };
  const listen = (target: EventTarget, type: string, handler: (e: Event) => void) => {
    target.addEventListener(type, handler, true);
    cleanup.push(() => target.removeEventListener(type, handler, true));
  };

  async function show(): Promise<void> {
    clear();
    const mine = ++run;
    const still = () => !ended && mine === run;
    const step = steps[index];
    if (step.page && !onPage(step.page)) {
      // The step lives on another page: wait for the person to get there.
      listen(document, "waypost:page", () => {
        if (onPage(step.page)) void show();
      });
      return;
    }
    host.emit("$guide_step_viewed", item, { $content_step: index });
    if (step.kind === "split") return go(step.split?.holds ? step.split.then : (step.split?.otherwise ?? index + 1));
    if (step.kind === "action") {
      const action = step.action ?? {};
      if (action.track) host.emit(action.track, item, { $content_step: index });
      if (action.start) host.start(action.start);
      if (action.open_url) {
        host.remember(item, { step: index + 1 });
        follow(host, item, { label: "", action: "url", url: action.open_url });
      }
      return go(index + 1);
    }
    if (step.kind === "wait") return waitStep(step, still);
    let target: Element | null = null;
    if (step.target && (step.kind === "tooltip" || step.kind === "auto")) {
      const found = await waitFor(step.target, step.wait_seconds ?? 10);
      if (!still()) return;
      if (!found.element) {
        host.emit("$guide_target_missing", item, { $content_step: index, $target_result: found.result });
        if (step.on_missing === "skip") return go(index + 1);
        if (step.on_missing === "end") return end(null);
        const late = await waitFor(step.target, LONG_WAIT_SECONDS, { get stopped() { return !still(); } });
        if (!still()) return;
        if (!late.element) return end(null);
        target = late.element;
      } else target = found.element;
    }
    if (step.kind === "auto") return autoStep(step, target);
    await new Promise((next) => setTimeout(next, 0)); // finding and drawing: two short tasks
    if (still()) draw(step, target);
  }

  function waitStep(step: Step, still: () => boolean): void {
    const wait = step.wait ?? {};
    const done = () => {
      if (still()) go(index + 1);
    };
    const timer = window.setTimeout(() => {
      if (still()) (wait.on_timeout === "end" ? end(null) : go(index + 1));
    }, (wait.timeout_seconds ?? 30) * 1000);
    cleanup.push(() => window.clearTimeout(timer));
    if (wait.element) void waitFor(wait.element, wait.timeout_seconds ?? 30, { get stopped() { return !still(); } }).then((r) => r.element && done());
    if (wait.url) {
      if (matches(wait.url, location.href)) return done();
      listen(document, "waypost:page", () => {
        if (matches(wait.url, location.href)) done();
      });
    }
    if (wait.event)
      listen(document, "waypost:track", (e) => {
        if ((e as CustomEvent).detail === wait.event) done();
      });
  }

  function autoStep(step: Step, target: Element | null): void {
    const auto = step.auto;
    if (target && auto) {
      const element = target as HTMLElement;
      if (auto.do === "focus") element.focus();
      else if (auto.do === "click") element.click();
      else {
        const field = element as HTMLInputElement | HTMLSelectElement;
        const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(field), "value")?.set;
        field.focus();
        if (setter) setter.call(field, auto.value ?? "");
        else field.value = auto.value ?? "";
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    go(index + 1);
  }

  function draw(step: Step, target: Element | null): void {
    const advance = step.advance ?? "next";
    const last = index === steps.length - 1 || steps.slice(index + 1).every((s) => !SHOWN.has(s.kind));
    let buttons = step.buttons;
    if (!buttons) {
      buttons = [];
      if (steps.slice(0, index).some((s) => SHOWN.has(s.kind))) buttons.push({ label: host.words.back, action: "back" });
      if (advance === "next") buttons.push({ label: last ? host.words.done : host.words.next, action: "next" });
    }
    const n = steps.slice(0, index + 1).filter((s) => SHOWN.has(s.kind)).length;
    const modal = step.kind === "popup" || !target;
    const shown = card(host, item, {
      title: step.title,
      body: step.body,
      buttons,
      className: modal ? "modal" : "tooltip",
      modal,
      focus: advance === "next",
      progress: total > 1 ? host.words.step.replace("{n}", String(n)).replace("{total}", String(total)) : undefined,
      onButton: (button) => {
        if (button.action === "back") return previous();
        if (button.action === "dismiss") return end("$guide_dismissed");
        if (button.action === "complete") return end("$guide_completed");
        if (button.action === "start") {
          end("$guide_completed"); // first, so that what it starts may take the stage
          return follow(host, item, button);
        }
        if (button.action === "url") {
          host.remember(item, { step: index + 1 });
          follow(host, item, button);
        }
        go(index + 1);
      },
      onClose: () => end("$guide_dismissed"),
    });
    cleanup.push(() => shown.wrap.remove());
    announce(step.title ?? "");
    if (target) {
      const element = target;
      requestAnimationFrame(() => bringIntoView(element));
      cleanup.push(anchor(target, shown.card, shown.wrap, step.placement ?? "auto"));
      if (advance === "click") listen(target, "click", () => go(index + 1));
      if (advance === "input") {
        let timer = 0;
        listen(target, "input", () => {
          window.clearTimeout(timer);
          timer = window.setTimeout(() => go(index + 1), 800);
        });
        listen(target, "change", () => go(index + 1));
      }
      // The element went away (the app re-rendered it): find it again.
      const watcher = window.setInterval(() => {
        if (!target!.isConnected) {
          const again = step.target ? resolve(step.target).element : null;
          if (again) void show();
        }
      }, 500);
      cleanup.push(() => window.clearInterval(watcher));
    }
    if (advance === "url") listen(document, "waypost:page", () => go(index + 1));
    if (advance === "element") {
      const next = steps[index + 1]?.target ?? step.wait?.element;
      if (next) void waitFor(next, LONG_WAIT_SECONDS).then((r) => r.element && !ended && go(index + 1));
    }
  }

  document.addEventListener("waypost:close", (e) => {
    if ((e as CustomEvent).detail === item.key && !ended) {
      ended = true;
      clear();
    }
  });
  if (!item.under_way && memory.step === undefined) host.emit("$guide_shown", item);
  void show();
};

export default render;
