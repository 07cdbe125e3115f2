import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger, testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, sameImage, slotBox } from '../helpers/pixels.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

/**
 * Two opentime servers behind an imaginary load balancer, each with its own
 * data directory and render cache, sharing one Redis: whichever instance a
 * request reaches, it sees what the other one was told.
 */
const WRITE_KEY = 'twins-write-key-0123456789';
const ADMIN_KEY = 'twins-admin-key-0123456789';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
let redis: RedisServer;
let photos: PhotoServer;
let first: RunningServer;
let second: RunningServer;
const dataDirs: string[] = [];

async function instance(): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'opentime-twin-'));
  dataDirs.push(dataDir);
  return startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      // Both must hash email-shaped ids the same way.
      OPENTIME_SECRET: 'twins-secret-0123456789abcdef',
      OPENTIME_DEMO: '0',
      OPENTIME_BLOCK_CACHE_SECONDS: '1',
      // Rendering in the same process can hold the event loop; the budget is not what this file tests.
      OPENTIME_STORE_TIMEOUT_MS: '1000',
      REDIS_URL: redis.url,
      ...PHOTO_SERVER_ENV,
    },
    logger: memoryLogger(),
  });
}

beforeAll(async () => {
  [redis, photos] = await Promise.all([startRedisServer(), startPhotoServer()]);
  [first, second] = await Promise.all([instance(), instance()]);
  expect((await admin(first, 'PUT', '/v1/catalog/products', testCatalog(photos))).status).toBe(200);
  expect((await admin(first, 'PUT', '/v1/blocks/grid', testBlock())).status).toBe(200);
});
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  await Promise.all([photos?.close(), redis?.close(), ...dataDirs.map((dir) => rm(dir, { recursive: true, force: true }))]);
});

