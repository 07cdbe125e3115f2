import { describe, expect, it } from 'vitest';
import { PHOTO_COLORS, type PhotoColor } from '../helpers/photo-colors.ts';
import { BLOCK_OF_EVERY_KIND } from '../helpers/fixtures.ts';
import { countersOf, errorOf, shopper, testBlock, type Pixels, type SpecApp, type SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/** The parts of the test grid (600×300, a headline over three cards in a row). */
const PARTS = ['head', '0', '1', '2', 'foot'] as const;

/** A part of a block, decoded: `/i/<block>/<part>.png`. */
export async function openPart(app: SpecApp, block: string, part: string, query: Record<string, string> = {}): Promise<{ response: Response; pixels: Pixels }> {
  const response = await app.request(`/i/${block}/${part}.png?${new URLSearchParams(query)}`);
  return { response, pixels: await app.pixelsOf(response) };
}

/** The product photo's colour that fills most of a slot part (its middle band, where the photo is). */
function shows(pixels: Pixels, color: PhotoColor): number {
  return pixels.share(PHOTO_COLORS[color], { x: 0, y: 0, width: pixels.width, height: Math.floor(pixels.height * 0.6) });
}

/**
 * Blocks embedded in parts, one link per product, on Node and on Workers:
 * each part shows its own product; the parts of one open agree on one
 * decision even when an event arrives between them; they count as one
 * open; each slot's click goes to what that part showed.
 */
export function describeParts(runtime: SpecRuntime): void {
  describe('parts of a block (/i/<block>/<part>.png)', () => {
    const app = useSpecApp(runtime, { seeded: true });
    const { added, viewed } = { added: (u: string, p: string) => shopper(app).added(u, p), viewed: (u: string, p: string) => shopper(app).viewed(u, p) };

    it('serves each slot’s product in its own part, with the image headers, the parts tiling the block', async () => {
      await added('ann', 'p-red');
      await viewed('ann', 'p-blue');
      const parts = await Promise.all(PARTS.map((part) => openPart(app, 'grid', part, { u: 'ann', m: 'm1' })));
      for (const { response } of parts) {
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
        expect(response.headers.get('x-opentime-error')).toBeNull();
      }
      const [head, slot0, slot1, slot2, foot] = parts.map((p) => p.pixels) as [Pixels, Pixels, Pixels, Pixels, Pixels];
      // Together they are the 1200×600 image: one row of head, three cells side by side, one row of foot.
      expect(head.width).toBe(1200);
      expect(foot.width).toBe(1200);
      expect(slot0.width + slot1.width + slot2.width).toBe(1200);
      expect(new Set([slot0.height, slot1.height, slot2.height]).size).toBe(1);
      expect(head.height + slot0.height + foot.height).toBe(600);
      expect(shows(slot0, 'red')).toBeGreaterThan(0.25);
      expect(shows(slot1, 'blue')).toBeGreaterThan(0.25);
      // The third slot is the first of the block's fixed products that is neither shown nor bought: teal.
      expect(shows(slot2, 'teal')).toBeGreaterThan(0.25);
      expect(shows(slot0, 'blue') + shows(slot1, 'red')).toBeLessThan(0.01);
    });

    it('sends each slot’s click to the product that part showed', async () => {
      await added('bea', 'p-green');
      await viewed('bea', 'p-orange');
      await Promise.all(PARTS.map((part) => openPart(app, 'grid', part, { u: 'bea', m: 'm1' })));
      await app.settle();
      const targets = await Promise.all([0, 1, 2].map(async (slot) => new URL((await app.click('grid', slot, { u: 'bea', m: 'm1' })).headers.get('location') ?? '').pathname));
      expect(targets).toEqual(['/products/green', '/products/orange', '/products/teal']);
    });

    it('shows one decision in every part of an open, even when an event arrives between them', async () => {
      await added('cid', 'p-red');
      const first = await openPart(app, 'grid', '0', { u: 'cid', m: 'm1' });
      expect(shows(first.pixels, 'red')).toBeGreaterThan(0.25);
      // The subscriber carts another product while the email client is still fetching the other parts.
      await added('cid', 'p-purple');
      const [slot1, slot2] = await Promise.all(['1', '2'].map((part) => openPart(app, 'grid', part, { u: 'cid', m: 'm1' })));
      // Decided now, slot 1 would show the cart's other product; it shows what the first part decided.
      expect(shows((slot1 as { pixels: Pixels }).pixels, 'teal')).toBeGreaterThan(0.25);
      expect(shows((slot2 as { pixels: Pixels }).pixels, 'purple')).toBeGreaterThan(0.25);
      await app.settle();
      const clicked = await app.click('grid', 0, { u: 'cid', m: 'm1' });
      expect(new URL(clicked.headers.get('location') ?? '').pathname).toBe('/products/red');
      // A whole-image open is decided afresh (it is not a part of that open).
      const whole = await app.open('grid', { u: 'cid', m: 'm2' });
      expect(whole.pixels.share(PHOTO_COLORS.purple, { x: 0, y: 120, width: 400, height: 360 })).toBeGreaterThan(0.25);
    });

    it('counts the parts of one open as one open', async () => {
      await added('dee', 'p-red');
      const before = await countersOf(app);
      await Promise.all(PARTS.map((part) => openPart(app, 'grid', part, { u: 'dee', m: 'm1' })));
      await Promise.all(PARTS.map((part) => openPart(app, 'grid', part, {})));
      await app.settle();
      const after = await countersOf(app);
      const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
      expect(delta('opens')).toBe(2);
      expect(delta('opens.personal')).toBe(1);
      expect(delta('opens.generic')).toBe(1);
      expect(delta('block.grid.opens')).toBe(2);
    });

    it('draws an empty slot as the empty-slot art, and sends its click to the fallback URL', async () => {
      await app.admin('PUT', '/v1/blocks/sparse', testBlock({ id: 'sparse', source: [{ from: 'cart' }] }));
      await added('eve', 'p-orange');
      const [slot0, slot1] = await Promise.all(['0', '1'].map((part) => openPart(app, 'sparse', part, { u: 'eve', m: 'm1' })));
      expect(shows((slot0 as { pixels: Pixels }).pixels, 'orange')).toBeGreaterThan(0.25);
      const empty = (slot1 as { pixels: Pixels }).pixels;
      // The empty-slot art: a light grey card (#f4f4f5), no photo.
      expect(empty.share([0xf4, 0xf4, 0xf5], undefined, 4)).toBeGreaterThan(0.3);
      await app.settle();
      expect((await app.click('sparse', 1, { u: 'eve', m: 'm1' })).headers.get('location')).toBe('https://shop.example.com/');
      expect(new URL((await app.click('sparse', 0, { u: 'eve', m: 'm1' })).headers.get('location') ?? '').pathname).toBe('/products/orange');
    });

    it('POST /v1/links: the sliced HTML and every part of a grid, for each ESP', async () => {
      const response = await app.admin('POST', '/v1/links', { block: 'grid', esp: 'customerio', base_url: 'https://live.example.com' });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        block: string;
        esp: string;
        sliced: boolean;
        html: string;
        parts: Array<{ part: string; image_url: string; click_url: string | null; width: number; height: number; alt: string }>;
        notes: string[];
      };
      expect([body.block, body.esp, body.sliced]).toEqual(['grid', 'customerio', true]);
      expect(body.parts.map((p) => p.part)).toEqual([...PARTS]);
      expect(body.parts[1]).toMatchObject({
        image_url: 'https://live.example.com/i/grid/0.png?u={{ customer.id | url_encode }}&m={{ campaign.id }}',
        alt: 'Recommended product 1',
      });
      expect(body.parts[1]?.click_url).toBe('https://live.example.com/c/grid/0?u={{ customer.id | url_encode }}&m={{ campaign.id }}');
      expect(body.parts.reduce((sum, p) => sum + p.width * p.height, 0)).toBe(600 * 300);
      expect(body.html).toContain('<table role="presentation"');
      const whole = (await (await app.admin('POST', '/v1/links', { block: 'grid', esp: 'sfmc', sliced: false })).json()) as { sliced: boolean; parts: unknown[] };
      expect([whole.sliced, whole.parts.length]).toEqual([false, 1]);
    });

    it('POST /v1/links: 400 naming the field, 404 for an unknown block, 401 without the admin key', async () => {
      const bad = await app.admin('POST', '/v1/links', { block: 'grid', esp: 'aol', sliced: 'yes', base_url: 'ftp://x' });
      expect(bad.status).toBe(400);
      expect((await errorOf(bad)).details?.map((d) => d.path).sort()).toEqual(['base_url', 'esp', 'sliced']);
      const unknown = await app.admin('POST', '/v1/links', { block: 'nope', esp: 'klaviyo' });
      expect(unknown.status).toBe(404);
      expect((await errorOf(unknown)).code).toBe('BLOCK_NOT_FOUND');
      expect((await app.request('/v1/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"block":"grid","esp":"klaviyo"}' })).status).toBe(401);
    });

    it('answers an image, never an error, for a part a block does not have and for a block that is one image', async () => {
      const missing = await app.request('/i/grid/7.png?u=ann');
      expect(missing.status).toBe(200);
      expect(missing.headers.get('x-opentime-error')).toBe('PART_NOT_FOUND');
      // Countdowns and heroes stay one image and one link.
      for (const block of [BLOCK_OF_EVERY_KIND.hero, BLOCK_OF_EVERY_KIND.countdown]) {
        expect((await app.admin('PUT', `/v1/blocks/${block.id as string}`, block)).status).toBe(200);
        const part = await app.request(`/i/${block.id as string}/0.png?u=ann`);
        expect(part.status).toBe(200);
        expect(part.headers.get('x-opentime-error')).toBe('PART_NOT_FOUND');
        expect((await app.pixelsOf(part)).width).toBeGreaterThan(0);
      }
    });
  });
}
