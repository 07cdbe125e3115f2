import { DAY_MS, HOUR_MS, bucketOf, cellKey, peopleKey, type ReportBatch, type ReportCount } from '../../src/core/reports/cells.ts';
import type { Store } from '../../src/core/ports.ts';

/**
 * The report bench's block: 1,000,000 opens over 30 days, seeded straight
 * into the store as the writer would have left them (hourly and daily
 * buckets; a split with two arms and a holdout; people, Apple's prefetch,
 * Gmail's proxy and scanners; clicks, conversions, revenue, what each open
 * got; about 300,000 distinct people, so every set of people is a
 * HyperLogLog).
 */
export const REPORT_BLOCK = 'bench-report';
const OPENS = 1_000_000;
const DAYS = 30;
const VARIANTS = ['bold', 'calm', 'holdout'];
const CLASSES: Array<[string, number]> = [
  ['person', 0.55],
  ['gmail_proxy', 0.2],
  ['apple_proxy', 0.2],
  ['scanner', 0.05],
];

function hex(n: number): string {
  let h = Math.imul(n ^ (n >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  const a = ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0');
  let g = Math.imul((n + 0x9e37) ^ 0x5bd1e995, 0x27d4eb2d);
  g ^= g >>> 15;
  return a + (g >>> 0).toString(16).padStart(8, '0');
}

/** Seeds the aggregates; resolves to the report's `from` and `to` (epoch ms). */
export async function seedReport(store: Store, now: number): Promise<{ from: number; to: number }> {
  const from = bucketOf(now - (DAYS - 1) * DAY_MS, 'day');
  const perHour = Math.round(OPENS / (DAYS * 24));
  for (let day = 0; day < DAYS; day++) {
    const batch: ReportBatch = { counts: [], people: [], touches: [], retentionMs: 400 * DAY_MS };
    const dayStart = from + day * DAY_MS;
    for (let hour = 0; hour < 24; hour++) {
      const at = dayStart + hour * HOUR_MS;
      for (const [v, variant] of VARIANTS.entries()) {
        const opens = perHour / VARIANTS.length;
        for (const [requester, share] of CLASSES) {
          const cell = cellKey({ block: REPORT_BLOCK, version: 3, message: `send-${day % 4}`, variant, requester });
          for (const unit of ['hour', 'day'] as const) {
            const bucket = bucketOf(at, unit);
            const add = (measure: string, value: number) => batch.counts.push({ scope: `b:${REPORT_BLOCK}`, unit, bucket, cell, measure, value } satisfies ReportCount);
            add('opens', Math.round(opens * share));
            if (requester === 'person' || requester === 'gmail_proxy') {
              add('personal', Math.round(opens * share * 0.7));
              add('generic:no_profile', Math.round(opens * share * 0.3));
              add('clicks', Math.round(opens * share * 0.05));
              add('conversions', Math.round(opens * share * 0.005 * (v + 1)));
              add('revenue:EUR', opens * share * 0.005 * 80);
            }
          }
        }
        // ~300,000 distinct people over the month, each hour's openers drawn from them.
        const members = Array.from({ length: Math.round(perHour / VARIANTS.length / 2) }, (_, i) => hex(((day * 24 + hour) * 977 + i * 31 + v * 7_000_001) % 300_000));
        for (const field of ['openers', 'clickers'] as const) {
          const set = peopleKey({ field, block: REPORT_BLOCK, message: `send-${day % 4}`, variant });
          const list = field === 'openers' ? members : members.slice(0, Math.ceil(members.length / 10));
          batch.people.push({ scope: `b:${REPORT_BLOCK}`, unit: 'hour', bucket: bucketOf(at, 'hour'), set, members: list });
          batch.people.push({ scope: `b:${REPORT_BLOCK}`, unit: 'day', bucket: bucketOf(at, 'day'), set, members: list });
        }
      }
    }
    await store.addToReports(batch, now);
  }
  return { from, to: now };
}
