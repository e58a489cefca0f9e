// The snippet's layer: one element on the host page holding an open shadow root, styled by a
// constructed stylesheet (no inline <style> in the host document, so a strict CSP allows it),
// themable by CSS variables; and the card every content type is drawn in: a labelled dialog
// with its buttons, keyboard use (Tab, Enter, Esc), focus moved in and given back, and step
// changes announced.

import type { Host, Item, Props } from "./types";

const CSS = `
:host{all:initial}
*{box-sizing:border-box}
.wp{--wp-accent:#4338ca;--wp-bg:#fff;--wp-text:#1f2937;--wp-muted:#4b5563;--wp-radius:10px;--wp-width:340px;
font:14px/1.55 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",Meiryo,sans-serif;color:var(--wp-text);
overflow-wrap:anywhere;word-break:normal;line-break:strict}
.card{position:fixed;z-index:2147483600;background:var(--wp-bg);color:var(--wp-text);border-radius:var(--wp-radius);
box-shadow:0 12px 32px rgba(15,23,42,.28),0 0 0 1px rgba(15,23,42,.08);width:min(var(--wp-width),calc(100vw - 24px));padding:18px 18px 14px;
animation:wp-in .16s ease-out}
.card:focus{outline:none}
.card h2{font-size:16px;line-height:1.4;margin-block:0 6px;margin-inline:0 28px;font-weight:650}
.card .body{color:var(--wp-muted);margin:0 0 12px}
.card .body p{margin:0 0 8px}.card .body a{color:var(--wp-accent)}
.card img{max-width:100%;border-radius:6px;margin:0 0 10px;display:block}
.row{display:flex;gap:8px;align-items:center;justify-content:flex-end;flex-wrap:wrap}
.row .progress{margin-inline-end:auto;color:var(--wp-muted);font-size:12px}
button{font:inherit;cursor:pointer;border-radius:7px;padding:7px 14px;border:1px solid rgba(15,23,42,.18);background:var(--wp-bg);color:var(--wp-text)}
button.primary{background:var(--wp-accent);border-color:var(--wp-accent);color:#fff}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid var(--wp-accent);outline-offset:2px}
.close{position:absolute;top:8px;inset-inline-end:8px;border:0;background:transparent;width:30px;height:30px;padding:0;font-size:20px;line-height:1;color:var(--wp-muted)}
.backdrop{position:fixed;inset:0;z-index:2147483500;background:rgba(15,23,42,.45)}
.modal{top:50%;left:50%;transform:translate(-50%,-50%);width:min(calc(var(--wp-width) + 120px),calc(100vw - 24px))}
.banner{top:0;left:0;right:0;width:auto;border-radius:0;display:flex;gap:16px;align-items:center;padding:12px 48px 12px 18px}
.banner h2{margin:0}.banner .body{margin:0;flex:1}.banner .body p{margin:0}
.slideout{bottom:20px;inset-inline-end:20px}
.arrow{position:absolute;width:12px;height:12px;background:var(--wp-bg);transform:rotate(45deg)}
.ring{position:fixed;z-index:2147483550;border-radius:6px;box-shadow:0 0 0 3px var(--wp-accent),0 0 0 9999px rgba(15,23,42,.18);pointer-events:none;transition:all .12s}
.tip{width:min(280px,calc(100vw - 24px));padding:12px 14px}.tip h2{font-size:14px}.tip .body{margin:0}
.pin{position:fixed;z-index:2147483580;border:0;padding:0;cursor:pointer}
.beacon{width:14px;height:14px;border-radius:50%;background:var(--wp-accent);box-shadow:0 0 0 4px color-mix(in srgb,var(--wp-accent) 30%,transparent);animation:wp-pulse 1.6s infinite}
.icon{width:22px;height:22px;border-radius:50%;background:var(--wp-accent);color:#fff;font-weight:700;font-size:13px;line-height:22px;text-align:center}
.label{background:var(--wp-accent);color:#fff;border-radius:999px;padding:5px 12px}
.hub-button{position:fixed;z-index:2147483580;bottom:20px;inset-inline-end:20px;border-radius:999px;background:var(--wp-accent);color:#fff;border:0;padding:10px 18px;box-shadow:0 6px 18px rgba(15,23,42,.3)}
.hub{bottom:76px;inset-inline-end:20px;max-height:min(560px,calc(100vh - 100px));overflow:auto;width:min(360px,calc(100vw - 24px))}
.hub input[type=search]{width:100%;font:inherit;padding:8px 10px;border:1px solid rgba(15,23,42,.2);border-radius:7px;margin:0 0 12px}
.hub h3{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--wp-muted);margin:12px 0 6px}
.hub ul{list-style:none;margin:0;padding:0}.hub li{margin:0 0 4px}
.entry{display:flex;width:100%;text-align:start;gap:8px;align-items:center;border:0;background:transparent;padding:7px 8px;border-radius:7px;color:var(--wp-text);text-decoration:none}
.entry:hover{background:color-mix(in srgb,var(--wp-accent) 8%,transparent)}.entry[aria-disabled=true]{opacity:.5;cursor:default}
.check{width:18px;height:18px;border-radius:50%;border:2px solid var(--wp-accent);flex:none;display:inline-flex;align-items:center;justify-content:center;font-size:11px}
.check.done{background:var(--wp-accent);color:#fff}
.bar{height:6px;border-radius:3px;background:rgba(15,23,42,.1);margin:4px 0 10px}.bar>div{height:100%;border-radius:3px;background:var(--wp-accent)}
.scale{display:flex;gap:3px;margin:0 0 6px}.scale button{flex:1 1 0;min-width:0;padding:7px 0}
.scale button[aria-pressed=true]{background:var(--wp-accent);color:#fff;border-color:var(--wp-accent)}
.ends{display:flex;justify-content:space-between;font-size:12px;color:var(--wp-muted);margin:0 0 10px}
.choices label{display:flex;gap:8px;align-items:center;margin:0 0 6px}
textarea,.other{width:100%;font:inherit;padding:8px;border:1px solid rgba(15,23,42,.2);border-radius:7px;margin:0 0 10px}
@keyframes wp-pulse{50%{box-shadow:0 0 0 8px color-mix(in srgb,var(--wp-accent) 10%,transparent)}}
.badge{position:fixed;z-index:2147483590;bottom:12px;inset-inline-start:12px;background:#1f2937;color:#fff;border-radius:999px;padding:3px 3px 3px 12px;font-size:12px;box-shadow:0 4px 12px rgba(15,23,42,.3)}
.badge button{padding:2px 10px;border:0;border-radius:999px;font-size:12px}.badge button:focus-visible{outline-color:#fff}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@keyframes wp-in{from{opacity:0;translate:0 6px}to{opacity:1;translate:0 0}}
@media (prefers-reduced-motion:reduce){.card,.ring,.beacon{animation:none;transition:none}}
`;

