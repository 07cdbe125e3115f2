import { describe, expect, it } from 'vitest';
import { DAY_MS, GALLERY_SIZE, HOUR_MS, bucketOf, cellKey, peopleKey, type ReportBatch, type ReportCount } from '../../src/core/reports/cells.ts';
import { EXACT_PEOPLE } from '../../src/core/reports/sketch.ts';
import type { Store } from '../../src/core/ports.ts';

/**
 * ReportStore's part of the store contract (test/stores/contract.ts runs it
 * for every store): counts add up, sets of people are exact up to
 * EXACT_PEOPLE and close beyond, touches keep the latest, a claim holds once,
 * old buckets go.
 */
const RETENTION = 30 * DAY_MS;
/** Stands for a keyed hash: 16 well-mixed hex digits (murmur3's finaliser). */
function mix(x: number): string {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, '0');
}
export const person = (n: number) => mix(n) + mix(n ^ 0x5bd1e995);
const members = (from: number, count: number) => Array.from({ length: count }, (_, i) => person(from + i));
const cell = (variant: string, requester = 'person', message = 'spring') => cellKey({ block: 'hero', version: 1, message, variant, requester });
const batch = (parts: Partial<ReportBatch>): ReportBatch => ({ counts: [], people: [], touches: [], retentionMs: RETENTION, ...parts });
const total = (rows: ReportCount[], measure: string) => rows.filter((r) => r.measure === measure).reduce((n, r) => n + r.value, 0);

