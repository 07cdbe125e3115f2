import type { Counters } from '../shared/counters.ts';
import type { Engagement } from '../audience/engagement.ts';
import type { ByteCache, OpenKey, OpenRecord, OpenRecordStore } from '../ports.ts';
import type { OpenFact } from '../reports/facts.ts';
import type { ReportWriter } from '../reports/writer.ts';

/**
 * Everything the open path writes, behind one port: what an open showed
 * (the lock of `first_open` and `minutes` blocks, and what its clicks lead
 * to), the subscriber's `Email Opened`, the counters of /v1/stats, and
 * finished renders kept for later opens. A preview (`opentime render`, the
 * Studio) runs the same pipeline with `previewWrites`: it reads live data
 * and writes nothing that a real open, a click or a report could see.
 */
export interface OpenWrites {
  /** False in a preview. */
  readonly live: boolean;
  putOpenRecord(key: OpenKey, record: OpenRecord, ttlSeconds: number): Promise<void>;
  opened(subjectKey: string, blockId: string, messageId: string | undefined): void;
  count(name: string): void;
  /** One open for the reports (core/reports/writer.ts), written off the request path. */
  reportOpen(fact: OpenFact): void;
  /** An answer given again: the same fact as its earlier repeats, opened at `at` (ReportWriter.openAgain). */
  reportOpenAgain(fact: OpenFact, at: number): void;
  now(): number;
  cacheRender(key: string, bytes: Uint8Array): Promise<void>;
}

export function liveWrites(parts: {
  store: Pick<OpenRecordStore, 'putOpenRecord'>;
  renderCache: ByteCache;
  counters: Counters;
  engagement: Engagement;
  reports: ReportWriter;
  now: () => number;
}): OpenWrites {
  const { store, renderCache, counters, engagement, reports, now } = parts;
  return {
    live: true,
    putOpenRecord: (key, record, ttlSeconds) => store.putOpenRecord(key, record, ttlSeconds),
    opened: (subjectKey, blockId, messageId) => engagement.opened(subjectKey, blockId, messageId),
    count: (name) => counters.add(name),
    reportOpen: (fact) => reports.open(fact),
    reportOpenAgain: (fact, at) => reports.openAgain(fact, at),
    now,
    cacheRender: (key, bytes) => renderCache.set(key, bytes),
  };
}

/** Writes nothing: what a preview's open would have written is dropped here, and only here. */
export function previewWrites(): OpenWrites {
  return {
    live: false,
    putOpenRecord: async () => undefined,
    opened: () => undefined,
    count: () => undefined,
    reportOpen: () => undefined,
    reportOpenAgain: () => undefined,
    now: () => 0,
    cacheRender: async () => undefined,
  };
}
