import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import { readArmCounts } from '../../../src/core/reports/arms.ts';
import { DAY_MS, bucketOf, cellKey, peopleKey } from '../../../src/core/reports/cells.ts';
import { orderCurrency, orderRevenue } from '../../../src/core/reports/orders.ts';
import { addPeople, countUnion, emptySketch } from '../../../src/core/reports/sketch.ts';
import { enoughData, probabilityBest, relativeLift } from '../../../src/core/reports/stats.ts';
import { reportCsv } from '../../../src/core/reports/csv.ts';
import { buildReport } from '../../../src/core/reports/report.ts';
import { person } from '../../stores/report-contract.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('order revenue', () => {
  it('is revenue, else total, else the sum of the products, in the order’s currency', () => {
    expect(orderRevenue({ revenue: 12.5, total: 99 })).toBe(12.5);
    expect(orderRevenue({ total: '40' })).toBe(40);
    expect(orderRevenue({ products: [{ price: 10, quantity: 2 }, { price: '2.5' }] })).toBe(22.5);
    expect(orderRevenue({ revenue: -5, products: [{ price: 'x' }] })).toBe(0);
    expect([orderCurrency({ currency: 'eur' }), orderCurrency({}), orderCurrency({ currency: 'euros' })]).toEqual(['EUR', 'USD', 'USD']);
  });
});

describe('statistics of a split', () => {
  it('gives the lift over the holdout with an interval around it', () => {
    const lift = relativeLift({ successes: 60, trials: 1000 }, { successes: 40, trials: 1000 });
    expect(lift?.value).toBeCloseTo(0.5, 4);
    expect(lift?.low).toBeLessThan(0.5);
    expect(lift?.high).toBeGreaterThan(0.5);
    expect(lift?.low).toBeGreaterThan(0); // 6 % against 4 % of a thousand each is a real difference
    expect(relativeLift({ successes: 1, trials: 0 }, { successes: 1, trials: 10 })).toBeNull();
  });

  it('gives each arm its chance of being best, the clearly better one nearly always', () => {
    const [a, b] = probabilityBest([
      { successes: 90, trials: 1000 },
      { successes: 30, trials: 1000 },
    ]);
    expect(a).toBeGreaterThan(0.99);
    expect((a as number) + (b as number)).toBeCloseTo(1, 5);
    expect(
      probabilityBest([
        { successes: 5, trials: 10 },
        { successes: 5, trials: 10 },
      ]).every((p) => p > 0.4 && p < 0.6),
    ).toBe(true);
  });

  it('says a sample is too small below 100 people a group or 10 successes in all', () => {
    expect(
      enoughData([
        { successes: 50, trials: 100 },
        { successes: 50, trials: 99 },
      ]),
    ).toBe(false);
    expect(
      enoughData([
        { successes: 4, trials: 500 },
        { successes: 5, trials: 500 },
      ]),
    ).toBe(false);
    expect(
      enoughData([
        { successes: 5, trials: 500 },
        { successes: 5, trials: 500 },
      ]),
    ).toBe(true);
  });
});

describe('people sketches', () => {
  it('are exact up to their limit and a close estimate of a large union', () => {
    let a = emptySketch();
    a = addPeople(
      a,
      Array.from({ length: 100 }, (_, i) => person(i)),
    );
    expect(countUnion([a])).toBe(100);
    let big = emptySketch();
    big = addPeople(
      big,
      Array.from({ length: 100_000 }, (_, i) => person(i)),
    );
    expect(Math.abs(countUnion([big, a]) - 100_000)).toBeLessThan(5000);
  });
});

describe('readArmCounts (for a sampler)', () => {
  it('reads each arm’s people, clickers and conversions of a hero split', async () => {
    const store = memoryStore();
    const day = bucketOf(NOW, 'day');
    const counts = (variant: string, measure: string, value: number) => ({
      scope: 'b:hero',
      unit: 'day' as const,
      bucket: day,
      cell: cellKey({ block: 'hero', version: 1, message: 'm', variant, requester: 'person' }),
      measure,
      value,
    });
    const people = (variant: string, field: 'openers' | 'clickers', from: number, n: number) => ({
      scope: 'b:hero',
      unit: 'day' as const,
      bucket: day,
      set: peopleKey({ field, block: 'hero', message: 'm', variant }),
      members: Array.from({ length: n }, (_, i) => person(from + i)),
    });
    await store.addToReports(
      {
        counts: [counts('bold', 'opens', 12), counts('bold', 'clicks', 4), counts('bold', 'conversions', 2), counts('holdout', 'opens', 5)],
        people: [people('bold', 'openers', 0, 10), people('bold', 'clickers', 0, 3), people('holdout', 'openers', 100, 5)],
        touches: [],
        retentionMs: 400 * DAY_MS,
      },
      NOW,
    );
    expect(await readArmCounts(store, 'hero', NOW)).toEqual([
      { arm: 'bold', holdout: false, people: 10, clickers: 3, clicks: 4, conversions: 2 },
      { arm: 'holdout', holdout: true, people: 5, clickers: 0, clicks: 0, conversions: 0 },
    ]);
    // And as CSV: one row per variant, the same columns as the totals.
    const csv = reportCsv(await buildReport(store, { block: 'hero', from: NOW - DAY_MS, to: NOW, by: 'day' }));
    expect(csv.split('\r\n')[0]).toMatch(/^row,key,opens_people/);
    expect(csv).toContain('\r\nvariant,bold,12,');
  });
});
