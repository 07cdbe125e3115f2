import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';
import { testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

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
const STARTUP_MS = 90_000;

let wrangler: ChildProcess | undefined;
let photos: PhotoServer;
let stateDir: string;
let origin: string;
let output = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  while (Date.now() < deadline) {
    if (wrangler?.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler?.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${origin}/healthz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`wrangler dev did not answer within ${STARTUP_MS} ms:\n${output}`);
}

beforeAll(async () => {
  photos = await startPhotoServer();
  stateDir = await mkdtemp(join(tmpdir(), 'opentime-wrangler-'));
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const vars = {
    OPENTIME_ADMIN_KEY: ADMIN_KEY,
    OPENTIME_WRITE_KEY: WRITE_KEY,
    OPENTIME_SECRET: 'bundle-secret-0123456789abcdef',
    OPENTIME_STORE_TIMEOUT_MS: '2000',
    OPENTIME_BLOCK_CACHE_SECONDS: '0',
    ...PHOTO_SERVER_ENV,
  };
  const args = [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    stateDir,
    '--inspector-port',
    String(await freePort()),
  ];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  // Its own process group, so that wrangler and the workerd it starts are stopped together.
  // Nothing is downloaded: no telemetry, and no `Request.cf` data from Cloudflare (a placeholder is used).
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  wrangler = spawn(process.execPath, args, { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  wrangler.stdout?.on('data', collect);
  wrangler.stderr?.on('data', collect);
  await waitUntilReady();
}, STARTUP_MS + 10_000);

afterAll(async () => {
  if (wrangler?.pid !== undefined && wrangler.exitCode === null) {
    const exited = new Promise((done) => wrangler?.once('exit', done));
    process.kill(-wrangler.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
  }
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
    expect(response.headers.get('x-opentime-fallback'), output).toBeNull();
    const pixels = await decode(new Uint8Array(await response.arrayBuffer()));
    expect([pixels.width, pixels.height]).toEqual([1200, 600]);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);

    // The open record is written after the response; the click may come before it and decides the same.
    const click = await fetch(`${origin}/c/grid/0?u=bundle-shopper&m=launch`, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/red\?/);
  });
});
