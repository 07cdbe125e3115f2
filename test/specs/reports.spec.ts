import { describe, expect, it } from 'vitest';
import { blockSchema, type BlockInput } from '../../src/core/blocks/schema.ts';
import type { HeroBlock } from '../../src/core/blocks/hero.ts';
import { chooseVariant } from '../../src/core/decide/hero.ts';
import type { Report } from '../../src/core/reports/report.ts';
import { reportAnswerSchema } from '../../src/core/reports/report-schema.ts';
import { BLOCK_OF_EVERY_KIND } from '../helpers/fixtures.ts';
import { PHOTO_COLORS } from '../helpers/photo-colors.ts';
import { errorOf, seed, shopper, slotBox, testBlock, type SpecApp, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/**
 * Reports, the same on Node and on Workers: a send's worth of opens by
 * people, Apple's prefetch, Gmail's proxy and scanners, clicks and orders,
 * all through the HTTP API, and a report whose numbers are exactly what
 * was sent.
 */
const PERSON = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)' };
const GMAIL = { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' };
const APPLE = { 'user-agent': 'Mozilla/5.0' };
const SCANNER = { 'user-agent': 'Mozilla/5.0 (compatible; Proofpoint URL Defense)' };

const HERO: BlockInput = { ...(BLOCK_OF_EVERY_KIND.hero as object), id: 'hero' } as BlockInput;

const SPLIT: BlockInput = {
  ...(BLOCK_OF_EVERY_KIND.hero as object),
  id: 'split',
  attribution: { window_days: 3 },
  variants: [
    {
      id: 'launch',
      split: {
        holdout: 30,
        arms: [
          { id: 'bold', weight: 1, headline: 'Bold', url: 'https://shop.example.com/bold' },
          { id: 'calm', weight: 1, headline: 'Calm', url: 'https://shop.example.com/calm' },
        ],
      },
    },
  ],
} as BlockInput;

const id = (n: number) => `p${String(n).padStart(2, '0')}`;

async function reportOf(app: SpecApp, path: string): Promise<Report> {
  const response = await app.admin('GET', path);
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  // Every answer is what the published schema (templates/schema/report.json) says.
  return reportAnswerSchema.parse(await response.json()) as Report;
}

export function describeReports(runtime: SpecRuntime): void {
  describe(`reports (${runtime.storeName})`, () => {
    const app = useSpecApp(runtime, { seeded: true });

    const order = (userId: string, event: string, properties: Record<string, unknown>) => app.send('track', { userId, event, properties });

    /** The send: 12 people (two through Gmail), one anonymous open, Apple's prefetch, scanners, clicks and orders. */
    async function driveSend(): Promise<void> {
      expect((await app.admin('PUT', '/v1/blocks/hero', HERO)).status).toBe(200);
      const open = async (query: Record<string, string>, headers: Record<string, string>) => {
        const { response } = await app.open('hero', query, { headers });
        expect(response.status).toBe(200);
      };
      for (let n = 1; n <= 10; n++) await open({ u: id(n), m: 'spring' }, PERSON);
      await open({ u: id(1), m: 'spring' }, PERSON); // p01 opens twice more
      await open({ u: id(1), m: 'spring' }, PERSON);
      await open({ u: id(11), m: 'spring' }, GMAIL);
      await open({ u: id(12), m: 'spring' }, GMAIL);
      await open({ m: 'spring' }, PERSON); // a person, but no subscriber id
      for (let n = 1; n <= 4; n++) await open({ u: id(n), m: 'spring' }, APPLE);
      for (let n = 1; n <= 3; n++) await open({ u: id(n), m: 'spring' }, SCANNER);
      expect((await app.request(`/i/hero.png?u=${id(6)}&m=spring`, { method: 'HEAD', headers: PERSON })).status).toBe(200); // never an open
      await open({ u: id(7), m: 'other-send' }, PERSON); // another send
      await app.settle();

      for (const n of [1, 1, 2, 3]) expect((await app.click('hero', 0, { u: id(n), m: 'spring' }, { headers: PERSON })).status).toBe(302);
      expect((await app.click('hero', 0, { u: id(4), m: 'spring' }, { headers: SCANNER })).status).toBe(302);
      expect((await app.click('hero', 0, { u: id(5), m: 'spring' }, { method: 'HEAD', headers: PERSON })).status).toBe(302);
      await app.settle();

      // After a click: counted once, whatever the repeats; after an open only: view-through; never opened: nothing.
      expect((await order(id(1), 'Order Completed', { order_id: 'o-1', revenue: 120, currency: 'EUR' })).status).toBe(200);
      expect((await order(id(1), 'Order Completed', { order_id: 'o-1', revenue: 120, currency: 'EUR' })).status).toBe(200);
      expect(
        (
          await order(id(2), 'Order Completed', {
            order_id: 'o-2',
            currency: 'eur',
            products: [
              { product_id: 'p-red', price: 10, quantity: 2 },
              { product_id: 'p-blue', price: 5 },
            ],
          })
        ).status,
      ).toBe(200);
      expect((await order(id(3), 'Placed Order', { OrderId: 'k-3', $value: 30, currency: 'EUR' })).status).toBe(200);
      expect((await order(id(5), 'Order Completed', { order_id: 'o-5', total: 40, currency: 'EUR' })).status).toBe(200);
      expect((await order(id(20), 'Order Completed', { order_id: 'o-20', revenue: 999, currency: 'EUR' })).status).toBe(200);
      await app.settle();
      await app.settle();
    }

    it('counts a send exactly: people, machines, unique people, clicks, conversions, revenue and view-through', async () => {
      await driveSend();
      const report = await reportOf(app, '/v1/reports/blocks/hero?message=spring');
      expect(report.totals).toEqual({
        opens_people: 15,
        opens_machines: 7,
        unique_people: 12,
        clicks: 4,
        unique_clickers: 3,
        click_to_open: 0.25,
        conversions: 3,
        revenue: 175,
        currency: 'EUR',
        revenue_by_currency: { EUR: 175 },
        view_through: { conversions: 1, revenue: 40, currency: 'EUR', revenue_by_currency: { EUR: 40 } },
      });
      expect(report.machines).toMatchObject({
        apple_prefetch: { opens: 4, clicks: 0, counted_as_people: false },
        scanner: { opens: 3, clicks: 1, counted_as_people: false },
        gmail_proxy: { opens: 2, clicks: 0, counted_as_people: true },
      });
      expect(report.personalised.opens).toBe(15);
      expect(report.personalised.personal + report.personalised.generic + report.personalised.fallback).toBe(15);
      expect(report.personalised.why_not.anonymous).toBe(1);

      // The series holds the same numbers, in the one day they happened.
      expect(report.by).toBe('day');
      const days = report.series.filter((s) => s.opens_people > 0);
      expect(days).toHaveLength(1);
      expect(days[0]).toMatchObject({ opens_people: 15, unique_people: 12, clicks: 4, conversions: 3, revenue: 175 });
      expect(Number.isNaN(Date.parse(days[0]?.bucket as string))).toBe(false);

      // Without message=: the other send's open too.
      const all = await reportOf(app, '/v1/reports/blocks/hero');
      expect([all.totals.opens_people, all.totals.unique_people]).toEqual([16, 12]);

      // By hour: the same totals.
      const hourly = await reportOf(app, '/v1/reports/blocks/hero?message=spring&by=hour');
      expect(hourly.totals.opens_people).toBe(15);
      expect(hourly.series.reduce((n, s) => n + s.opens_people, 0)).toBe(15);
    });

    it('reports a send across its blocks, and as CSV', async () => {
      await driveSend();
      const send = await reportOf(app, '/v1/reports/messages/spring');
      expect(send.totals).toMatchObject({ opens_people: 15, unique_people: 12, clicks: 4, conversions: 3, revenue: 175 });
      expect(send.blocks?.map((b) => [b.block, b.opens_people])).toEqual([['hero', 15]]);

      const csv = await app.request('/v1/reports/blocks/hero?message=spring', { headers: { authorization: `Bearer ${runtime.adminKey}`, accept: 'text/csv' } });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      const header = (lines[0] as string).split(',');
      const total = (lines[1] as string).split(',');
      expect(header.slice(0, 4)).toEqual(['row', 'key', 'opens_people', 'opens_machines']);
      expect(total[header.indexOf('opens_people')]).toBe('15');
      expect(total[header.indexOf('revenue')]).toBe('175');
    });

    it('reports each arm of a split and the holdout: people, clicks, lift, chances, and that the sample is too small', async () => {
      expect((await app.admin('PUT', '/v1/blocks/split', SPLIT)).status).toBe(200);
      const block = blockSchema.parse(SPLIT) as HeroBlock;
      const expected = new Map<string, { people: number; clickers: number }>();
      for (let n = 1; n <= 30; n++) {
        const arm = chooseVariant(block, {} as never, `u:${id(n)}`).arm as string;
        const entry = expected.get(arm) ?? { people: 0, clickers: 0 };
        entry.people++;
        await app.open('split', { u: id(n), m: 'launch' }, { headers: PERSON });
        if (n % 3 === 0) {
          entry.clickers++;
          expect((await app.click('split', 0, { u: id(n), m: 'launch' }, { headers: PERSON })).status).toBe(302);
        }
        expected.set(arm, entry);
      }
      await app.settle();
      const report = await reportOf(app, '/v1/reports/blocks/split');
      expect(new Map(report.variants.map((v) => [v.variant, { people: v.unique_people, clickers: v.unique_clickers }]))).toEqual(expected);
      const holdout = report.variants.find((v) => v.variant === 'holdout');
      const arms = report.variants.filter((v) => v.variant !== 'holdout');
      expect(holdout?.holdout).toBe(true);
      expect(holdout?.lift).toBeNull();
      for (const arm of arms) {
        expect(arm.lift?.metric).toBe('click_to_open');
        expect(arm.lift?.low).toBeLessThanOrEqual(arm.lift?.value as number);
        expect(arm.lift?.high).toBeGreaterThanOrEqual(arm.lift?.value as number);
        expect(arm.enough_data).toBe(false);
      }
      expect(arms.reduce((p, a) => p + (a.probability_best as number), 0)).toBeCloseTo(1, 2);
      expect(report.notes.join(' ')).toMatch(/too few people/i);
    });

    it('refuses a bad query by its path, and answers only the admin key', async () => {
      const bad = await app.admin('GET', '/v1/reports/blocks/hero?by=week&from=yesterday');
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).details?.map((d) => d.path).sort()).toEqual(['query.by', 'query.from']);
      const tooLong = await app.admin('GET', '/v1/reports/blocks/hero?by=hour&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z');
      expect(tooLong.status).toBe(400);
      expect((await app.request('/v1/reports/blocks/hero')).status).toBe(401);
      expect((await app.request('/v1/reports/messages/spring', { headers: { authorization: `Bearer ${runtime.writeKey}` } })).status).toBe(401);
    });

    it('keeps a gallery of the distinct renders, each with what it showed, its opens and clicks, and draws each again', async () => {
      await seed(runtime, app, testBlock({ id: 'carts', source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] }));
      for (const [user, product] of [
        ['alice', 'p-red'],
        ['carol', 'p-red'],
        ['bob', 'p-blue'],
      ] as const)
        expect((await shopper(app).added(user, product)).status).toBe(200);
      for (const user of ['alice', 'alice', 'carol', 'bob']) expect((await app.open('carts', { u: user, m: 'spring' }, { headers: PERSON })).response.status).toBe(200);
      expect((await app.open('carts', { u: 'bob', m: 'spring' }, { headers: APPLE })).response.status).toBe(200); // a prefetch: not an open
      await app.settle();
      for (const user of ['alice', 'bob', 'bob']) expect((await app.click('carts', 0, { u: user, m: 'spring' }, { headers: PERSON })).status).toBe(302);
      expect((await app.click('carts', 0, { u: 'carol', m: 'spring' }, { headers: SCANNER })).status).toBe(302); // a scanner: not a click
      await app.settle();

      const report = await reportOf(app, '/v1/reports/blocks/carts');
      const gallery = report.gallery ?? [];
      expect(gallery).toHaveLength(2);
      const showing = (id: string) => gallery.find((entry) => entry.shown.products?.[0]?.id === id);
      const red = showing('p-red');
      const blue = showing('p-blue');
      expect(red).toMatchObject({ opens: 3, clicks: 1, shown: { kind: 'product-grid' } });
      expect(blue).toMatchObject({ opens: 1, clicks: 2 });
      expect(red?.shown.products?.map((p) => p?.id)).toEqual(['p-red', 'p-teal', 'p-purple']);
      expect(red?.shown.products?.[0]).toMatchObject({ source: 'cart', currency: expect.any(String), price: expect.any(Number), title: expect.any(String) });
      expect(JSON.stringify(gallery)).not.toMatch(/alice|bob|carol/);

      // Each entry drawn again from what it showed: the carted product's photo in the first slot, and nothing counted.
      const image = await app.admin('GET', red?.image as string);
      expect(image.status).toBe(200);
      const pixels = await app.pixelsOf(image);
      expect(pixels.format).toBe('png');
      expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
      expect(pixels.share(PHOTO_COLORS.blue, slotBox(pixels, 0))).toBeLessThan(0.01);
      const bluePixels = await app.pixelsOf(await app.admin('GET', blue?.image as string));
      expect(bluePixels.share(PHOTO_COLORS.blue, slotBox(bluePixels, 0))).toBeGreaterThan(0.25);
      await app.settle();
      expect((await reportOf(app, '/v1/reports/blocks/carts')).totals.opens_people).toBe(4);

      expect((await app.admin('GET', '/v1/reports/blocks/carts/gallery/0123456789abcdef.png')).status).toBe(404);
      expect((await app.admin('GET', '/v1/reports/blocks/carts/gallery/nope.png')).status).toBe(400);
      expect((await app.request(red?.image as string)).status).toBe(401);
      // A send's report has no gallery: renders are a block's.
      expect((await reportOf(app, '/v1/reports/messages/spring')).gallery).toBeUndefined();
    });

    it('counts nothing for a block nobody opened', async () => {
      await seed(runtime, app);
      const report = await reportOf(app, '/v1/reports/blocks/grid');
      expect(report.totals).toMatchObject({ opens_people: 0, unique_people: 0, clicks: 0, click_to_open: null, conversions: 0, revenue: 0, currency: null });
      expect(report.variants).toEqual([]);
      expect(report.gallery).toEqual([]);
    });
  });
}
