// Launchers: a button, beacon or icon beside an element that starts an item or opens a shuttle.
import { place, rectOf } from "../shared/anchor";
import { waitFor } from "../shared/target";
import type { Host, Item, Props } from "../shared/types";
import { el, layer, themed } from "../shared/ui";

const render = async (host: Host, item: Item): Promise<void> => {
  const d = item.definition;
  const found = await waitFor(d.target as Props, 10);
  if (!found.element) {
    host.emit("$guide_target_missing", item, { $target_result: found.result });
    return;
  }
  const target = found.element;
  const style = (d.style as string) || "beacon";
  const label = typeof d.label === "string" ? d.label : "";
  const shuttle = d.shuttle ? host.items().find((i) => i.key === d.shuttle) : undefined;
  const name = label || (shuttle?.definition.label as string) || (d.name as string) || host.words.help;
  const pin = el(
    "button",
    { type: "button", class: `pin ${style === "button" ? "label" : style}`, "aria-label": name },
    style === "button" ? label || name : style === "icon" ? "?" : "",
  );
  const wrap = el("div", { class: "wp", "data-key": item.key }, pin);
  themed(wrap, { ...host.theme, ...(d.theme as Props | undefined) });
  layer().append(wrap);
  pin.addEventListener("click", () => {
    host.emit("$guide_cta_clicked", item);
    host.start((d.start ?? d.shuttle) as string); // a shuttle opens its link (Guide.start)
  });
  host.emit("$guide_shown", item);
  const side = (d.placement as string) || "right";
  const follow = () => {
    const rect = rectOf(target);
    const gone = !target.isConnected || rect.bottom < 0 || rect.top > innerHeight;
    pin.style.visibility = gone ? "hidden" : "visible";
    const { x, y } = place(rect, pin.offsetWidth, pin.offsetHeight, side as "right", 0);
    Object.assign(pin.style, { left: `${x}px`, top: `${y}px` });
    requestAnimationFrame(follow);
  };
  follow();
};

export default render;
