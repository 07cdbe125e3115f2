import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import { heroBlockSchema, type HeroBlock, type SplitEntry } from '../../../src/core/blocks/hero.ts';
import { facts } from '../../../src/core/decide/facts.ts';
import { chooseVariant, ruleProblems } from '../../../src/core/decide/hero.ts';
import { Optimizer, sampleAllocation, type OptimizerDeps } from '../../../src/core/optimize/optimizer.ts';
import type { Logger } from '../../../src/core/ports.ts';
import { explainDecision } from '../../../src/core/recommend/explain.ts';
import { readAllocations } from '../../../src/core/reports/allocations.ts';
import { bucketOf, cellKey, DAY_MS, peopleKey } from '../../../src/core/reports/cells.ts';
import { reportCsv } from '../../../src/core/reports/csv.ts';
import { buildReport } from '../../../src/core/reports/report.ts';
import { person } from '../../stores/report-contract.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const MINUTE = 60_000;

const arm = (id: string) => ({ id, weight: 1, headline: id, url: `https://shop.example.com/${id}` });

function hero(optimize: object | undefined, arms = ['bold', 'calm', 'warm'], holdout = 20): HeroBlock {
  return heroBlockSchema.parse({
    id: 'hero',
    kind: 'hero',
    size: { width: 600, height: 300 },
    fallback: { url: 'https://shop.example.com/' },
    default: { id: 'everyone', headline: 'New', url: 'https://shop.example.com/new' },
    variants: [{ id: 'launch', split: { holdout, arms: arms.map(arm), ...(optimize ? { optimize } : {}) } }],
  });
}

const splitOf = (block: HeroBlock) => block.variants[0] as SplitEntry;
const counts = (arm: string, people: number, clickers: number, conversions = 0) => ({ arm, holdout: arm === 'holdout', people, clickers, clicks: clickers, conversions });
const sum = (shares: Record<string, number>) => Object.values(shares).reduce((n, s) => n + s, 0);

const silent: Logger = { info() {}, warn() {}, error() {}, request() {} };

/** An optimizer on a memory store with a clock the test moves and background work it can wait for. */
function instance(store = memoryStore(), clock = { at: NOW }, writes = true) {
  const pending: Promise<unknown>[] = [];
  const deps: OptimizerDeps = { store, clock: { now: () => clock.at }, background: (work) => pending.push(work), logger: silent, retentionMs: 400 * DAY_MS, writes };
  return {
    store,
    clock,
    optimizer: new Optimizer(deps),
    settle: async () => {
      while (pending.length > 0) await pending.shift();
    },
  };
}

/** Seeds a day of people who opened and clicked per arm, as the report writer keeps them. */
async function seedResults(store: ReturnType<typeof memoryStore>, at: number, byArm: Record<string, [openers: number, clickers: number]>): Promise<void> {
  const day = bucketOf(at, 'day');
  let next = 0;
  const people: Parameters<typeof store.addToReports>[0]['people'] = [];
  const countsOut: Parameters<typeof store.addToReports>[0]['counts'] = [];
  for (const [variant, [openers, clickers]] of Object.entries(byArm)) {
    const members = Array.from({ length: openers }, () => person(next++));
    people.push({ scope: 'b:hero', unit: 'day', bucket: day, set: peopleKey({ field: 'openers', block: 'hero', message: 'm', variant }), members });
    people.push({ scope: 'b:hero', unit: 'day', bucket: day, set: peopleKey({ field: 'clickers', block: 'hero', message: 'm', variant }), members: members.slice(0, clickers) });
    const cell = cellKey({ block: 'hero', version: 1, message: 'm', variant, requester: 'person' });
    countsOut.push(
      { scope: 'b:hero', unit: 'day', bucket: day, cell, measure: 'opens', value: openers },
      { scope: 'b:hero', unit: 'day', bucket: day, cell, measure: 'clicks', value: clickers },
    );
  }
  await store.addToReports({ counts: countsOut, people, touches: [], retentionMs: 400 * DAY_MS }, at);
}

