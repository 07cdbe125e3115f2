import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger, testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

/**
 * opentime on a real Redis that crashes (SIGKILL) and comes back while the
 * server keeps running. Redis here syncs its append-only file at every
 * write, as a production Redis holding acknowledged events should: what it
 * acknowledged survives the crash.
 */
const WRITE_KEY = 'faults-write-key-0123456789';
const ADMIN_KEY = 'faults-admin-key-0123456789';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
let redis: RedisServer;
let photos: PhotoServer;
let server: RunningServer;
let dataDir: string;
const logger = memoryLogger();

beforeAll(async () => {
  [redis, photos, dataDir] = await Promise.all([startRedisServer({ durable: true }), startPhotoServer(), mkdtemp(join(tmpdir(), 'opentime-faults-'))]);
  server = await startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_SECRET: 'faults-secret-0123456789abcdef',
      OPENTIME_DEMO: '0',
      REDIS_URL: redis.url,
      // The outage is under test, not the open's store budget: a first read on a busy machine may take more than the default 50 ms.
      OPENTIME_STORE_TIMEOUT_MS: '250',
      ...PHOTO_SERVER_ENV,
    },
    logger,
  });
  expect(server.deps.store.name).toBe('redis');
  expect((await admin('PUT', '/v1/catalog/products', testCatalog(photos))).status).toBe(200);
  expect((await admin('PUT', '/v1/blocks/grid', testBlock())).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await Promise.all([photos?.close(), redis?.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const track = (userId: string, productId: string, messageId: string) =>
  fetch(`${server.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, event: 'Product Added', messageId, properties: { product_id: productId } }),
  });
async function open(query: string) {
  const started = performance.now();
  const response = await fetch(`${server.url}/i/grid.png?${query}`, { headers: { 'user-agent': BROWSER } });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { response, ms: performance.now() - started, pixels: await decode(bytes) };
}
async function until<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const cartOf = async (userId: string): Promise<string[]> => {
  const response = await admin('GET', `/v1/profiles/${userId}`);
  return response.status === 200 ? ((await response.json()) as { profile: { cart: Array<{ id: string }> } }).profile.cart.map((line) => line.id) : [];
};

describe('Redis going away and coming back', () => {
  it('serves fallback images and refuses events while Redis is down, then recovers without a restart and has lost nothing it acknowledged', async () => {
    expect((await track('shopper', 'p-red', 'before-crash')).status).toBe(200);
    const personal = await open('u=shopper&m=m1');
    expect(personal.response.headers.get('x-opentime-fallback')).toBeNull();
    expect(personal.pixels.share(PHOTO_COLORS.red, slotBox(personal.pixels, 0))).toBeGreaterThan(0.25);
    await open('u=someone-new&m=m1'); // a generic render, kept for fallbacks
    const fallbacksBefore = ((await (await admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> }).counters['opens.fallback'] ?? 0;

    // A sender that keeps sending through the outage; each event goes to its own subscriber.
    const acknowledged: string[] = [];
    const refused: number[] = [];
    let sending = true;
    const sender = (async () => {
      for (let n = 0; sending; n++) {
        const response = await track(`steady-${n}`, 'p-blue', `steady-${n}`);
        if (response.status === 200) acknowledged.push(`steady-${n}`);
        else refused.push(response.status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await until('events acknowledged before the crash', async () => (acknowledged.length >= 3 ? true : undefined));

    await redis.stop('SIGKILL');

    const opens = [];
    for (let i = 0; i < 5; i++) opens.push(await open('u=shopper&m=m1'));
    for (const during of opens) {
      expect(during.response.status).toBe(200);
      expect(during.response.headers.get('content-type')).toBe('image/png');
      expect(during.response.headers.get('x-opentime-fallback')).not.toBeNull();
      expect(during.ms).toBeLessThan(500);
    }

    const started = performance.now();
    const refusedEvent = await track('shopper', 'p-green', 'during-outage');
    expect(performance.now() - started).toBeLessThan(500);
    expect(refusedEvent.status).toBe(503);
    expect(Number(refusedEvent.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);

    expect(refused.length).toBeGreaterThan(0);
    await redis.start();
    await until('healthz back to 200', async () => ((await fetch(`${server.url}/healthz`)).status === 200 ? true : undefined));

    // The same opentime process takes events and renders personal images again.
    expect((await track('shopper', 'p-green', 'after-restart')).status).toBe(200);
    const recovered = await until('a personal image again', async () => {
      const image = await open('u=shopper&m=m1');
      return image.response.headers.get('x-opentime-fallback') === null ? image : undefined;
    });
    expect(recovered.pixels.share(PHOTO_COLORS.green, slotBox(recovered.pixels, 0))).toBeGreaterThan(0.25);
    expect(recovered.pixels.share(PHOTO_COLORS.red, slotBox(recovered.pixels, 1))).toBeGreaterThan(0.25);

    const acknowledgedBeforeRestart = acknowledged.length;
    await until('the sender acknowledged again', async () => (acknowledged.length > acknowledgedBeforeRestart ? true : undefined));
    sending = false;
    await sender;
    expect(refused.every((status) => status === 503)).toBe(true);
    for (const userId of acknowledged) expect(await cartOf(userId), userId).toEqual(['p-blue']);

    const counters = ((await (await admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> }).counters;
    expect((counters['opens.fallback'] ?? 0) - fallbacksBefore).toBeGreaterThanOrEqual(opens.length);
    // The outage is logged once when it starts and once when it ends, not at every reconnect attempt.
    expect(logger.lines.filter((line) => line.includes('redis connection lost'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.includes('redis connection restored'))).toHaveLength(1);
  });
});
