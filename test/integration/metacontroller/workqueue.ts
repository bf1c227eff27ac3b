/**
 * client-go's rate-limited work queue, reduced to what a CompositeController uses:
 * - a key is queued at most once (adding a queued key is a no-op);
 * - a key being processed is never handed out again until `done`; adding it meanwhile marks it
 *   dirty, and it is queued again on `done` (so events during a sync coalesce into one more sync);
 * - `addAfter` keeps the earliest pending time per key, per purpose;
 * - `addRateLimited` backs off per key exponentially until `forget`.
 *
 * Deviation from Metacontroller (DefaultTypedControllerRateLimiter: per-item 5 ms doubling up to
 * 1000 s, combined with a 10 qps / burst 100 bucket): here the per-item backoff starts at 50 ms and
 * is capped at 5 s, with no bucket, so a test that breaks a hook for a while recovers within
 * seconds of the hook healing instead of up to ~17 minutes later.
 */

export interface WorkQueueOptions {
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Why a key waits: retries after failures count as pending work; requested resyncs do not. */
export type DelayPurpose = "backoff" | "resync";

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shutDown = false;
  private readonly changeListeners: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
  }

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  add(key: string): void {
    if (this.shutDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
    } else {
      this.queue.push(key);
    }
    this.changed();
  }

  addAfter(key: string, delayMs: number, purpose: DelayPurpose = "resync"): void {
    if (this.shutDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const id = `${purpose}\u0000${key}`;
    const at = Date.now() + delayMs;
    const existing = this.waiting.get(id);
    if (existing !== undefined && existing.at <= at) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(id);
      this.add(key);
      this.changed();
    }, delayMs);
    this.waiting.set(id, { at, timer });
    this.changed();
  }

  /** Requeue after the key's next backoff step. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** failures);
    this.addAfter(key, delay, "backoff");
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shutDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.changed();
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    this.changed();
  }

  /** Nothing queued, nothing processing, no backoff retry pending. */
  isIdle(): boolean {
    if (this.queue.length > 0 || this.processing.size > 0 || this.dirty.size > 0) return false;
    for (const id of this.waiting.keys()) if (id.startsWith("backoff\u0000")) return false;
    return true;
  }

  describe(): string {
    const backoff = [...this.waiting.keys()]
      .filter((id) => id.startsWith("backoff\u0000"))
      .map((id) => id.slice(8));
    return `queued=[${this.queue.join(",")}] processing=[${[...this.processing].join(",")}] backoff=[${backoff.join(",")}]`;
  }

  shutdown(): void {
    this.shutDown = true;
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    this.queue.length = 0;
    for (const getter of this.getters.splice(0)) getter(undefined);
    this.changed();
  }
}
