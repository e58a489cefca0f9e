// Shoutouts: a modal, a banner across the top, or a slide-out in the corner, with a call to action.
import { card, follow, type ButtonSpec } from "../shared/ui";
import type { Host, Item } from "../shared/types";

const render = (host: Host, item: Item): void => {
  const d = item.definition;
  const style = (d.style as string) || "modal";
  const buttons = ((d.buttons as ButtonSpec[] | undefined) ?? []).length
    ? (d.buttons as ButtonSpec[])
    : [{ label: host.words.done, action: "complete" }];
  let open = true;
  const end = (event: string) => {
    if (!open) return;
    open = false;
    shown.wrap.remove();
    host.emit(event, item);
    host.release(item);
  };
  const shown = card(host, item, {
    title: d.title,
    body: d.body,
    image: d.image,
    buttons,
    className: style,
    modal: style === "modal",
    onButton: (button) => {
      // Ended first: what the button starts may take the stage at once.
      end(button.action === "dismiss" ? "$guide_dismissed" : "$guide_completed");
      follow(host, item, button);
    },
    onClose: () => end("$guide_dismissed"),
  });
  document.addEventListener("waypost:close", (e) => {
    if ((e as CustomEvent).detail === item.key && open) {
      open = false;
      shown.wrap.remove();
    }
  });
  host.emit("$guide_shown", item);
};

export default render;
