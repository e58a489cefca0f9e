// The help menu: a button in the corner that opens a panel with the onboarding checklist (progress,
// tasks unlocking in order, a small celebration when all are done), the menu's sections for this
// person (walkthroughs to start, tasks, resources, shuttles) and a search across them in the
// person's language (text is matched as written, so Japanese needs no spaces between words).
import type { Host, Item, Props } from "../shared/types";
import { announce, el, layer, themed } from "../shared/ui";

const norm = (text: unknown) => (typeof text === "string" ? text.normalize("NFKC").toLowerCase() : "");

function searchable(item: Item): string {
  const d = item.definition;
  const parts: unknown[] = [d.name, d.title, d.summary, d.text, d.label, ...((d.tags as unknown[]) ?? [])];
  for (const step of (d.steps as Props[] | undefined) ?? []) parts.push(step.title, step.body);
  return parts.map(norm).join(" ");
}

const render = (host: Host, menu: Item): void => {
  const d = menu.definition;
  const root = layer();
  const wrap = el("div", { class: "wp", "data-key": menu.key });
  themed(wrap, { ...host.theme, ...(d.theme as Props | undefined) });
  const title = (d.title as string) || host.words.help;
  const button = el("button", { type: "button", class: "hub-button", "aria-expanded": "false", "aria-controls": "wp-hub" }, title);
  wrap.append(button);
  root.append(wrap);
  let panel: HTMLElement | null = null;
  let celebrated = false;

  const entry = (item: Item): HTMLElement => {
    const def = item.definition;
    const text = (def.title as string) || (def.label as string) || (def.name as string) || item.key;
    if (item.kind === "resource" || item.kind === "shuttle") {
      const link = el("a", { class: "entry", href: def.url as string }, text);
      if (item.kind === "shuttle" && def.new_tab !== false) link.setAttribute("target", "_blank");
      if (link.target) link.setAttribute("rel", "noopener");
      link.addEventListener("click", () => host.emit("$guide_cta_clicked", item, { $url: def.url }));
      return el("li", {}, link);
    }
    const task = host.checklist().tasks.find((t) => t.key === item.key);
    const action = el("button", { type: "button", class: "entry" });
    if (task) {
      action.append(el("span", { class: `check${task.done ? " done" : ""}`, "aria-hidden": "true" }, task.done ? "✓" : ""), text);
      action.setAttribute("aria-label", `${text}${task.done ? ` (${host.words.done})` : ""}`);
      if (!task.unlocked) action.setAttribute("aria-disabled", "true");
    } else action.append(text);
    action.addEventListener("click", () => {
      if (action.getAttribute("aria-disabled") === "true") return;
      host.emit("$guide_cta_clicked", menu, { $start: item.key });
      const start = item.kind === "task" ? (def.start as string | undefined) : item.key;
      if (start) {
        close();
        host.start(start);
      } else if (def.url) location.assign(def.url as string);
    });
    return el("li", {}, action);
  };

  const draw = (query: string) => {
    if (!panel) return;
    const body = panel.querySelector(".content")!;
    body.textContent = "";
    const items = new Map(host.items().map((i) => [i.key, i]));
    const wanted = norm(query).trim();
    if (wanted) {
      const hits = host.items().filter((i) => i.kind !== "menu" && i.key !== menu.key && searchable(i).includes(wanted));
      body.append(hits.length ? el("ul", {}, ...hits.map(entry)) : el("p", { class: "body" }, host.words.nothing));
      announce(hits.length ? `${hits.length}` : host.words.nothing);
      return;
    }
    const list = host.checklist();
    if (list.total) {
      const percent = Math.round((list.done / list.total) * 100);
      const bar = el("div", { class: "bar", role: "progressbar", "aria-valuenow": String(percent), "aria-valuemin": "0", "aria-valuemax": "100" }, el("div"));
      (bar.firstChild as HTMLElement).style.width = `${percent}%`;
      const tasks = list.tasks.map((t) => items.get(t.key)).filter((i): i is Item => !!i);
      body.append(
        el("h3", {}, `${(d.checklist_title as string) || host.words.help} · ${list.done} / ${list.total}`),
        bar,
        el("ul", {}, ...tasks.map(entry)),
      );
      if (list.done === list.total && !celebrated) {
        celebrated = true;
        body.append(el("p", { class: "body", role: "status" }, "🎉 ", host.words.done));
      }
    }
    for (const section of (d.sections as Props[]) ?? []) {
      const entries = ((section.items as string[]) ?? []).map((k) => items.get(k)).filter((i): i is Item => !!i && i.kind !== "task");
      if (!entries.length) continue;
      if (typeof section.title === "string") body.append(el("h3", {}, section.title));
      body.append(el("ul", {}, ...entries.map(entry)));
    }
  };

  const close = () => {
    panel?.remove();
    panel = null;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  };
  const open = () => {
    const search = el("input", { type: "search", "aria-label": host.words.search, placeholder: host.words.search });
    panel = el(
      "div",
      { class: "card hub", id: "wp-hub", role: "dialog", "aria-label": title },
      el("button", { type: "button", class: "close", "aria-label": host.words.close }, "×"),
      el("h2", {}, title),
      d.search === false ? null : search,
      el("div", { class: "content" }),
    );
    panel.querySelector(".close")!.addEventListener("click", close);
    panel.addEventListener("keydown", (e) => e.key === "Escape" && close());
    search.addEventListener("input", () => draw(search.value));
    wrap.append(panel);
    button.setAttribute("aria-expanded", "true");
    draw("");
    (d.search === false ? panel : search).focus();
    host.emit("$guide_shown", menu);
  };
  button.addEventListener("click", () => (panel ? close() : open()));
  // Decide answered again (a task done, a new page): redraw what is open.
  document.addEventListener("waypost:decided", () => panel && draw((panel.querySelector("input") as HTMLInputElement | null)?.value ?? ""));
};

export default render;
