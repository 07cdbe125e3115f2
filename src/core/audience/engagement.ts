import { RecentMap } from '../shared/recent-map.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import { describeError } from '../shared/errors.ts';
import type { BackgroundRunner, Clock, Logger, Store } from '../ports.ts';

/**
 * Email engagement as events in the subscriber's own profile: an open by a
 * person records `Email Opened`, a click `Email Link Clicked`, so that rules
 * such as "has not opened in 30 days" work without another tool. Machines
 * (scanners, prefetches) record nothing. The messageId is derived from what
 * happened, so re-opening the same email within a day records it once.
 */
/** Engagement events this instance wrote lately: a re-open is a duplicate the store would drop, so it is not sent. */
const RECENT_MAX = 50_000;
const RECENT_MS = 10 * 60_000;
/**
 * Engagement events are written together, at most this long after the open:
 * the first minutes of a send are hundreds of opens a second by subscribers
 * never seen before, and one durable write each (an fsync on the embedded
 * store) would hold up the opens themselves.
 */
export const ENGAGEMENT_FLUSH_MS = 100;
const MAX_BATCH = 1000;

interface Pending {
  id: string;
  subjectKey: string;
  event: TrackedEvent;
}

export class Engagement {
  /** When each recent event was recorded, by this instance's clock. */
  private readonly recent: RecentMap<number>;
  private batch: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves the background task that keeps a batch's writes tracked (Workers: waitUntil) until they are done. */
  private settleBatch: (() => void) | undefined;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly background: BackgroundRunner;
  private readonly logger: Logger;

  constructor(store: Store, clock: Clock, background: BackgroundRunner, logger: Logger) {
    this.store = store;
    this.clock = clock;
    this.recent = new RecentMap({ windowMs: RECENT_MS, max: RECENT_MAX, now: () => clock.now() });
    this.background = background;
    this.logger = logger;
  }

  /** Events waiting to be written (for /metrics). */
  get queued(): number {
    return this.batch.length;
  }

  opened(subjectKey: string, blockId: string, messageId: string | undefined): void {
    this.record(subjectKey, 'Email Opened', `eo:${blockId}:${messageId ?? ''}`, { block: blockId, ...(messageId ? { message_id: messageId } : {}) });
  }

  clicked(subjectKey: string, blockId: string, slot: number, messageId: string | undefined): void {
    this.record(subjectKey, 'Email Link Clicked', `ec:${blockId}:${slot}:${messageId ?? ''}`, { block: blockId, slot, ...(messageId ? { message_id: messageId } : {}) });
  }

  /** Writes the events recorded so far (before shutting down, and in tests). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    const settle = this.settleBatch;
    this.batch = [];
    this.settleBatch = undefined;
    try {
      if (batch.length === 0) return;
      const groups = new Map<string, TrackedEvent[]>();
      for (const entry of batch) groups.set(entry.subjectKey, [...(groups.get(entry.subjectKey) ?? []), entry.event]);
      await this.store.applyEvents(
        [...groups].map(([subjectKey, events]) => ({ subjectKey, events })),
        this.clock.now(),
      );
    } catch (error) {
      for (const entry of batch) this.recent.delete(entry.id);
      this.logger.warn('engagement not recorded', { events: batch.length, error: describeError(error) });
    } finally {
      settle?.();
    }
  }

  private record(subjectKey: string, name: string, messageId: string, properties: Record<string, unknown>): void {
    const id = `${subjectKey}\n${messageId}`;
    const now = this.clock.now();
    // A store write per open would cost more than the open itself when it is answered from the cache.
    const recorded = this.recent.get(id);
    if (recorded !== undefined && now - recorded >= 0 && now - recorded < RECENT_MS) return;
    this.recent.set(id, now);
    const event: TrackedEvent = { type: 'track', messageId: messageId.slice(0, 100), event: name, properties, traits: {}, timestamp: now, receivedAt: now, context: {} };
    this.batch.push({ id, subjectKey, event });
    if (this.batch.length >= MAX_BATCH) {
      void this.flush();
      return;
    }
    if (this.timer !== undefined) return;
    this.background(new Promise<void>((resolve) => (this.settleBatch = resolve)));
    this.timer = setTimeout(() => void this.flush(), ENGAGEMENT_FLUSH_MS);
  }
}
