import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from '../../src/adapters/store/redis.ts';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import type { Store } from '../../src/core/ports.ts';
import { createTestApp, seeded, testBlock, testClock, type TestApp } from '../helpers/app.ts';
import { PHOTO_COLORS, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode } from '../helpers/pixels.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

/**
 * Parts on Node's own stores: two instances over one SQLite file and over
 * one Redis serve the parts of one open between them and agree, and a part
 * is, pixel for pixel, its region of the whole image.
 */
let photos: PhotoServer;
let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  [photos, redis] = await Promise.all([startPhotoServer(), startRedisServer()]);
  dir = await mkdtemp(join(tmpdir(), 'opentime-parts-'));
});
afterAll(async () => {
  await Promise.all([photos?.close(), redis?.close()]);
  await rm(dir, { recursive: true, force: true });
});

const part = async (app: TestApp, name: string, query: string, block = 'grid') => {
  const response = await app.request(`/i/${block}/${name}.png?${query}`);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
};
const photoShare = async (bytes: Uint8Array, color: keyof typeof PHOTO_COLORS) => {
  const pixels = await decode(bytes);
  return pixels.share(PHOTO_COLORS[color], { x: 0, y: 0, width: pixels.width, height: Math.floor(pixels.height * 0.6) });
};

let files = 0;
/** Each store twice over the same data: `make` a fresh one, then `same` another client of it. */
const STORES: Array<[string, { make: () => Store; same: () => Store }]> = [
  ['sqlite', { make: () => sqliteStore({ path: join(dir, `shared-${++files}.db`) }), same: () => sqliteStore({ path: join(dir, `shared-${files}.db`) }) }],
  ['redis', { make: () => redisStore({ url: redis.url, keyPrefix: `parts-${++files}:` }), same: () => redisStore({ url: redis.url, keyPrefix: `parts-${files}:` }) }],
];

describe.each(STORES)('the parts of one open across two instances on one %s store', (_name, { make: makeStore, same: sameStore }) => {
  it('agree on the first part’s decision, through an event between them, and count one open', async () => {
    // Stores write real expiries (Redis' PXAT): the clock is the real one.
    const clock = testClock(Date.now());
    const a = await seeded(await createTestApp({ store: makeStore(), clock }), photos);
    // The second instance opens the same database (SQLite: the same file; Redis: the same prefix).
    const b = await createTestApp({ store: sameStore(), clock });
    try {
      await a.send('track', { userId: 'ann', event: 'Product Added', properties: { product_id: 'p-red', quantity: 1 } });
      const query = 'u=ann&m=m1';
      expect(await photoShare((await part(a, '0', query)).bytes, 'red')).toBeGreaterThan(0.25);
      await a.send('track', { userId: 'ann', event: 'Product Added', properties: { product_id: 'p-purple', quantity: 1 } });
      const [one, two] = await Promise.all([part(b, '1', query), part(b, '2', query)]);
      // The first part decided red, teal, purple; the other instance draws that, not the cart as it is now.
      expect(await photoShare(one.bytes, 'teal')).toBeGreaterThan(0.25);
      expect(await photoShare(two.bytes, 'purple')).toBeGreaterThan(0.25);
      await Promise.all([part(b, 'head', query), part(a, 'foot', query)]);
      await Promise.all([a.settle(), b.settle()]);
      const click = await b.click('grid', 1, { u: 'ann', m: 'm1' });
      expect(new URL(click.headers.get('location') ?? '').pathname).toBe('/products/teal');
      const stats = (await (await b.admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> };
      expect(stats.counters.opens).toBe(1);
      expect(stats.counters['block.grid.opens']).toBe(1);
    } finally {
      await b.close();
      await a.close();
    }
  }, 30_000);
});

describe('a part and the whole image', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await seeded(await createTestApp(), photos, testBlock({ image_format: 'png' }));
    await app.admin('PUT', '/v1/blocks/square', testBlock({ id: 'square', slots: 4, size: { width: 600, height: 600 }, image_format: 'png' }));
    await app.admin(
      'PUT',
      '/v1/blocks/wide-one',
      testBlock({ id: 'wide-one', slots: 1, size: { width: 600, height: 260 }, image_format: 'png', params: { headline: 'Now on sale', cta: 'Get it →' } }),
    );
    await app.send('track', { userId: 'pat', event: 'Product Added', properties: { product_id: 'p-red', quantity: 1 } });
  }, 30_000);
  afterAll(async () => app?.close());

  const raw = async (bytes: Uint8Array) => sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });

  it.each([
    ['grid', ['head', '0', '1', '2', 'foot']],
    ['square', ['head', '0', '1', '2', '3', 'foot']],
    ['wide-one', ['head', '0', 'text', 'foot']],
  ])(
    'cuts %s into parts that are, pixel for pixel, regions of the whole image and tile it',
    async (block, names) => {
      const whole = await raw(new Uint8Array(await (await app.request(`/i/${block}.png?u=pat`)).arrayBuffer()));
      const links = (await (await app.admin('POST', '/v1/links', { block, esp: 'klaviyo' })).json()) as { parts: Array<{ part: string; width: number; height: number }> };
      expect(links.parts.map((p) => p.part)).toEqual(names);
      // Where each part sits, from the embed's rows: parts of one row side by side, rows one under another.
      let x = 0;
      let y = 0;
      let rowHeight = 0;
      let covered = 0;
      for (const { part: name, width, height } of links.parts) {
        if (x >= 600) {
          x = 0;
          y += rowHeight;
        }
        rowHeight = height;
        const image = await raw((await part(app, name, 'u=pat', block)).bytes);
        const wanted = await sharp(whole.data, { raw: whole.info })
          .extract({ left: x * 2, top: y * 2, width: width * 2, height: height * 2 })
          .raw()
          .toBuffer();
        expect([image.info.width, image.info.height], name).toEqual([width * 2, height * 2]);
        expect(Buffer.compare(image.data, wanted), `${block}/${name} differs from its region of the whole`).toBe(0);
        covered += width * height;
        x += width;
      }
      expect(covered).toBe((whole.info.width * whole.info.height) / 4);
    },
    30_000,
  );
});