let shadow: ShadowRoot | null = null;
let layerElement: HTMLElement | null = null;
let live: HTMLElement | null = null;

export function layer(): ShadowRoot {
  if (!shadow || !layerElement) {
    layerElement = document.createElement("waypost-layer");
    layerElement.setAttribute("data-waypost-ignore", "");
    shadow = layerElement.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }
    live = el("div", { class: "sr", "aria-live": "polite" });
    shadow.appendChild(live);
  }
  if (!layerElement.isConnected) document.documentElement.appendChild(layerElement);
  return shadow;
}

export function layerHost(): HTMLElement | null {
  return layerElement;
}

export function announce(text: string): void {
  layer();
  if (live) live.textContent = text;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child != null) element.append(child);
  return element;
}

// Builders' rich text, already made safe by the server (an allow-list of Markdown's HTML).
export function rich(html: unknown): HTMLElement | null {
  if (typeof html !== "string" || !html) return null;
  const body = el("div", { class: "body" });
  body.innerHTML = html;
  return body;
}

export function themed(container: HTMLElement, theme: Props | undefined): void {
  const direction = document.documentElement.dir || getComputedStyle(document.documentElement).direction;
  container.setAttribute("dir", direction === "rtl" ? "rtl" : "ltr");
  if (!theme) return;
  const names: Record<string, string> = { accent: "accent", background: "bg", text: "text" };
  for (const [field, variable] of Object.entries(names))
    if (typeof theme[field] === "string") container.style.setProperty(`--wp-${variable}`, theme[field] as string);
  if (typeof theme.radius === "number") container.style.setProperty("--wp-radius", `${theme.radius}px`);
  if (typeof theme.width === "number") container.style.setProperty("--wp-width", `${theme.width}px`);
}

