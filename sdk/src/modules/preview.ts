// The preview badge: while a builder's preview link is in use, a small "Preview · Exit" in the
// corner says that this tab shows a draft. Loaded only then. Exit ends the preview; what the
// badge's module answers removes the badge and whatever the drafts drew.
import type { Host } from "../shared/types";
import { el, layer, themed } from "../shared/ui";

const render = (host: Host, exit: () => void): ((keys: string[]) => void) => {
  const root = layer();
  const words = host.words;
  const button = el("button", { type: "button", "aria-label": words.exitPreview }, words.exit);
  const badge = el("div", { class: "wp" }, el("div", { class: "badge", role: "status" }, `${words.preview} · `, button));
  themed(badge, undefined);
  button.addEventListener("click", exit);
  root.append(badge);
  return (keys) => {
    badge.remove();
    for (const key of keys) root.querySelectorAll(`[data-key="${CSS.escape(key)}"]`).forEach((n) => n.remove());
  };
};

export default render;