export function describeReportStore(store: () => Store, T0: number): void {
  const hour = bucketOf(T0, 'hour');
  const day = bucketOf(T0, 'day');
  const count = (bucket: number, measure: string, value: number, variant = 'a', unit: 'hour' | 'day' = 'hour'): ReportCount => ({
    scope: 'b:hero',
    unit,
    bucket,
    cell: cell(variant),
    measure,
    value,
  });

  describe('ReportStore: aggregates by hour and day, people, touches, claims', () => {
    it('adds counts of the same cell and keeps cells, measures, buckets, units and scopes apart', async () => {
      await store().addToReports(batch({ counts: [count(hour, 'opens', 2), count(hour, 'opens', 3), count(hour, 'clicks', 1), count(hour, 'opens', 4, 'b')] }), T0);
      await store().addToReports(
        batch({ counts: [count(hour + HOUR_MS, 'opens', 7), count(day, 'opens', 9, 'a', 'day'), { ...count(hour, 'opens', 100), scope: 'm:other' }] }),
        T0,
      );
      const rows = await store().readReportCounts('b:hero', 'hour', hour, hour);
      expect(rows.map(({ cell: c, measure, value, bucket }) => ({ c, measure, value, bucket })).sort((x, y) => (x.c + x.measure < y.c + y.measure ? -1 : 1))).toEqual([
        { c: cell('a'), measure: 'clicks', value: 1, bucket: hour },
        { c: cell('a'), measure: 'opens', value: 5, bucket: hour },
        { c: cell('b'), measure: 'opens', value: 4, bucket: hour },
      ]);
      expect(total(await store().readReportCounts('b:hero', 'hour', hour, hour + HOUR_MS), 'opens')).toBe(16);
      expect(total(await store().readReportCounts('b:hero', 'day', day, day), 'opens')).toBe(9);
      expect(total(await store().readReportCounts('m:other', 'hour', hour, hour), 'opens')).toBe(100);
      expect(await store().readReportCounts('b:nothing', 'hour', hour, hour)).toEqual([]);
    });

    it('loses no count under concurrent writers', async () => {
      await Promise.all(Array.from({ length: 20 }, () => store().addToReports(batch({ counts: [count(hour, 'opens', 1)] }), T0)));
      expect(total(await store().readReportCounts('b:hero', 'hour', hour, hour), 'opens')).toBe(20);
    });

    it('keeps revenue to the cent', async () => {
      await store().addToReports(batch({ counts: [count(hour, 'revenue:EUR', 19.99), count(hour, 'revenue:EUR', 0.01)] }), T0);
      expect(total(await store().readReportCounts('b:hero', 'hour', hour, hour), 'revenue:EUR')).toBeCloseTo(20, 6);
    });

    it('counts each person once across batches, buckets and sets, and only the sets a query names', async () => {
      const openers = (variant: string, message = 'spring') => peopleKey({ field: 'openers', block: 'hero', message, variant });
      await store().addToReports(
        batch({
          people: [
            { scope: 'b:hero', unit: 'hour', bucket: hour, set: openers('a'), members: members(0, 10) },
            { scope: 'b:hero', unit: 'hour', bucket: hour + HOUR_MS, set: openers('a'), members: members(5, 10) },
            { scope: 'b:hero', unit: 'hour', bucket: hour, set: openers('b'), members: members(100, 4) },
            { scope: 'b:hero', unit: 'hour', bucket: hour, set: openers('a', 'summer'), members: members(0, 3) },
            { scope: 'b:hero', unit: 'hour', bucket: hour, set: peopleKey({ field: 'clickers', block: 'hero', message: 'spring', variant: 'a' }), members: members(0, 2) },
          ],
        }),
        T0,
      );
      await store().addToReports(batch({ people: [{ scope: 'b:hero', unit: 'hour', bucket: hour, set: openers('a'), members: members(0, 10) }] }), T0);
      const both = [hour, hour + HOUR_MS];
      expect(
        await store().countReportPeople('b:hero', 'hour', [
          { field: 'openers', buckets: both, message: 'spring', variant: 'a' },
          { field: 'openers', buckets: [hour], message: 'spring', variant: 'a' },
          { field: 'openers', buckets: both, message: 'spring' },
          { field: 'openers', buckets: both },
          { field: 'clickers', buckets: both },
          { field: 'openers', buckets: [hour + 5 * HOUR_MS] },
        ]),
      ).toEqual([15, 10, 19, 19, 2, 0]);
    });

    it('is exact up to EXACT_PEOPLE per set and within 5 % beyond, unions included', async () => {
      const set = peopleKey({ field: 'openers', block: 'hero', message: '', variant: '' });
      await store().addToReports(batch({ people: [{ scope: 'b:big', unit: 'day', bucket: day, set, members: members(0, EXACT_PEOPLE) }] }), T0);
      expect(await store().countReportPeople('b:big', 'day', [{ field: 'openers', buckets: [day] }])).toEqual([EXACT_PEOPLE]);
      await store().addToReports(batch({ people: [{ scope: 'b:big', unit: 'day', bucket: day, set, members: members(0, 3000) }] }), T0);
      await store().addToReports(batch({ people: [{ scope: 'b:big', unit: 'day', bucket: day + DAY_MS, set, members: members(2000, 50) }] }), T0);
      const [one, union] = await store().countReportPeople('b:big', 'day', [
        { field: 'openers', buckets: [day] },
        { field: 'openers', buckets: [day, day + DAY_MS] },
      ]);
      expect(Math.abs((one as number) - 3000)).toBeLessThan(150);
      expect(Math.abs((union as number) - 3000)).toBeLessThan(150);
    });

    it('keeps the latest click and open of each person', async () => {
      const touch = (at: number, variant: string) => ({ block: 'hero', version: 1, message: 'spring', variant, at });
      await store().addToReports(batch({ touches: [{ person: person(1), touches: { click: touch(T0 - 1000, 'a'), open: touch(T0 - 2000, 'a') } }] }), T0);
      await store().addToReports(batch({ touches: [{ person: person(1), touches: { click: touch(T0 - 5000, 'old') } }] }), T0);
      await store().addToReports(batch({ touches: [{ person: person(1), touches: { open: touch(T0 - 500, 'b') } }] }), T0);
      expect(await store().getTouches(person(1), T0)).toEqual({ click: touch(T0 - 1000, 'a'), open: touch(T0 - 500, 'b') });
      expect(await store().getTouches(person(2), T0)).toBeUndefined();
    });

    it('claims a key once', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => store().claimOnce('order:o-1', T0, 3600)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().claimOnce('order:o-1', T0 + 1000, 3600)).toBe(false);
      expect(await store().claimOnce('order:o-2', T0, 3600)).toBe(true);
    });

    it('drops buckets past the retention period', async () => {
      const old = bucketOf(T0 - 40 * DAY_MS, 'day');
      await store().addToReports(
        batch({
          counts: [count(old, 'opens', 5, 'a', 'day'), count(day, 'opens', 1, 'a', 'day')],
          people: [{ scope: 'b:hero', unit: 'day', bucket: old, set: peopleKey({ field: 'openers', block: 'hero', message: '', variant: '' }), members: members(0, 3) }],
        }),
        T0,
      );
      expect(total(await store().readReportCounts('b:hero', 'day', old, day), 'opens')).toBe(1);
      expect(await store().countReportPeople('b:hero', 'day', [{ field: 'openers', buckets: [old] }])).toEqual([0]);
    });

    it('drops gallery entries last seen before the retention period', async () => {
      await store().addToReports(batch({ gallery: [{ block: 'hero', render: '00000000000000aa', decision: '{}', at: T0 - 40 * DAY_MS, opens: 1, clicks: 0 }] }), T0 - 40 * DAY_MS);
      await store().addToReports(batch({ gallery: [{ block: 'hero', render: '00000000000000bb', decision: '{}', at: T0, opens: 1, clicks: 0 }] }), T0);
      expect((await store().readGallery('hero')).map((r) => r.render)).toEqual(['00000000000000bb']);
    });

    const render = (n: number) => n.toString(16).padStart(16, '0');
    const shown = (n: number) => JSON.stringify({ blockId: 'hero', blockVersion: 1, slots: [{ id: `p-${n}` }] });
    const open = (n: number, at: number, block = 'hero') => ({ block, render: render(n), decision: shown(n), at, opens: 1, clicks: 0 });
    const click = (n: number, at: number) => ({ block: 'hero', render: render(n), at, opens: 0, clicks: 1 });

    it('keeps a gallery per block: opens and clicks add up by render, first and last seen, newest first', async () => {
      await store().addToReports(batch({ gallery: [open(1, T0), open(2, T0 + 1000), open(1, T0 + 2000), click(1, T0 + 3000)] }), T0);
      await store().addToReports(batch({ gallery: [click(2, T0 + 4000), click(2, T0 + 5000), open(9, T0, 'other'), click(7, T0)] }), T0);
      expect(await store().readGallery('hero')).toEqual([
        { render: render(2), decision: shown(2), firstSeen: T0 + 1000, lastSeen: T0 + 5000, opens: 1, clicks: 2 },
        { render: render(1), decision: shown(1), firstSeen: T0, lastSeen: T0 + 3000, opens: 2, clicks: 1 },
      ]);
      expect((await store().readGallery('other')).map((r) => r.render)).toEqual([render(9)]);
      expect(await store().readGallery('nothing')).toEqual([]);
    });

    it('keeps only the last GALLERY_SIZE renders of a block, and drops clicks on one no longer kept', async () => {
      const many = Array.from({ length: GALLERY_SIZE + 6 }, (_, n) => open(n + 1, T0 + n * 1000));
      await store().addToReports(batch({ gallery: many.slice(0, 10) }), T0);
      await store().addToReports(batch({ gallery: many.slice(10) }), T0);
      await store().addToReports(batch({ gallery: [click(1, T0 + 99_000)] }), T0);
      const kept = await store().readGallery('hero');
      expect(kept).toHaveLength(GALLERY_SIZE);
      expect(kept[0]?.render).toBe(render(GALLERY_SIZE + 6));
      expect(kept.map((r) => r.render)).not.toContain(render(1));
      expect(kept.reduce((n, r) => n + r.clicks, 0)).toBe(0);
    });
  });
}
