// Browser storage that never throws: private modes, full quotas and sandboxed frames fall back to
// memory for this page's life.

const memory = new Map<string, string>();

// The storage area, or null where reading it throws (sandboxed frames, some private modes). No
// probe write: every use is guarded anyway, and a failed write falls back to memory.
function area(kind: "localStorage" | "sessionStorage"): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

export class Store {
  private readonly storage: Storage | null;

  constructor(
    private readonly prefix: string,
    kind: "localStorage" | "sessionStorage" = "localStorage",
  ) {
    this.storage = area(kind);
  }

  get<T>(name: string, otherwise: T): T {
    const key = this.prefix + name;
    let text: string | null | undefined;
    try {
      text = this.storage ? this.storage.getItem(key) : memory.get(key);
    } catch {
      text = memory.get(key);
    }
    if (text == null) return otherwise;
    try {
      return JSON.parse(text) as T;
    } catch {
      return otherwise;
    }
  }

  set(name: string, value: unknown): void {
    const key = this.prefix + name;
    const text = JSON.stringify(value);
    try {
      if (this.storage) {
        this.storage.setItem(key, text);
        return;
      }
    } catch {
      // Full or forbidden: keep it for this page at least.
    }
    memory.set(key, text);
  }

  remove(name: string): void {
    const key = this.prefix + name;
    memory.delete(key);
    try {
      this.storage?.removeItem(key);
    } catch {
      // Nothing to do.
    }
  }
}

export function uuid(): string {
  const crypto = window.crypto;
  if (crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