describe('the allocation of an optimised split', () => {
  it('moves the arms’ part towards the arm that gets clicks, keeping the holdout and each arm’s floor', () => {
    const entry = splitOf(hero({ goal: 'clicks', floor: 0.1 }));
    const allocation = sampleAllocation(entry, [counts('bold', 500, 60), counts('calm', 500, 20), counts('warm', 500, 22), counts('holdout', 200, 90)], 7);
    expect(allocation.holdout).toBe(20);
    expect(allocation.arms.bold).toBeGreaterThan(60);
    // The floor is a tenth of the arms' 80 percent.
    expect(allocation.arms.calm).toBeGreaterThanOrEqual(8);
    expect(allocation.arms.warm).toBeGreaterThanOrEqual(8);
    expect(sum(allocation.arms) + allocation.holdout).toBeCloseTo(100, 1);
  });

  it('refuses a floor the arms cannot all keep, by its path', () => {
    const data = facts(undefined, new Map(), { now: NOW, timezone: 'UTC', params: {} });
    expect(ruleProblems(hero({ goal: 'clicks', floor: 0.4 }), data)).toEqual([
      { path: 'variants[0].split.optimize.floor', message: 'must be at most 0.33 with 3 arms (each arm keeps the floor)' },
    ]);
    expect(ruleProblems(hero({ goal: 'clicks', floor: 0.33 }), data)).toEqual([]);
  });

  it('counts conversions, as attributed so far, for the conversions goal; arms nobody saw start even', () => {
    const entry = splitOf(hero({ goal: 'conversions' }, ['bold', 'calm']));
    const byConversions = sampleAllocation(entry, [counts('bold', 400, 100, 2), counts('calm', 400, 10, 30)], 1);
    expect(byConversions.arms.calm).toBeGreaterThan(byConversions.arms.bold as number);
    const unseen = sampleAllocation(entry, [], 1);
    expect(Math.abs((unseen.arms.bold as number) - (unseen.arms.calm as number))).toBeLessThan(5);
  });
});

describe('deciding with an allocation', () => {
  const block = hero({ goal: 'clicks' });
  const data = facts(undefined, new Map(), { now: NOW, timezone: 'UTC', params: {} });
  const allocation = { holdout: 20, arms: { bold: 64, calm: 8, warm: 8 } };
  const subjects = Array.from({ length: 4000 }, (_, i) => `s-${i}`);

  it('divides people by the allocation’s cumulative shares; the holdout keeps its share', () => {
    const tally = new Map<string, number>();
    for (const s of subjects) {
      const arm = chooseVariant(block, data, s, new Map([['launch', allocation]])).arm as string;
      tally.set(arm, (tally.get(arm) ?? 0) + 1);
    }
    expect((tally.get('holdout') ?? 0) / subjects.length).toBeCloseTo(0.2, 1);
    expect((tally.get('bold') ?? 0) / subjects.length).toBeCloseTo(0.64, 1);
    expect((tally.get('calm') ?? 0) / subjects.length).toBeCloseTo(0.08, 1);
  });

  it('keeps a subscriber’s arm while the shares hold, and the holdout’s people in the holdout whatever the arms’ shares', () => {
    const allocations = new Map([['launch', allocation]]);
    const moved = new Map([['launch', { holdout: 20, arms: { bold: 8, calm: 64, warm: 8 } }]]);
    for (const s of subjects.slice(0, 500)) {
      const first = chooseVariant(block, data, s, allocations);
      expect(chooseVariant(block, data, s, allocations)).toEqual(first);
      if (first.arm === 'holdout') expect(chooseVariant(block, data, s, moved).arm).toBe('holdout');
    }
    const choice = chooseVariant(
      block,
      data,
      subjects.find((s) => chooseVariant(block, data, s, allocations).arm === 'bold'),
      allocations,
    );
    expect(choice.share).toBe(64);
  });

  it('says which arm and its current share in the explanation', () => {
    const choice = chooseVariant(
      block,
      data,
      subjects.find((s) => chooseVariant(block, data, s, new Map([['launch', allocation]])).arm === 'calm'),
      new Map([['launch', allocation]]),
    );
    const why = explainDecision({
      kind: 'hero',
      blockId: 'hero',
      blockVersion: 1,
      variant: choice.variant,
      entry: choice.entry,
      arm: choice.arm as string,
      share: choice.share as number,
      personal: false,
    });
    expect(decodeURIComponent(why)).toBe('entry launch, arm calm at 8%');
  });
});

