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
export class Engagement {
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
    const now = this.clock.now();
    const event: TrackedEvent = { type: 'track', messageId: messageId.slice(0, 100), event: name, properties, traits: {}, timestamp: now, receivedAt: now, context: {} };
    this.background(
      this.store.applyEvents([{ subjectKey, events: [event] }], reduceProfile, DEDUPE_WINDOW_SECONDS, now).catch((error: unknown) => {
        this.logger.warn('engagement not recorded', { event: name, error: describeError(error) });
      }),
    );
  }
}
