import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userHash } from '../../src/core/events/user-hash.ts';
import { sdkTag } from '../../src/sdk/script.ts';
import { testBlock, testCatalog } from '../helpers/app.ts';
import { startFakeEsp, type FakeEsp } from '../helpers/fake-esp.ts';
import { startNodeProcess } from '../helpers/node-process.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

/**
 * The abandoned cart end to end, as a shop runs it: a shopper carts a
 * product on the shop's own pages through the browser snippet in Chromium;
 * opentime (`node src/node.ts`, killed with SIGKILL and started again during
 * the wait) sends exactly one Klaviyo event to a fake Klaviyo after the
 * trigger's wait, whose block URLs render that shopper's cart; a shopper
 * who orders first gets none.
 */
const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
const WRITE_KEY = 'trigger-test-write-key-01';
const ADMIN_KEY = 'trigger-test-admin-key-01';
const BROWSER_KEY = 'trigger-test-public-key-01';
const IDENTITY_SECRET = 'trigger-test-identity-secret-01';
const WAIT_SECONDS = 10;

let photos: PhotoServer;
let klaviyo: FakeEsp;
let shop: Server;
let shopOrigin: string;
let dataDir: string;
let port: number;
let apiUrl: string;
let opentime: ChildProcess | undefined;
let browser: Browser;
const children: ChildProcess[] = [];

const PRODUCTS: Record<string, { name: string; price: number }> = { 'p-red': { name: 'The Red One', price: 80 }, 'p-green': { name: 'The Green One', price: 60 } };

async function startShop(): Promise<void> {
  shop = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    req.resume();
    const product = /^\/products\/([\w-]+)$/.exec(url.pathname)?.[1];
    const page = (title: string, body: string, jsonLd?: object) => {
      const tag = sdkTag({ src: `${apiUrl}/sdk.js`, key: BROWSER_KEY, autocapture: 'product cart', cartSelector: '.add-to-cart' });
      const ld = jsonLd ? `<script type="application/ld+json">${JSON.stringify(jsonLd)}</script>` : '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${ld}${tag}</head><body>${body}</body></html>`);
    };
    if (req.method === 'POST' && url.pathname === '/cart') {
      res.writeHead(303, { location: '/cart' });
      res.end();
    } else if (product && PRODUCTS[product]) {
      const { name, price } = PRODUCTS[product];
      const jsonLd = { '@context': 'https://schema.org', '@type': 'Product', sku: product, name, offers: { '@type': 'Offer', price: String(price), priceCurrency: 'USD' } };
      page(
        name,
        `<h1>${name}</h1><form method="post" action="/cart"><input name="quantity" value="1"><button type="submit" class="add-to-cart">Add to cart</button></form>`,
        jsonLd,
      );
    } else if (url.pathname === '/cart' || url.pathname === '/') {
      page('Shop', '<h1>Your cart</h1>');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ready) => shop.listen(0, '127.0.0.1', ready));
  shopOrigin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
}

