import { describe, expect, it } from 'vitest';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import type { Report } from '../../src/core/reports/report.ts';
import { reportAnswerSchema } from '../../src/core/reports/report-schema.ts';
import { BLOCK_OF_EVERY_KIND } from '../helpers/fixtures.ts';
import { errorOf, type SpecApp, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * `optimize` on a hero split, the same on Node and on Workers: a simulated
 * send through the HTTP API (people opening and clicking, one arm far
 * better; Apple's prefetch and scanners opening and clicking too) moves
 * the next people to the better arm while the holdout keeps its share, and
 * the block report shows each arm's share and every change of allocation.
 */
const PERSON = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)' };
const APPLE = { 'user-agent': 'Mozilla/5.0' };
const SCANNER = { 'user-agent': 'Mozilla/5.0 (compatible; Proofpoint URL Defense)' };

const OPTIMISED: BlockInput = {
  ...(BLOCK_OF_EVERY_KIND.hero as object),
  id: 'split',
  variants: [
    {
      id: 'launch',
      split: {
        holdout: 20,
        optimize: { goal: 'clicks', floor: 0.05, every_minutes: 1440 },
        arms: [
          { id: 'bold', weight: 1, headline: 'Bold', url: 'https://shop.example.com/bold' },
          { id: 'calm', weight: 1, headline: 'Calm', url: 'https://shop.example.com/calm' },
        ],
      },
    },
  ],
} as BlockInput;

const person = (n: number) => `s${String(n).padStart(3, '0')}`;
type Shares = Record<string, number>;

async function reportOf(app: SpecApp): Promise<Report> {
  const response = await app.admin('GET', '/v1/reports/blocks/split?message=launch');
  expect(response.status).toBe(200);
  return reportAnswerSchema.parse(await response.json()) as Report;
}

async function allocateNow(app: SpecApp): Promise<Shares> {
  const response = await app.admin('POST', '/v1/reports/blocks/split/allocations');
  expect(response.status).toBe(200);
  const body = (await response.json()) as { allocations: Array<{ entry: string; shares: Shares }> };
  expect(body.allocations.map((a) => a.entry)).toEqual(['launch']);
  return body.allocations[0]?.shares as Shares;
}

export function describeOptimize(runtime: SpecRuntime): void {
  describe(`optimize on a hero split (${runtime.storeName})`, () => {
    const app = useSpecApp(runtime, { seeded: true });

    async function open(n: number, headers: Record<string, string> = PERSON): Promise<void> {
      const response = await app.request(`/i/split.png?u=${person(n)}&m=launch`, { headers });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }

    /** The arm a subscriber was shown, from where their click goes (a HEAD click is never counted). */
    async function armOf(n: number): Promise<string> {
      const response = await app.click('split', 0, { u: person(n), m: 'launch' }, { method: 'HEAD', headers: PERSON });
      expect(response.status).toBe(302);
      const location = response.headers.get('location') ?? '';
      return location.includes('/bold') ? 'bold' : location.includes('/calm') ? 'calm' : 'holdout';
    }

    async function click(n: number, headers: Record<string, string> = PERSON): Promise<void> {
      expect((await app.click('split', 0, { u: person(n), m: 'launch' }, { headers })).status).toBe(302);
    }

    /** The first wave: people open; everyone shown `bold` clicks, nobody shown `calm` does. */
    async function firstWave(): Promise<Map<number, string>> {
      expect((await app.admin('PUT', '/v1/blocks/split', OPTIMISED)).status).toBe(200);
      for (let n = 1; n <= 40; n++) await open(n);
      await app.settle();
      const arms = new Map<number, string>();
      for (let n = 1; n <= 40; n++) arms.set(n, await armOf(n));
      for (const [n, arm] of arms) if (arm === 'bold') await click(n);
      await app.settle();
      return arms;
    }

    it('moves the next people to the arm people click, the holdout keeping its share, and reports each change', async () => {
      const firstArms = await firstWave();
      // Before any result, the arms start even (the weights, then the sampler's even split).
      expect([...firstArms.values()].filter((a) => a === 'bold').length).toBeGreaterThan(8);
      expect([...firstArms.values()].filter((a) => a === 'calm').length).toBeGreaterThan(8);

      const shares = await allocateNow(app);
      expect(shares.holdout).toBe(20);
      expect(shares.bold).toBeGreaterThan(70);
      expect(shares.calm).toBeGreaterThanOrEqual(4); // the floor: 5 % of the arms' 80 %
      expect((shares.bold as number) + (shares.calm as number)).toBeCloseTo(80, 1);

      // The second wave follows the allocation; the holdout's people stay in it.
      const tally: Record<string, number> = { bold: 0, calm: 0, holdout: 0 };
      for (let n = 101; n <= 200; n++) await open(n);
      await app.settle();
      for (let n = 101; n <= 200; n++) {
        const arm = await armOf(n);
        tally[arm] = (tally[arm] ?? 0) + 1;
      }
      expect(tally.bold).toBeGreaterThan(5 * (tally.calm as number));
      expect(tally.holdout).toBeGreaterThanOrEqual(10);
      expect(tally.holdout).toBeLessThanOrEqual(32);
      for (const [n, arm] of firstArms) if (arm === 'holdout') expect(await armOf(n)).toBe('holdout');

      const report = await reportOf(app);
      const byVariant = new Map(report.variants.map((v) => [v.variant, v]));
      expect(byVariant.get('bold')?.share).toBe(shares.bold);
      expect(byVariant.get('calm')?.share).toBe(shares.calm);
      expect(byVariant.get('holdout')?.share).toBe(20);
      const history = report.allocations ?? [];
      expect(history.length).toBeGreaterThanOrEqual(2); // the first open's even start, then the move
      expect(history.every((change) => change.entry === 'launch' && change.shares.holdout === 20)).toBe(true);
      expect(history.at(-1)?.shares).toEqual(shares);
      expect(history[0]?.shares.bold).toBeLessThan(60);
    });

    it('leaves the allocation as it is for Apple’s prefetch and scanners opening and clicking', async () => {
      const firstArms = await firstWave();
      const before = await allocateNow(app);
      const changes = (await reportOf(app)).allocations?.length;

      // Machines: Apple's prefetch opens new ids and old ones; a scanner opens and clicks every link.
      for (let n = 300; n < 340; n++) await open(n, APPLE);
      for (let n = 1; n <= 40; n++) await open(n, SCANNER);
      await app.settle();
      for (const [n, arm] of firstArms) if (arm === 'calm') await click(n, SCANNER);
      for (let n = 300; n < 340; n++) await click(n, SCANNER);
      await app.settle();

      expect(await allocateNow(app)).toEqual(before);
      const report = await reportOf(app);
      expect(report.allocations?.length).toBe(changes);
      expect(report.machines.apple_prefetch?.opens).toBe(40);
      expect(report.variants.find((v) => v.variant === 'calm')?.unique_clickers).toBe(0);
    });

    it('refuses to allocate a block without an optimised split, naming what is missing', async () => {
      expect((await app.admin('PUT', '/v1/blocks/split', { ...OPTIMISED, variants: [] })).status).toBe(200);
      const response = await app.admin('POST', '/v1/reports/blocks/split/allocations');
      expect(response.status).toBe(400);
      expect((await errorOf(response)).details?.[0]?.path).toBe('variants');
      expect((await app.admin('POST', '/v1/reports/blocks/nothing/allocations')).status).toBe(404);
      const bad = await app.admin('PUT', '/v1/blocks/split', {
        ...OPTIMISED,
        variants: [{ id: 'launch', split: { arms: [], optimize: { goal: 'likes' } } }],
      });
      expect(bad.status).toBe(400);
      // Each problem at its own path inside the split, not the whole entry.
      expect((await errorOf(bad)).details?.map((d) => d.path)).toEqual(['variants[0].split.arms', 'variants[0].split.optimize.goal']);
    });
  });
}
