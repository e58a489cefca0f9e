// What the core hands to the modules that render content, and what decide answers per item.

export type Props = Record<string, unknown>;

export interface ItemState {
  shown: number;
  completed: boolean;
  dismissed: boolean;
  step: number | null;
  last_shown: string | null;
}

export interface Item {
  key: string;
  kind: string;
  version: number;
  priority: number;
  under_way: boolean;
  // Answered only so the person can start it (from the menu, a launcher, a button).
  listed?: boolean;
  // A builder's draft, answered for their preview link only.
  preview?: boolean;
  // A task done by its rule with no $task_completed stored yet: the snippet reports it.
  unreported?: boolean;
  // Absent in decide's answer when the snippet held it; the core fills it in from its cache.
  definition: Props;
  state: ItemState;
}

// The words of the snippet's own controls, in the person's language.
export interface Words {
  next: string;
  back: string;
  close: string;
  done: string;
  step: string; // "{n} of {total}"
  help: string;
  search: string;
  nothing: string;
  other: string;
  preview: string;
  exit: string;
  exitPreview: string;
}

export interface Host {
  locale: string;
  words: Words;
  // The app's theme, under each item's own (decide's `theme`).
  theme?: Props;
  // Send a guidance event about the item (adds $content_id and $content_version).
  emit(event: string, item: Item, props?: Props): void;
  // The item is over (finished, dismissed or given up): another interruption may start.
  release(item: Item): void;
  // Start another item now (a button's `start`, a launcher, the menu).
  start(key: string): void;
  // What the person's session remembers for an item (a walkthrough's step across pages).
  memory(item: Item): Props;
  remember(item: Item, value: Props | null): void;
  report(where: string, error: unknown): void;
  items(): Item[];
  // The person's onboarding checklist as decide counted it.
  checklist(): Checklist;
}

export interface Checklist {
  done: number;
  total: number;
  tasks: { key: string; done: boolean; unlocked: boolean }[];
}

export type Render = (host: Host, item: Item) => void | Promise<void>;