/** A port free now, so that opentime comes back on the same URL after its restart (the shop's pages name it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return free;
}

async function bootOpentime(): Promise<void> {
  const started = await startNodeProcess(dataDir, {
    PORT: String(port),
    OPENTIME_PUBLIC_URL: apiUrl,
    OPENTIME_WRITE_KEY: WRITE_KEY,
    OPENTIME_ADMIN_KEY: ADMIN_KEY,
    OPENTIME_SECRET: 'trigger-test-secret-0123456',
    OPENTIME_BROWSER_KEY: BROWSER_KEY,
    OPENTIME_CORS_ORIGINS: shopOrigin,
    OPENTIME_IDENTITY_SECRET: IDENTITY_SECRET,
    OPENTIME_KLAVIYO_URL: klaviyo.url,
    OPENTIME_KLAVIYO_API_KEY: 'pk_trigger_test',
    ...PHOTO_SERVER_ENV,
  });
  opentime = started.child;
  children.push(started.child);
}

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function report(): Promise<Record<string, number>> {
  return (await (await admin('GET', '/v1/triggers/cart-abandoned/report')).json()) as Record<string, number>;
}

async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

type Opentime = { identify(id: string, traits: object, options: object): void; track(event: string, properties: object): void };
const snippetReady = (page: Page) => page.waitForFunction(() => (window as unknown as { opentime?: { loaded?: boolean } }).opentime?.loaded === true);

/** A shopper in their own browser profile: logs in (the shop's server vouches with the user hash), views p-red and carts it. */
async function cartAsShopper(shopper: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${shopOrigin}/cart`);
  await snippetReady(page);
  const hash = await userHash(IDENTITY_SECRET, shopper);
  await page.evaluate(([id, h]) => (window as unknown as { opentime: Opentime }).opentime.identify(id as string, {}, { userHash: h }), [shopper, hash]);
  await page.goto(`${shopOrigin}/products/p-red`);
  await snippetReady(page);
  await Promise.all([page.waitForURL(`${shopOrigin}/cart`), page.click('.add-to-cart')]);
  await snippetReady(page);
  return page;
}

const eventsFor = (shopper: string) => klaviyo.requests.filter((r) => r.body?.data?.attributes?.profile?.data?.attributes?.external_id === shopper);

describe.skipIf(!existsSync(CHROMIUM))('an abandoned cart from the browser snippet to Klaviyo', () => {
  beforeAll(async () => {
    photos = await startPhotoServer();
    klaviyo = await startFakeEsp();
    dataDir = await mkdtemp(join(tmpdir(), 'opentime-trigger-'));
    port = await freePort();
    apiUrl = `http://localhost:${port}`;
    await startShop();
    await bootOpentime();
    expect((await admin('PUT', '/v1/catalog/products', testCatalog(photos))).status).toBe(200);
    expect((await admin('PUT', '/v1/blocks/cart-reminder', testBlock({ id: 'cart-reminder' }))).status).toBe(200);
    const trigger = {
      start: { event: 'Product Added' },
      wait: { seconds: WAIT_SECONDS },
      cancel: { events: ['Order Completed'] },
      when: { '>': [{ var: 'profile.cart_count' }, 0] },
      blocks: ['cart-reminder'],
      destination: { type: 'klaviyo', metric: 'Cart Abandoned' },
    };
    expect((await admin('PUT', '/v1/triggers/cart-abandoned', trigger)).status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const child of children) child.kill('SIGKILL');
    await klaviyo?.close();
    await photos?.close();
    await new Promise((done) => (shop ? shop.close(done) : done(undefined)));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('sends exactly one Klaviyo event after the wait for the one who left, none for the one who ordered, across a SIGKILL restart in the wait; its block URLs render that cart', async () => {
    const buyer = await cartAsShopper('shopper-buys');
    const leaver = await cartAsShopper('shopper-leaves');
    expect((await eventually(report, (r) => r.started === 2)).started).toBe(2);
    // The buyer orders during the wait, from the shop's confirmation page.
    await buyer.evaluate(() =>
      (window as unknown as { opentime: Opentime }).opentime.track('Order Completed', { order_id: 'o-1', products: [{ product_id: 'p-red', quantity: 1 }] }),
    );
    expect((await eventually(report, (r) => r.cancelled === 1)).cancelled).toBe(1);

    // Killed without warning in the middle of the wait, and started again.
    expect(klaviyo.requests).toHaveLength(0);
    const killedAt = Date.now();
    opentime?.kill('SIGKILL');
    await new Promise((done) => opentime?.once('exit', done));
    await bootOpentime();

    const events = await eventually(
      async () => eventsFor('shopper-leaves'),
      (list) => list.length > 0,
      30_000,
    );
    expect(events).toHaveLength(1);
    const { started_at: startedAt, fired_at: firedAt } = events[0]?.body.data.attributes.properties;
    expect(killedAt).toBeLessThan(Date.parse(startedAt) + WAIT_SECONDS * 1000);
    expect(Date.parse(firedAt) - Date.parse(startedAt)).toBeGreaterThanOrEqual(WAIT_SECONDS * 1000);
    // Some more polls of the restarted instance: still one, and nothing for the buyer.
    await new Promise((r) => setTimeout(r, 3000));
    expect(klaviyo.requests).toHaveLength(1);
    expect(eventsFor('shopper-buys')).toHaveLength(0);
    expect(await report()).toMatchObject({ started: 2, cancelled: 1, fired: 1, sent: 1, failed: 0 });

    const attributes = events[0]?.body.data.attributes;
    expect(events[0]?.headers.authorization).toBe('Klaviyo-API-Key pk_trigger_test');
    expect(attributes.metric.data.attributes.name).toBe('Cart Abandoned');
    expect(attributes.properties.facts.cart.map((item: { product_id: string }) => item.product_id)).toEqual(['p-red']);
    const { image_url: imageUrl, click_url: clickUrl } = attributes.properties.blocks['cart-reminder'];
    expect(imageUrl.startsWith(`${apiUrl}/i/cart-reminder.png?u=shopper-leaves&m=`)).toBe(true);
    const image = await fetch(imageUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('x-opentime-fallback')).toBeNull();
    const pixels = await decode(new Uint8Array(await image.arrayBuffer()));
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    const click = await fetch(clickUrl, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\/products\/red\?/);
    await leaver.context().close();
    await buyer.context().close();
  });
});
