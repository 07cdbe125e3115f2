import { LRUCache } from 'lru-cache';
import { DEDUPE_WINDOW_SECONDS } from './events/limits.ts';
import type { TrackedEvent } from './events/normalize.ts';
import { describeError } from './errors.ts';
import type { BackgroundRunner, Clock, Logger, Store } from './ports.ts';
import { reduceProfile } from './profiles/reducer.ts';

/**
 * Email engagement as events in the subscriber's own profile: an open by a
 * person records `Email Opened`, a click `Email Link Clicked`, so that rules
 * such as "has not opened in 30 days" work without another tool. Machines
 * (scanners, prefetches) record nothing. The messageId is derived from what
 * happened, so re-opening the same email within a day records it once.
 */
/** Engagement events this instance wrote lately: a re-open is a duplicate the store would drop, so it is not sent. */
const RECENT_MAX = 100_000;
const RECENT_MS = 10 * 60_000;

export class Engagement {
  /** When each recent event was recorded, by this instance's clock. */
  private readonly recent = new LRUCache<string, number>({ max: RECENT_MAX });
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly background: BackgroundRunner;
  private readonly logger: Logger;

  constructor(store: Store, clock: Clock, background: BackgroundRunner, logger: Logger) {
    this.store = store;
    this.clock = clock;
    this.background = background;
    this.logger = logger;
  }

  opened(subjectKey: string, blockId: string, messageId: string | undefined): void {
    this.record(subjectKey, 'Email Opened', `eo:${blockId}:${messageId ?? ''}`, { block: blockId, ...(messageId ? { message_id: messageId } : {}) });
  }

  clicked(subjectKey: string, blockId: string, slot: number, messageId: string | undefined): void {
    this.record(subjectKey, 'Email Link Clicked', `ec:${blockId}:${slot}:${messageId ?? ''}`, { block: blockId, slot, ...(messageId ? { message_id: messageId } : {}) });
  }

  private record(subjectKey: string, name: string, messageId: string, properties: Record<string, unknown>): void {
    const id = `${subjectKey}\n${messageId}`;
    const now = this.clock.now();
    // A store write per open would cost more than the open itself when it is answered from the cache.
    const recorded = this.recent.get(id);
    if (recorded !== undefined && now - recorded >= 0 && now - recorded < RECENT_MS) return;
    this.recent.set(id, now);
    const event: TrackedEvent = { type: 'track', messageId: messageId.slice(0, 100), event: name, properties, traits: {}, timestamp: now, receivedAt: now, context: {} };
    this.background(
      this.store.applyEvents([{ subjectKey, events: [event] }], reduceProfile, DEDUPE_WINDOW_SECONDS, now).catch((error: unknown) => {
        this.recent.delete(id);
        this.logger.warn('engagement not recorded', { event: name, error: describeError(error) });
      }),
    );
  }
}
