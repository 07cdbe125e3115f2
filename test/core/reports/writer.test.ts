import { describe, expect, it } from 'vitest';
import type { ReportBatch } from '../../../src/core/reports/cells.ts';
import type { OpenFact } from '../../../src/core/reports/facts.ts';
import { MAX_PENDING, ReportWriter } from '../../../src/core/reports/writer.ts';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 11, 1, 10, 30);

/** A writer whose batches are kept for the test to read. */
function writer() {
  const batches: ReportBatch[] = [];
  const counted: Record<string, number> = {};
  const reports = new ReportWriter({
    store: { addToReports: async (batch: ReportBatch) => void batches.push(batch) } as never,
    background: () => undefined,
    logger: { info() {}, warn() {}, error() {}, request() {} },
    personOf: async (key) => `person-of-${key}`,
    windowDays: async () => 7,
    retentionDays: 30,
    count: (name, by = 1) => {
      counted[name] = (counted[name] ?? 0) + by;
    },
    now: () => START,
  });
  return { reports, batches, counted };
}

function fact(subject: string, at = START): OpenFact {
  return { blockId: 'cart', version: 1, messageId: 'm1', variant: '', requester: 'person', outcome: async () => 'personal', subject: async () => subject, at };
}

const opens = (batch: ReportBatch | undefined, unit: 'hour' | 'day') =>
  (batch?.counts ?? []).filter((row) => row.scope === 'b:cart' && row.unit === unit && row.measure === 'opens').map((row) => [row.bucket, row.value]);

describe('the report writer, with answers given again', () => {
  it('counts every open of an answer given again, as one fact with its count, beside the first open', async () => {
    const { reports, batches } = writer();
    const first = fact('alice');
    reports.open(first);
    const again = { ...first };
    for (let i = 1; i <= 4; i++) reports.openAgain(again, START + i * 1000);
    reports.open(fact('bob'));
    expect(reports.queued).toBe(3); // two opens and one group of repeats
    await reports.flush();
    expect(batches).toHaveLength(1);
    const hour = Math.floor(START / HOUR) * HOUR;
    expect(opens(batches[0], 'hour')).toEqual([[hour, 6]]);
    const openers = batches[0]?.people.find((p) => p.scope === 'b:cart' && p.unit === 'hour');
    expect(openers?.members.sort()).toEqual(['person-of-alice', 'person-of-bob']);
    // The last touch is the latest repeat's.
    expect(batches[0]?.touches.find((t) => t.person === 'person-of-alice')?.touches.open?.at).toBe(START + 4000);
  });

  it('starts a new group when the hour turns, so each hour gets its own opens', async () => {
    const { reports, batches } = writer();
    const again = fact('alice');
    const hour = Math.floor(START / HOUR) * HOUR;
    reports.openAgain(again, hour + HOUR - 2000);
    reports.openAgain(again, hour + HOUR - 1000);
    reports.openAgain(again, hour + HOUR + 1000);
    expect(reports.queued).toBe(2);
    await reports.flush();
    expect(opens(batches[0], 'hour').sort()).toEqual([
      [hour, 2],
      [hour + HOUR, 1],
    ]);
    // A flush ends the groups: the next repeat is a fact of its own.
    reports.openAgain(again, hour + HOUR + 2000);
    await reports.flush();
    expect(opens(batches[1], 'hour')).toEqual([[hour + HOUR, 1]]);
  });

  it('counts the last hour’s repeats once when the queue is full as the hour turns', async () => {
    const { reports, batches, counted } = writer();
    const again = fact('alice');
    const hour = Math.floor(START / HOUR) * HOUR;
    reports.openAgain(again, hour + HOUR - 1000);
    for (let i = 0; reports.queued < MAX_PENDING; i++) reports.open(fact(`filler-${i}`, hour + HOUR - 500));
    reports.openAgain(again, hour + HOUR + 1000); // a new hour, and no room: dropped
    reports.openAgain(again, hour + HOUR + 2000); // still no room: dropped again
    expect(counted['reports.dropped']).toBe(2);
    await reports.flush();
    expect(opens(batches[0], 'hour')).toEqual([[hour, MAX_PENDING]]);
  });

  it('never counts a HEAD (a prefetch) as an open, given again or not', async () => {
    const { reports, batches } = writer();
    reports.openAgain({ ...fact('alice'), requester: 'prefetch' }, START);
    expect(reports.queued).toBe(0);
    await reports.flush();
    expect(batches).toEqual([]);
  });
});