const admin = (server: RunningServer, method: string, path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const added = (server: RunningServer, userId: string, productId: string) =>
  fetch(`${server.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, event: 'Product Added', properties: { product_id: productId } }),
  });
async function open(server: RunningServer, blockId: string, query: string) {
  const response = await fetch(`${server.url}/i/${blockId}.png?${query}`, { headers: { 'user-agent': BROWSER } });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, bytes, pixels: await decode(bytes) };
}
/** The open is recorded after the response: waits until the shared store has it. */
async function recorded(server: RunningServer, subjectKey: string, messageId: string): Promise<void> {
  const record = { blockId: 'grid', subjectKey, messageId };
  for (let i = 0; i < 100 && !(await server.deps.store.getOpenRecord(record, Date.now())); i++) await new Promise((r) => setTimeout(r, 20));
}
const click = (server: RunningServer, query: string) => fetch(`${server.url}/c/grid/0?${query}`, { redirect: 'manual', headers: { 'user-agent': BROWSER } });

describe('two instances sharing one Redis', () => {
  it('shows an event posted to the first in the next image rendered by the second', async () => {
    expect((await added(first, 'twin-shopper', 'p-red')).status).toBe(200);
    const { response, pixels } = await open(second, 'grid', 'u=twin-shopper&m=m1');
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
  });

  it('sends a click on the second to what the first showed, even after the cart changed', async () => {
    expect((await added(second, 'twin-clicker', 'p-blue')).status).toBe(200);
    const shown = await open(first, 'grid', 'u=twin-clicker&m=m2');
    expect(shown.pixels.share(PHOTO_COLORS.blue, slotBox(shown.pixels, 0))).toBeGreaterThan(0.25);
    await recorded(second, 'u:twin-clicker', 'm2');
    // Deciding now would put orange first; the click must follow the open.
    expect((await added(first, 'twin-clicker', 'p-orange')).status).toBe(200);

    const response = await click(second, 'u=twin-clicker&m=m2');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/blue\?/);
    // Without an open to follow, the click is decided now: orange.
    expect((await click(second, 'u=twin-clicker&m=never-opened')).headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/orange\?/);
  });

  it('answers an image fetched again from what it kept, until an event or a suppression through the other instance ends it', async () => {
    expect((await added(first, 'twin-repeat', 'p-red')).status).toBe(200);
    const query = 'u=twin-repeat&m=m6';
    for (let i = 0; i < 3; i++) {
      const again = await open(second, 'grid', query);
      expect(again.pixels.share(PHOTO_COLORS.red, slotBox(again.pixels, 0))).toBeGreaterThan(0.25);
    }
    // Every open counts, those answered from what was kept too.
    await second.opentime.services.counters.flush();
    expect((await second.deps.store.readCounters())['block.grid.opens']).toBeGreaterThanOrEqual(3);

    // The first instance is told of a new cart item; the second hears it within milliseconds and decides again
    // (well before its block cache, OPENTIME_BLOCK_CACHE_SECONDS=1 here, would have ended what it kept anyway).
    expect((await added(first, 'twin-repeat', 'p-orange')).status).toBe(200);
    const told = Date.now();
    let after = await open(second, 'grid', query);
    while (after.pixels.share(PHOTO_COLORS.orange, slotBox(after.pixels, 0)) < 0.25 && Date.now() - told < 1000) after = await open(second, 'grid', query);
    expect(after.pixels.share(PHOTO_COLORS.orange, slotBox(after.pixels, 0))).toBeGreaterThan(0.25);
    expect(Date.now() - told).toBeLessThan(300);

    // Suppressed through the first: the second shows them the generic block at once.
    expect((await admin(first, 'POST', '/v1/suppressions', { ids: ['twin-repeat'] })).status).toBe(200);
    const generic = await open(second, 'grid', 'u=twin-nobody&m=m6');
    const suppressed = Date.now();
    let quiet = await open(second, 'grid', query);
    while (!(await sameImage(quiet.bytes, generic.bytes)) && Date.now() - suppressed < 1000) quiet = await open(second, 'grid', query);
    expect(await sameImage(quiet.bytes, generic.bytes)).toBe(true);
    expect(Date.now() - suppressed).toBeLessThan(300);
  });

  it('forgets a subscriber deleted through one instance on the other, and drops events of one suppressed there', async () => {
    expect((await added(second, 'twin-leaver', 'p-purple')).status).toBe(200);
    const before = await open(second, 'grid', 'u=twin-leaver&m=m4');
    expect(before.pixels.share(PHOTO_COLORS.purple, slotBox(before.pixels, 0))).toBeGreaterThan(0.25);
    await recorded(second, 'u:twin-leaver', 'm4');
    // The open also becomes an Email Opened event on the profile, after the response.
    for (let i = 0; i < 100 && !(await second.deps.store.getProfile('u:twin-leaver'))?.lastEventAt['Email Opened']; i++) await new Promise((r) => setTimeout(r, 20));

    const deleted = await admin(first, 'DELETE', '/v1/subjects/twin-leaver');
    expect(await deleted.json()).toEqual({ deleted: { profile: true, links: 0, openRecords: 1, messageIds: 2 }, suppressed: false });
    const after = await open(second, 'grid', 'u=twin-leaver&m=m4');
    const generic = await open(second, 'grid', 'u=twin-never-seen&m=m4');
    expect(await sameImage(after.bytes, generic.bytes)).toBe(true);
    // Their clicks go where anyone's would: the generic block's products.
    const clickedAfter = (await click(second, 'u=twin-leaver&m=m5')).headers.get('location');
    expect(clickedAfter).toBe((await click(second, 'u=twin-never-seen&m=m5')).headers.get('location'));
    expect(clickedAfter).not.toMatch(/\/products\/purple\?/);

    expect((await admin(first, 'POST', '/v1/suppressions', { ids: ['twin-quiet'] })).status).toBe(200);
    const dropped = await added(second, 'twin-quiet', 'p-red');
    expect(await dropped.json()).toMatchObject({ applied: 0, dropped: 1 });
  });

  it('serves a block updated through one instance from the other within OPENTIME_BLOCK_CACHE_SECONDS', async () => {
    const promo = (ids: string[]) => testBlock({ id: 'promo', source: [{ from: 'products', ids }] });
    expect((await admin(first, 'PUT', '/v1/blocks/promo', promo(['p-teal', 'p-purple', 'p-orange']))).status).toBe(200);
    const before = await open(second, 'promo', 'u=anyone&m=m3');
    expect(before.pixels.share(PHOTO_COLORS.teal, slotBox(before.pixels, 0))).toBeGreaterThan(0.25);

    expect((await admin(first, 'PUT', '/v1/blocks/promo', promo(['p-green', 'p-purple', 'p-orange']))).status).toBe(200);
    const updated = Date.now();
    let after = await open(second, 'promo', 'u=anyone&m=m3');
    while (after.pixels.share(PHOTO_COLORS.green, slotBox(after.pixels, 0)) < 0.25 && Date.now() - updated < 5000) {
      await new Promise((r) => setTimeout(r, 100));
      after = await open(second, 'promo', 'u=anyone&m=m3');
    }
    expect(after.pixels.share(PHOTO_COLORS.green, slotBox(after.pixels, 0))).toBeGreaterThan(0.25);
    // One second of cache, plus a render and the polling step.
    expect(Date.now() - updated).toBeLessThan(2000);
  });

  it('counts each open once in the report, whichever instance answered it, with people counted once across both', async () => {
    const servers = [first, second];
    for (let n = 0; n < 12; n++) {
      const { response } = await open(servers[n % 2] as RunningServer, 'grid', `u=twin-reader-${n % 8}&m=twin-send`);
      expect(response.status).toBe(200);
    }
    for (const n of [0, 1, 2]) await recorded(servers[n % 2] as RunningServer, `u:twin-reader-${n}`, 'twin-send');
    for (const n of [0, 1, 2]) expect((await click(servers[(n + 1) % 2] as RunningServer, `u=twin-reader-${n}&m=twin-send`)).status).toBe(302);
    // Each instance writes its aggregates within a second; both go to the one Redis.
    const report = async () => (await (await admin(first, 'GET', '/v1/reports/blocks/grid?message=twin-send')).json()) as { totals: Record<string, unknown> };
    const started = Date.now();
    let totals = (await report()).totals;
    while ((totals.opens_people !== 12 || totals.clicks !== 3) && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 200));
      totals = (await report()).totals;
    }
    expect(totals).toMatchObject({ opens_people: 12, opens_machines: 0, unique_people: 8, clicks: 3, unique_clickers: 3 });
    // The other instance reads the same aggregates.
    expect((await (await admin(second, 'GET', '/v1/reports/blocks/grid?message=twin-send')).json()).totals).toEqual(totals);
  });
});
