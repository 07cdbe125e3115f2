import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';
import { startWranglerDev, WRANGLER_STARTUP_MS, type WranglerDev } from '../helpers/wrangler-dev.ts';

/**
 * The Worker as `npm run dev:worker` runs it: wrangler bundles src/worker.ts
 * (esbuild, wrangler.toml's module rules) and serves it from workerd. The
 * workerd tests (test/workers/) load the sources through Vite instead, which
 * gives modules a `__filename` and Node's globals; only the real bundle shows
 * whether what is deployed starts and renders. Driven over HTTP, photos from
 * a local server, state in a temporary directory.
 */
const ADMIN_KEY = 'bundle-admin-key-0123456789';
const WRITE_KEY = 'bundle-write-key-0123456789';

let photos: PhotoServer;
let stateDir: string;
let worker: WranglerDev;
let origin: string;

beforeAll(async () => {
  photos = await startPhotoServer();
  stateDir = await mkdtemp(join(tmpdir(), 'opentime-wrangler-'));
  worker = await startWranglerDev(stateDir, {
    OPENTIME_ADMIN_KEY: ADMIN_KEY,
    OPENTIME_WRITE_KEY: WRITE_KEY,
    OPENTIME_SECRET: 'bundle-secret-0123456789abcdef',
    OPENTIME_STORE_TIMEOUT_MS: '2000',
    OPENTIME_BLOCK_CACHE_SECONDS: '0',
    ...PHOTO_SERVER_ENV,
  });
  origin = worker.origin;
}, WRANGLER_STARTUP_MS + 10_000);

afterAll(async () => {
  await worker?.stop();
  await photos?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const admin = (method: string, path: string, body: unknown) =>
  fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const track = (body: unknown) =>
  fetch(`${origin}/v1/track`, { method: 'POST', headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the bundled Worker under wrangler dev', () => {
  it('takes an event and renders the carted product’s photo in the first slot, and the click goes there', async () => {
    expect((await admin('PUT', '/v1/catalog/products', testCatalog(photos))).status).toBe(200);
    expect((await admin('PUT', '/v1/blocks/grid', testBlock())).status).toBe(200);
    expect((await track({ userId: 'bundle-shopper', event: 'Product Added', properties: { product_id: 'p-red' } })).status).toBe(200);

    const response = await fetch(`${origin}/i/grid.png?u=bundle-shopper&m=launch`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-opentime-fallback'), worker.output()).toBeNull();
    const pixels = await decode(new Uint8Array(await response.arrayBuffer()));
    expect([pixels.width, pixels.height]).toEqual([1200, 600]);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);

    // The open record is written after the response; the click may come before it and decides the same.
    const click = await fetch(`${origin}/c/grid/0?u=bundle-shopper&m=launch`, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/red\?/);
  });
});