export type ButtonSpec = { label: string; action: string; url?: string; start?: string };

export interface CardOptions {
  title?: unknown;
  body?: unknown;
  image?: unknown;
  buttons: ButtonSpec[];
  className: string;
  modal: boolean;
  progress?: string;
  // Move focus into the card (modals always; a tooltip only when its buttons are how it goes
  // on, never when the person is to click or type in the page).
  focus?: boolean;
  onButton: (button: ButtonSpec) => void;
  onClose: () => void;
}

let cards = 0;

// A dialog in the layer. Returns the wrapper (remove it to close) and the card (to position).
export function card(host: Host, item: Item, options: CardOptions): { wrap: HTMLElement; card: HTMLElement } {
  const root = layer();
  const id = `wp-title-${++cards}`;
  const wrap = el("div", { class: "wp", "data-key": item.key });
  themed(wrap, { ...host.theme, ...(item.definition.theme as Props | undefined) });
  const box = el("div", {
    class: `card ${options.className}`,
    role: options.modal ? "dialog" : "region",
    tabindex: "-1",
  });
  if (options.modal) box.setAttribute("aria-modal", "true");
  const title = typeof options.title === "string" && options.title ? el("h2", { id }, options.title) : null;
  if (title) box.setAttribute("aria-labelledby", id);
  else box.setAttribute("aria-label", item.definition.name as string ?? item.key);
  const close = el("button", { class: "close", type: "button", "aria-label": host.words.close }, "×");
  close.addEventListener("click", options.onClose);
  const row = el("div", { class: "row" });
  if (options.progress) row.append(el("span", { class: "progress" }, options.progress));
  for (const [index, spec] of options.buttons.entries()) {
    const last = index === options.buttons.length - 1;
    const button = el("button", { type: "button", class: last ? "primary" : "" }, spec.label);
    button.addEventListener("click", () => options.onButton(spec));
    row.append(button);
  }
  const image = typeof options.image === "string" && options.image ? el("img", { src: options.image, alt: "" }) : null;
  box.append(close, image ?? "", title ?? "", rich(options.body) ?? "", row);
  if (options.modal) wrap.append(el("div", { class: "backdrop" }));
  wrap.append(box);
  const before = document.activeElement as HTMLElement | null;
  wrap.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      options.onClose();
    } else if (event.key === "Tab" && options.modal) {
      const focusable = Array.from(box.querySelectorAll<HTMLElement>("button,a[href],input,select,textarea"));
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      const active = root.activeElement;
      if (event.shiftKey && active === first) {
        event.preventDefault();
        last?.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first?.focus();
      }
    }
  });
  const observer = new MutationObserver(() => {
    if (!wrap.isConnected) {
      observer.disconnect();
      if (before && before.isConnected && options.modal) before.focus();
    }
  });
  observer.observe(root, { childList: true });
  root.append(wrap);
  if (options.modal || options.focus) {
    const primary = row.querySelector<HTMLElement>("button.primary");
    (primary ?? box).focus({ preventScroll: true });
  }
  return { wrap, card: box };
}

// Follow a button's action that leads elsewhere (a URL: this tab for the app's own pages, a new
// one for others) or starts another item; each counts as a call to action.
export function follow(host: Host, item: Item, button: ButtonSpec): void {
  if (button.action === "url" && button.url) {
    host.emit("$guide_cta_clicked", item, { $cta: button.label, $url: button.url });
    const target = new URL(button.url, location.href);
    if (target.origin === location.origin) location.assign(target.href);
    else window.open(target.href, "_blank", "noopener");
  } else if (button.action === "start" && button.start) {
    host.emit("$guide_cta_clicked", item, { $cta: button.label, $start: button.start });
    host.start(button.start);
  }
}
