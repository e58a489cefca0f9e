// The outbox: every message is written to localStorage before anything is sent, sent in batches
// to /v1/batch, and removed only when the server has acknowledged it. A dropped request is retried
// with backoff; a page being hidden sends what is waiting with sendBeacon and keeps it until a
// later page sees it acknowledged. Every message carries its messageId, so a message sent twice
// (a beacon and a retry, two tabs) is stored once by the server.

import { Store } from "./store";

export type Message = { messageId: string } & Record<string, unknown>;

const MAX_WAITING = 1000; // messages kept while offline
const BATCH_MESSAGES = 50;
const BATCH_BYTES = 400_000; // under the server's 500 KB per batch
const KEEPALIVE_BYTES = 60_000; // browsers allow 64 KB of keepalive bodies in flight
const FIRST_DELAY_MS = 500;
const MAX_BACKOFF_MS = 60_000;

export class Outbox {
  private timer: number | undefined;
  private sending = false;
  private failures = 0;

  constructor(
    private readonly store: Store,
    private readonly url: string,
    private readonly writeKey: string,
    private readonly warn: (what: string, detail?: unknown) => void,
  ) {}

  waiting(): Message[] {
    return this.store.get<Message[]>("outbox", []);
  }

  add(message: Message): void {
    const waiting = this.waiting();
    waiting.push(message);
    if (waiting.length > MAX_WAITING) {
      const dropped = waiting.splice(0, waiting.length - MAX_WAITING);
      this.warn("outbox full: oldest messages dropped", dropped.length);
    }
    this.store.set("outbox", waiting);
    this.schedule(this.failures ? this.backoff() : FIRST_DELAY_MS);
  }

  private settle(ids: Set<string>): void {
    // Read again: another tab may have added messages meanwhile.
    this.store.set(
      "outbox",
      this.waiting().filter((m) => !ids.has(m.messageId)),
    );
  }

  private backoff(): number {
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 6));
    return base / 2 + Math.random() * (base / 2);
  }

  schedule(delay: number): void {
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  now(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    void this.flush();
  }

  private body(batch: Message[]): string {
    return JSON.stringify({ writeKey: this.writeKey, sentAt: new Date().toISOString(), batch });
  }

  private take(): Message[] {
    const batch: Message[] = [];
    let bytes = 0;
    for (const message of this.waiting()) {
      const size = JSON.stringify(message).length;
      if (batch.length && (batch.length >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)) break;
      batch.push(message);
      bytes += size;
    }
    return batch;
  }

  async flush(): Promise<void> {
    if (this.sending) return;
    const batch = this.take();
    if (!batch.length) return;
    this.sending = true;
    const body = this.body(batch);
    let status = 0;
    let answer: { rejected?: unknown[] } | null = null;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        // text/plain needs no CORS preflight; the server reads it as JSON.
        headers: { "Content-Type": "text/plain" },
        body,
        keepalive: body.length < KEEPALIVE_BYTES,
        credentials: "omit",
      });
      status = response.status;
      answer = await response.json().catch(() => null);
    } catch {
      status = 0; // offline or dropped: keep them
    }
    this.sending = false;
    const retry = status === 0 || status === 408 || status === 429 || status >= 500;
    if (retry) {
      this.failures += 1;
      this.schedule(this.backoff());
      return;
    }
    this.failures = 0;
    if (status !== 200) this.warn(`the server refused ${batch.length} messages (${status})`, answer);
    else if (answer?.rejected?.length) this.warn("the server refused some messages", answer.rejected);
    this.settle(new Set(batch.map((m) => m.messageId)));
    if (this.waiting().length) this.schedule(0);
  }

  // The page is going away: hand everything waiting to the browser to send. The messages stay in
  // the outbox until a later page gets them acknowledged (the server stores each once).
  beacon(): void {
    if (typeof navigator.sendBeacon !== "function") return;
    let batch: Message[] = [];
    let bytes = 0;
    const send = () => {
      if (batch.length)
        navigator.sendBeacon(this.url, new Blob([this.body(batch)], { type: "text/plain" }));
      batch = [];
      bytes = 0;
    };
    for (const message of this.waiting()) {
      const size = JSON.stringify(message).length;
      if (bytes + size > KEEPALIVE_BYTES) send();
      batch.push(message);
      bytes += size;
    }
    send();
  }
}
