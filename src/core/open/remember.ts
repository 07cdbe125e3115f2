import { LRUCache } from 'lru-cache';
import type { RequesterClass } from '../audience/requester.ts';
import type { Decision } from '../decide/decide.ts';
import type { Logger, OpenKey, OpenRecord } from '../ports.ts';
import { fingerprint } from '../render/render-key.ts';
import { describeError } from '../shared/errors.ts';
import { RecentMap } from '../shared/recent-map.ts';
import type { OpenWrites } from './writes.ts';

export function openKey(blockId: string, subjectKey: string, messageId: string | undefined): OpenKey {
  return { blockId, subjectKey, messageId: messageId ?? '' };
}

/** A re-open within this long that shows the same thing writes no open record (up to twice this). */
const RECORDED_MS = 60_000;
const RECORDED_MAX = 100_000;

/**
 * What each open showed, written as its open record off the response's
 * critical path: the lock of `first_open` and `minutes` blocks, and what its
 * clicks lead to. A re-open that shows the same thing writes nothing.
 */
export class Remember {
  private readonly deps: { writes: OpenWrites; background(work: Promise<unknown>): void; logger: Logger; now(): number; ttlSeconds: number };
  /** The render key last recorded for each open (its fingerprint), for a minute or two. */
  private readonly recorded: RecentMap<string>;
  /** Fingerprints of recent render keys: an open served from the cache holds the same key string as the last one. */
  private readonly fingerprints = new LRUCache<string, string>({ max: 1000 });

  constructor(deps: Remember['deps']) {
    this.deps = deps;
    this.recorded = new RecentMap({ windowMs: RECORDED_MS, max: RECORDED_MAX, now: () => deps.now() });
  }

  shown(key: OpenKey, decision: Decision, renderKey: string, requester: RequesterClass | undefined): void {
    const id = JSON.stringify([key.blockId, key.subjectKey, key.messageId]);
    // A fingerprint, not the key: a hundred thousand whole keys would be a hundred megabytes.
    let shown = this.fingerprints.get(renderKey);
    if (shown === undefined) {
      shown = fingerprint(renderKey);
      this.fingerprints.set(renderKey, shown);
    }
    if (this.recorded.get(id) === shown) return;
    this.recorded.set(id, shown);
    const record: OpenRecord = { decision, renderedAt: this.deps.now(), ...(requester ? { requester } : {}) };
    this.deps.background(
      this.deps.writes.putOpenRecord(key, record, this.deps.ttlSeconds).catch((error: unknown) => {
        this.recorded.delete(id);
        this.deps.logger.warn('open record not written', { block: key.blockId, error: describeError(error) });
      }),
    );
  }
}