describe('the optimizer on an instance', () => {
  it('computes off the request path, caches per block, and stores each change for the report', async () => {
    const block = hero({ goal: 'clicks', every_minutes: 15 });
    const { store, clock, optimizer, settle } = instance();
    await seedResults(store, NOW, { bold: [300, 60], calm: [300, 15], warm: [300, 12], holdout: [100, 1] });

    // The first open finds none yet (the weights hold) and starts the work.
    expect(optimizer.current(block).size).toBe(0);
    await settle();
    const first = optimizer.current(block).get('launch');
    expect(first?.holdout).toBe(20);
    expect(first?.arms.bold).toBeGreaterThan(50);
    let history = await readAllocations(store, 'hero', NOW - DAY_MS, NOW + DAY_MS);
    expect(history).toEqual([{ at: NOW, entry: 'launch', holdout: 20, arms: first?.arms }]);

    // Within every_minutes: the cached one, no store work.
    clock.at = NOW + 10 * MINUTE;
    await seedResults(store, clock.at, { calm: [300, 120] });
    optimizer.current(block);
    await settle();
    expect(await readAllocations(store, 'hero', NOW - DAY_MS, NOW + DAY_MS)).toHaveLength(1);

    // Past it: recomputed from the results so far; calm has caught up.
    clock.at = NOW + 16 * MINUTE;
    optimizer.current(block);
    await settle();
    const second = optimizer.current(block).get('launch');
    expect(second?.arms.calm).toBeGreaterThan(first?.arms.calm as number);
    history = await readAllocations(store, 'hero', NOW - DAY_MS, NOW + DAY_MS);
    expect(history.map((r) => r.at)).toEqual([NOW, NOW + 16 * MINUTE]);

    // The block report shows each arm's current share and the history.
    const report = await buildReport(store, { block: 'hero', from: NOW - DAY_MS, to: NOW + DAY_MS, by: 'day' });
    expect(report.variants.find((v) => v.variant === 'calm')?.share).toBe(second?.arms.calm);
    expect(report.variants.find((v) => v.variant === 'holdout')?.share).toBe(20);
    expect(report.allocations?.map((a) => a.shares.holdout)).toEqual([20, 20]);
    expect(report.allocations?.[1]?.shares).toEqual({ ...second?.arms, holdout: 20 });
    // And as CSV: the share is the variant row's last column.
    const csv = reportCsv(report).split('\r\n');
    expect(csv[0]?.endsWith(',enough_data,share')).toBe(true);
    expect(csv.find((line) => line.startsWith('variant,calm,'))?.endsWith(`,${second?.arms.calm}`)).toBe(true);
  });

  it('shares one allocation between instances: one computes per period, the others adopt it', async () => {
    const block = hero({ goal: 'clicks' });
    const a = instance();
    const b = instance(a.store, a.clock);
    await seedResults(a.store, NOW, { bold: [200, 50], calm: [200, 10], warm: [200, 10] });
    a.optimizer.current(block);
    await a.settle();
    b.optimizer.current(block);
    await b.settle();
    expect(b.optimizer.current(block).get('launch')).toEqual(a.optimizer.current(block).get('launch'));
    expect(await readAllocations(a.store, 'hero', NOW - DAY_MS, NOW + DAY_MS)).toHaveLength(1);
  });

  it('never computes or stores in a preview, and drops an allocation that no longer fits an edited block', async () => {
    const block = hero({ goal: 'clicks' });
    const preview = instance(memoryStore(), { at: NOW }, false);
    preview.optimizer.current(block);
    await preview.settle();
    expect(preview.optimizer.current(block).size).toBe(0);
    expect(await readAllocations(preview.store, 'hero', NOW - DAY_MS, NOW + DAY_MS)).toEqual([]);

    const live = instance();
    live.optimizer.current(block);
    await live.settle();
    expect(live.optimizer.current(block).size).toBe(1);
    const edited = hero({ goal: 'clicks' }, ['bold', 'calm']);
    expect(live.optimizer.current(edited).size).toBe(0);
    await live.settle();
    expect(Object.keys(live.optimizer.current(edited).get('launch')?.arms ?? {})).toEqual(['bold', 'calm']);
  });

  it('keeps the weights when the store cannot be read, and tries again later', async () => {
    const block = hero({ goal: 'clicks' });
    const store = memoryStore();
    const { optimizer, settle, clock } = instance(store);
    await store.close();
    optimizer.current(block);
    await settle();
    expect(optimizer.current(block).size).toBe(0);
    clock.at += MINUTE;
    optimizer.current(block);
    await settle(); // a second failure, logged, not thrown
  });
});
