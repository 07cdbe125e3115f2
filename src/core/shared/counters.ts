import type { BackgroundRunner, CounterStore, Logger } from '../ports.ts';
import { describeError } from './errors.ts';

/**
 * Counts opens, renders and clicks in memory and writes them to the store
 * at most once a second, off the request path: an open must not wait for a
 * counter write, and a burst of opens costs one write, not thousands.
 */
export const COUNTER_FLUSH_MS = 1000;

export class Counters {
  private pending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private settleTask: (() => void) | undefined;
  private readonly store: CounterStore;
  private readonly background: BackgroundRunner;
  private readonly logger: Logger;

  constructor(store: CounterStore, background: BackgroundRunner, logger: Logger) {
    this.store = store;
    this.background = background;
    this.logger = logger;
  }

  /** Counter names waiting to be written (for /metrics). */
  get queued(): number {
    return this.pending.size;
  }

  add(name: string, by = 1): void {
    this.pending.set(name, (this.pending.get(name) ?? 0) + by);
    if (this.timer !== undefined) return;
    // The background task lasts until the flush, so Workers keep the request alive for it.
    this.background(new Promise<void>((resolve) => (this.settleTask = resolve)));
    this.timer = setTimeout(() => void this.flush(), COUNTER_FLUSH_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const settle = this.settleTask;
    this.settleTask = undefined;
    try {
      if (this.pending.size === 0) return;
      const batch = Object.fromEntries(this.pending);
      this.pending = new Map();
      try {
        await this.store.incrementCounters(batch);
      } catch (error) {
        // Put them back: counts are kept until the store takes them.
        for (const [name, n] of Object.entries(batch)) this.pending.set(name, (this.pending.get(name) ?? 0) + n);
        this.logger.warn('counters not written', { error: describeError(error) });
      }
    } finally {
      settle?.();
    }
  }

  /** Pending counts plus what the store has, for the stats endpoint. */
  async read(): Promise<Record<string, number>> {
    const stored = await this.store.readCounters();
    for (const [name, n] of this.pending) stored[name] = (stored[name] ?? 0) + n;
    return stored;
  }
}
