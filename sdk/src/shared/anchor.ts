// A card anchored to an element of the page: on the side asked for, flipped to the opposite (or
// another) side when there is no room, shifted to stay on screen and below sticky headers, with an
// arrow and a ring around the element; followed every frame while shown, so scrolling (nested
// containers too), resizes, animations and layout shifts move it along, and hidden while the
// element is out of view. The element is scrolled into view first. (Our own small placer: see
// docs/decisions.md on why not Floating UI.)

import { el } from "./ui";

type Side = "top" | "bottom" | "left" | "right";
const GAP = 12;
const PAD = 8;
const OPPOSITE: Record<Side, Side> = { top: "bottom", bottom: "top", left: "right", right: "left" };

const reduced = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

export function bringIntoView(target: Element): void {
  const rect = rectOf(target);
  if (rect.top >= stickyBottom() && rect.bottom <= innerHeight && rect.left >= 0 && rect.right <= innerWidth) return;
  target.scrollIntoView({ block: "center", inline: "nearest", behavior: reduced() ? "auto" : "smooth" });
}

// How far down the viewport fixed or sticky headers reach (the host's, not ours). An overlay
// covering much of the screen (a modal's backdrop) is not a header.
function stickyBottom(): number {
  let bottom = 0;
  for (const element of document.elementsFromPoint(innerWidth / 2, 1)) {
    if (element.tagName === "WAYPOST-LAYER") continue;
    const position = getComputedStyle(element).position;
    const box = element.getBoundingClientRect();
    if ((position === "fixed" || position === "sticky") && box.height < innerHeight / 3)
      bottom = Math.max(bottom, box.bottom);
  }
  return bottom;
}

// The element's box in this window's viewport (an element in a same-origin frame is offset by
// the frame's position).
export function rectOf(target: Element): DOMRect {
  const rect = target.getBoundingClientRect();
  let x = rect.x;
  let y = rect.y;
  for (let view = target.ownerDocument.defaultView; view && view !== window && view.frameElement; view = view.parent as Window & typeof globalThis) {
    const frame = view.frameElement;
    const box = frame.getBoundingClientRect();
    x += box.x + frame.clientLeft;
    y += box.y + frame.clientTop;
  }
  return new DOMRect(x, y, rect.width, rect.height);
}

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(value, Math.max(low, high)));

export function place(
  target: DOMRect,
  width: number,
  height: number,
  wanted: Side,
  top: number,
): { x: number; y: number; side: Side } {
  const room: Record<Side, boolean> = {
    bottom: target.bottom + GAP + height <= innerHeight - PAD,
    top: target.top - GAP - height >= top + PAD,
    right: target.right + GAP + width <= innerWidth - PAD,
    left: target.left - GAP - width >= PAD,
  };
  const order: Side[] = [wanted, OPPOSITE[wanted], ...(["bottom", "top", "right", "left"] as Side[])];
  const side = order.find((s) => room[s]) ?? wanted;
  let x = target.left + target.width / 2 - width / 2;
  let y = target.top + target.height / 2 - height / 2;
  if (side === "bottom") y = target.bottom + GAP;
  if (side === "top") y = target.top - GAP - height;
  if (side === "right") x = target.right + GAP;
  if (side === "left") x = target.left - GAP - width;
  if (side === "top" || side === "bottom") x = clamp(x, PAD, innerWidth - width - PAD);
  else y = clamp(y, top + PAD, innerHeight - height - PAD);
  return { x, y, side };
}

export function anchor(
  target: Element,
  box: HTMLElement,
  wrap: HTMLElement,
  placement: string,
  spotlight = true,
): () => void {
  const tip = el("div", { class: "arrow" });
  box.append(tip);
  const ring = el("div", { class: spotlight ? "ring" : "" });
  wrap.prepend(ring);
  const wanted = (["top", "bottom", "left", "right"].includes(placement) ? placement : "bottom") as Side;
  let frame = 0;
  let last = "";
  const update = () => {
    frame = requestAnimationFrame(update);
    const rect = rectOf(target);
    const key = `${rect.top},${rect.left},${rect.width},${rect.height},${innerWidth},${innerHeight},${box.offsetWidth},${box.offsetHeight}`;
    if (key === last) return;
    last = key;
    const header = stickyBottom();
    const away = !target.isConnected || rect.bottom < header || rect.top > innerHeight || rect.right < 0 || rect.left > innerWidth;
    box.style.visibility = ring.style.visibility = away ? "hidden" : "visible";
    Object.assign(ring.style, {
      top: `${rect.top - 4}px`,
      left: `${rect.left - 4}px`,
      width: `${rect.width + 8}px`,
      height: `${rect.height + 8}px`,
    });
    const { x, y, side } = place(rect, box.offsetWidth, box.offsetHeight, wanted, header);
    Object.assign(box.style, { left: `${x}px`, top: `${y}px`, transform: "none" });
    const vertical = side === "top" || side === "bottom";
    const along = vertical
      ? clamp(rect.left + rect.width / 2 - x - 6, 12, box.offsetWidth - 24)
      : clamp(rect.top + rect.height / 2 - y - 6, 12, box.offsetHeight - 24);
    Object.assign(tip.style, {
      left: vertical ? `${along}px` : side === "right" ? "-6px" : "",
      right: !vertical && side === "left" ? "-6px" : "",
      top: vertical ? (side === "bottom" ? "-6px" : "") : `${along}px`,
      bottom: vertical && side === "top" ? "-6px" : "",
    });
  };
  // First placed in the next frame: the card's styles and the page's layout are worked out by
  // the browser's own rendering step, not forced in the middle of our script. Hidden until then,
  // so it never shows where it does not belong.
  box.style.visibility = ring.style.visibility = "hidden";
  frame = requestAnimationFrame(update);
  return () => cancelAnimationFrame(frame);
}
