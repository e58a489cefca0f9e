// Smart tips: a hint on an element, shown while the element (or its beacon) is hovered or focused,
// or always. Passive: they never take the screen and never count against the attention budget.
import { anchor } from "../shared/anchor";
import { waitFor } from "../shared/target";
import type { Host, Item, Props } from "../shared/types";
import { el, layer, rich, themed } from "../shared/ui";

const render = async (host: Host, item: Item): Promise<void> => {
  const d = item.definition;
  const found = await waitFor(d.target as Props, 10);
  if (!found.element) {
    host.emit("$guide_target_missing", item, { $target_result: found.result });
    return;
  }
  const target = found.element;
  const wrap = el("div", { class: "wp", "data-key": item.key });
  themed(wrap, { ...host.theme, ...(d.theme as Props | undefined) });
  const id = `wp-tip-${item.key}`;
  const box = el(
    "div",
    { class: "card tip", role: "tooltip", id },
    typeof d.title === "string" && d.title ? el("h2", {}, d.title) : null,
    rich(d.body),
  );
  layer().append(wrap);
  let stop: (() => void) | null = null;
  let shown = false;
  const open = () => {
    if (stop) return;
    wrap.append(box);
    stop = anchor(target, box, wrap, (d.placement as string) || "auto", false);
    if (!shown) {
      shown = true;
      host.emit("$guide_shown", item);
    }
  };
  const close = () => {
    stop?.();
    stop = null;
    box.remove();
    wrap.querySelector(".arrow")?.remove();
  };
  target.setAttribute("aria-describedby", id);
  if (d.mode === "always") return open();
  for (const [type, handler] of [
    ["mouseenter", open],
    ["focus", open],
    ["mouseleave", close],
    ["blur", close],
  ] as const)
    target.addEventListener(type, handler);
  document.addEventListener("keydown", (event) => event.key === "Escape" && close());
};

export default render;
