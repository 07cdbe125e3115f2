import { Analytics } from '@segment/analytics-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { DEMO_PRODUCTS } from '../../src/demo/catalog.ts';
import { memoryLogger } from '../helpers/app.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

const WRITE_KEY = 'node-test-write-key-0123';
const ADMIN_KEY = 'node-test-admin-key-0123';
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-node-'));
  server = await startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_SECRET: 'node-test-secret-0123456789',
      // The server's wiring is under test, not its budgets: on a busy machine a first store read may miss the default 50 ms.
      OPENTIME_STORE_TIMEOUT_MS: '1000',
    },
    logger: memoryLogger(),
  });
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const profile = async (id: string) => {
  const response = await fetch(`${server.url}/v1/profiles/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return response.status === 200 ? (await response.json()).profile : undefined;
};
const hex = (color: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];

describe('the Node server', () => {
  it('takes events from the real @segment/analytics-node client', async () => {
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: server.url, flushAt: 3, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    analytics.identify({ userId: 'seg-1', anonymousId: 'seg-browser', traits: { plan: 'gold', email: 'seg@example.com' } });
    analytics.track({ userId: 'seg-1', event: 'Product Viewed', properties: { product_id: 'weekender', category: 'bags' } });
    analytics.track({ userId: 'seg-1', event: 'Product Added', properties: { product_id: 'aviators', quantity: 2 } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    const seen = await profile('seg-1');
    expect(seen.cart).toEqual([expect.objectContaining({ id: 'aviators', quantity: 2 })]);
    expect(seen.viewed[0].id).toBe('weekender');
    expect(seen.lastCategory.name).toBe('bags');
    expect(seen.traits).toEqual({ plan: 'gold' });
  });

  it('serves the demo page and a demo block that changes when the demo shopper carts a product', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    // The demo email is the block sliced: one image and one link per product.
    expect(html).toContain('/i/demo-picks/0.png');
    expect(html).toContain('/c/demo-picks/2?');

    const watch = DEMO_PRODUCTS.find((p) => p.id === 'field-watch');
    const before = await decode(new Uint8Array(await (await fetch(`${server.url}/i/demo-picks.png?u=demo-test&m=d`)).arrayBuffer()));
    expect([before.width, before.height]).toEqual([1200, 600]);

    const added = await fetch(`${server.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'demo-test', event: 'Product Added', properties: { product_id: 'field-watch' } }),
    });
    expect(added.status).toBe(200);
    const response = await fetch(`${server.url}/i/demo-picks.png?u=demo-test&m=d`);
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    const after = await decode(new Uint8Array(await response.arrayBuffer()));
    // The watch's strap colour fills part of the first slot.
    expect(after.share(hex(watch?.color ?? '#000000'), slotBox(after, 0), 20)).toBeGreaterThan(0.02);
    expect(before.share(hex(watch?.color ?? '#000000'), slotBox(before, 0), 20)).toBeLessThan(0.005);

    const click = await fetch(`${server.url}/c/demo-picks/0?u=demo-test&m=d`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toContain('/demo/shop/field-watch?utm_source=email');
  });

  it('answers /healthz for load balancers', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, store: 'sqlite' });
  });
});

describe('the Node server in production', () => {
  const production = (extra: Record<string, string>) =>
    startServer({
      env: {
        PORT: '0',
        NODE_ENV: 'production',
        OPENTIME_DATA_DIR: dataDir,
        OPENTIME_WRITE_KEY: WRITE_KEY,
        OPENTIME_ADMIN_KEY: ADMIN_KEY,
        OPENTIME_SECRET: 'node-test-secret-0123456789',
        ...extra,
      },
      logger: memoryLogger(),
    });

  it('serves no demo unless OPENTIME_DEMO=1, and then never shows the write key', async () => {
    const plain = await production({});
    try {
      expect((await fetch(`${plain.url}/`)).status).toBe(404);
      expect((await fetch(`${plain.url}/demo/shop`)).status).toBe(404);
    } finally {
      await plain.close();
    }
    const demo = await production({ OPENTIME_DEMO: '1' });
    try {
      const page = await fetch(`${demo.url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('/i/demo-picks/0.png');
      expect(html).not.toContain(WRITE_KEY);
      expect(html).not.toContain(ADMIN_KEY);
    } finally {
      await demo.close();
    }
  });
});

describe('the demo behind a hostile Host header', () => {
  it('puts neither the environment’s write key nor the Host header into its pages', async () => {
    const { request } = await import('node:http');
    const get = (path: string) =>
      new Promise<string>((done, failed) => {
        const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host: 'evil.example"onmouseover="alert(1)' } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => done(body));
        });
        req.on('error', failed);
        req.end();
      });
    for (const path of ['/', '/demo/shop']) {
      const html = await get(path);
      expect(html, path).toContain('<html');
      expect(html, path).not.toContain('onmouseover="');
      expect(html, path).not.toContain(WRITE_KEY);
    }
  });
});
