import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { userHash } from '../../src/core/events/user-hash.ts';
import { sdkTag } from '../../src/sdk/script.ts';
import { memoryLogger, testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

/**
 * The snippet in a real browser: Debian's Chromium, driven by
 * playwright-core (nothing is downloaded). A shop on its own origin loads
 * /sdk.js from a running opentime, as a shop would with the copy-paste tag.
 */
const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
const WRITE_KEY = 'browser-test-write-key-01';
const ADMIN_KEY = 'browser-test-admin-key-01';
const BROWSER_KEY = 'browser-test-public-key-01';
const IDENTITY_SECRET = 'browser-test-identity-secret-01';

let photos: PhotoServer;
let server: RunningServer;
let shop: Server;
let shopOrigin: string;
let dataDir: string;
let userDataDir: string;
let context: BrowserContext;
let page: Page;

const PRODUCTS: Record<string, { name: string; price: number }> = {
  'p-red': { name: 'The Red One', price: 80 },
  'p-green': { name: 'The Green One', price: 60 },
  'p-blue': { name: 'The Blue One', price: 120 },
};

function shopPage(title: string, body: string, jsonLd?: object, api?: string, afterTag = '', autocapture = 'product cart'): string {
  const tag = sdkTag({ src: `${server.url}/sdk.js`, key: BROWSER_KEY, autocapture, cartSelector: '.add-to-cart', ...(api ? { api } : {}) });
  const ld = jsonLd ? `<script type="application/ld+json">${JSON.stringify(jsonLd)}</script>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${ld}${tag}${afterTag}</head><body>${body}</body></html>`;
}

/** A small shop: product pages with schema.org JSON-LD and an add-to-cart form that posts and redirects, like most shops. */
async function startShop(): Promise<void> {
  shop = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    req.resume();
    const product = /^\/products\/([\w-]+)$/.exec(url.pathname)?.[1];
    if (req.method === 'POST' && url.pathname === '/cart') {
      res.writeHead(303, { location: '/cart' });
      res.end();
    } else if (product && PRODUCTS[product]) {
      const { name, price } = PRODUCTS[product];
      const jsonLd = { '@context': 'https://schema.org', '@type': 'Product', sku: product, name, offers: { '@type': 'Offer', price: String(price), priceCurrency: 'USD' } };
      const form = `<h1>${name}</h1><form method="post" action="/cart"><input name="quantity" value="1"><button type="submit" class="add-to-cart">Add to cart</button></form>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(shopPage(name, form, jsonLd, url.searchParams.get('api') ?? undefined));
    } else if (url.pathname === '/consent') {
      // A consent banner's answer, given before the snippet has loaded: the inline stub queues it.
      const answer = url.searchParams.get('personalization') === 'yes';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(shopPage('Consent', '<h1>Thanks</h1>', undefined, undefined, `<script>opentime.consent({ Personalization: ${answer} });</script>`));
    } else if (url.pathname === '/guide') {
      // A long read, with the engagement capture on.
      const paragraphs = Array.from({ length: 60 }, (_, i) => `<p style="height:120px">Paragraph ${i + 1} of the sizing guide.</p>`).join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(shopPage('Sizing guide', `<h1>Sizing guide</h1>${paragraphs}`, undefined, undefined, '', 'product cart engagement'));
    } else if (url.pathname === '/cart' || url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(shopPage('Shop', '<h1>Your cart</h1>'));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ready) => shop.listen(0, '127.0.0.1', ready));
  shopOrigin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
}

async function admin(method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
}

async function profileOf(id: string) {
  const response = await fetch(`${server.url}/v1/profiles/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return response.status === 200 ? ((await response.json()) as { profile: { cart: Array<{ id: string }>; viewed: Array<{ id: string }>; traits: object } }).profile : undefined;
}

/** Polls until `check` passes: the snippet batches and sends in the background. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ids = (list: Array<{ id: string }> | undefined) => (list ?? []).map((x) => x.id).sort();
const snippetReady = () => page.waitForFunction(() => (window as unknown as { opentime?: { loaded?: boolean } }).opentime?.loaded === true);

describe.skipIf(!existsSync(CHROMIUM))('the snippet in headless Chromium', () => {
  beforeAll(async () => {
    photos = await startPhotoServer();
    await startShop();
    dataDir = await mkdtemp(join(tmpdir(), 'opentime-browser-'));
    userDataDir = await mkdtemp(join(tmpdir(), 'opentime-chromium-'));
    server = await startServer({
      env: {
        PORT: '0',
        OPENTIME_DATA_DIR: dataDir,
        OPENTIME_DEMO: '0',
        OPENTIME_WRITE_KEY: WRITE_KEY,
        OPENTIME_ADMIN_KEY: ADMIN_KEY,
        OPENTIME_SECRET: 'browser-test-secret-0123456',
        OPENTIME_BROWSER_KEY: BROWSER_KEY,
        OPENTIME_CORS_ORIGINS: shopOrigin,
        OPENTIME_CONSENT_CATEGORIES: 'Personalization',
        OPENTIME_IDENTITY_SECRET: IDENTITY_SECRET,
        ...PHOTO_SERVER_ENV,
      },
      logger: memoryLogger(),
    });
    await admin('PUT', '/v1/catalog/products', testCatalog(photos));
    await admin('PUT', '/v1/blocks/grid', testBlock());
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await photos?.close();
    await new Promise((done) => (shop ? shop.close(done) : done(undefined)));
    for (const dir of [dataDir, userDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('captures product views and an add-to-cart; identify moves them to the user, whose email image shows the carted product', async () => {
    await page.goto(`${shopOrigin}/products/p-green`);
    await snippetReady();
    const anonymousId = await page.evaluate(() => (window as unknown as { opentime: { user(): { anonymousId: string } } }).opentime.user().anonymousId);
    await page.goto(`${shopOrigin}/products/p-red`);
    await snippetReady();
    // The form posts and the page goes away at once: the event leaves with the page (sendBeacon).
    await Promise.all([page.waitForURL(`${shopOrigin}/cart`), page.click('.add-to-cart')]);
    await snippetReady();

    const anonymous = await eventually(
      () => server.deps.store.getProfile(`a:${anonymousId}`),
      (p) => ids(p?.cart).includes('p-red') && ids(p?.viewed).length === 2,
    );
    expect(ids(anonymous?.viewed)).toEqual(['p-green', 'p-red']);
    expect(ids(anonymous?.cart)).toEqual(['p-red']);
    // The same visitor on every page: the anonymous id is in first-party storage.
    expect(await page.evaluate(() => localStorage.getItem('opentime.aid'))).toBe(anonymousId);

    // The shop's server, which knows who logged in, puts the user's hash in the page.
    const hash = await userHash(IDENTITY_SECRET, 'shopper-42');
    await page.evaluate(
      (userHash) =>
        (window as unknown as { opentime: { identify(id: string, traits: object, options: object): void } }).opentime.identify('shopper-42', { plan: 'gold' }, { userHash }),
      hash,
    );
    // The link moves the visitor's profile first, then the identify's traits are applied: wait for both.
    const known = await eventually(
      () => profileOf('shopper-42'),
      (p) => ids(p?.cart).includes('p-red') && Object.keys(p?.traits ?? {}).length > 0,
    );
    expect(ids(known?.cart)).toEqual(['p-red']);
    expect(ids(known?.viewed)).toEqual(['p-green', 'p-red']);
    expect(known?.traits).toEqual({ plan: 'gold' });

    const image = await fetch(`${server.url}/i/grid.png?u=shopper-42&m=browser-test`);
    expect(image.headers.get('x-opentime-fallback')).toBeNull();
    const pixels = await decode(new Uint8Array(await image.arrayBuffer()));
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    expect(pixels.share(PHOTO_COLORS.green, slotBox(pixels, 1))).toBeGreaterThan(0.25);
  });

  it('cannot claim a user the shop’s server did not vouch for: the events API refuses it, and the visitor stays who they were', async () => {
    await page.goto(`${shopOrigin}/cart`);
    await snippetReady();
    const anonymousId = await page.evaluate(() => (window as unknown as { opentime: { user(): { anonymousId: string } } }).opentime.user().anonymousId);
    const refused = page.waitForResponse((r) => r.url().endsWith('/v1/batch') && r.request().method() === 'POST');
    await page.evaluate(() => (window as unknown as { opentime: { identify(id: string): void } }).opentime.identify('someone-else'));
    const answer = await refused;
    expect(answer.status()).toBe(403);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('USER_HASH_INVALID');
    expect(await server.deps.store.getLinks([`a:${anonymousId}`])).toEqual(new Map([[`a:${anonymousId}`, 'u:shopper-42']]));
    expect(await profileOf('someone-else')).toBeUndefined();

    // Logging back in with the hash restores the visitor for the tests that follow.
    const hash = await userHash(IDENTITY_SECRET, 'shopper-42');
    await page.evaluate(
      (userHash) => (window as unknown as { opentime: { identify(id: string, traits: object, options: object): void } }).opentime.identify('shopper-42', {}, { userHash }),
      hash,
    );
    expect(await page.evaluate(() => localStorage.getItem('opentime.uhash'))).toBe(hash);
  });

  it('keeps events while offline and sends them after reconnecting', async () => {
    await page.goto(`${shopOrigin}/cart`);
    await snippetReady();
    await context.setOffline(true);
    await page.evaluate(() => (window as unknown as { opentime: { track(e: string, p: object): void } }).opentime.track('Product Added', { product_id: 'p-blue', quantity: 1 }));
    // Past the batching delay: the snippet has tried, found the browser offline, and kept the event.
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => localStorage.getItem('opentime.queue'))).toContain('p-blue');
    expect(ids((await profileOf('shopper-42'))?.cart)).not.toContain('p-blue');

    await context.setOffline(false);
    const profile = await eventually(
      () => profileOf('shopper-42'),
      (p) => ids(p?.cart).includes('p-blue'),
    );
    expect(ids(profile?.cart)).toEqual(['p-blue', 'p-red']);
  });

  it('sends events stored by a page that could not reach opentime from the next page', async () => {
    // A port nobody listens on: for this page opentime is down, for fetch and sendBeacon alike.
    const dead = createServer();
    await new Promise<void>((ready) => dead.listen(0, '127.0.0.1', ready));
    const deadApi = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((done) => dead.close(done));

    await page.goto(`${shopOrigin}/products/p-blue?api=${encodeURIComponent(deadApi)}`);
    await snippetReady();
    await page.evaluate(() => (window as unknown as { opentime: { track(e: string, p: object): void } }).opentime.track('Product Viewed', { product_id: 'p-teal' }));
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => localStorage.getItem('opentime.queue'))).toContain('p-teal');
    // Leaving the page beacons the queue into the void; the event stays stored until a batch is answered.
    await page.goto(`${shopOrigin}/cart`);
    await snippetReady();
    const profile = await eventually(
      () => profileOf('shopper-42'),
      (p) => ids(p?.viewed).includes('p-teal'),
    );
    expect(ids(profile?.viewed)).toContain('p-teal');
    await eventually(
      () => page.evaluate(() => localStorage.getItem('opentime.queue')),
      (queue) => queue === '[]',
    );
    expect(await page.evaluate(() => localStorage.getItem('opentime.queue'))).toBe('[]');
  });

  it('draws a pixel with bad input as an invisible 1×1 image, not a broken one', async () => {
    const drawn = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await new Promise((done) => {
        img.onload = done;
        img.onerror = done;
      });
      return [img.naturalWidth, img.naturalHeight];
    }, `${server.url}/v1/p.gif?writeKey=${BROWSER_KEY}&userId=shopper-42`);
    expect(drawn).toEqual([1, 1]);
  });

  it('sends the visitor’s consent: refused, their views are not kept; given again, they are', async () => {
    type Snippet = { reset(): void; track(e: string, p: object): void; user(): { anonymousId: string } };
    await page.goto(`${shopOrigin}/cart`);
    await snippetReady();
    // Someone new on this browser.
    const anonymousId = await page.evaluate(() => {
      const opentime = (window as unknown as { opentime: Snippet }).opentime;
      opentime.reset();
      return opentime.user().anonymousId;
    });
    const key = `a:${anonymousId}`;
    await page.goto(`${shopOrigin}/consent?personalization=no`);
    await snippetReady();
    await page.evaluate(() => (window as unknown as { opentime: Snippet }).opentime.track('Product Viewed', { product_id: 'p-green' }));
    // Recorded as the browser's own withdrawal: the browser may lift it, and only it.
    const suppressed = await eventually(
      () => server.deps.store.getSuppressions([key]),
      (found) => found.get(key) === 'browser',
    );
    expect(suppressed.get(key)).toBe('browser');
    expect(await page.evaluate(() => localStorage.getItem('opentime.consent'))).toBe('{"Personalization":false}');
    await eventually(
      () => page.evaluate(() => localStorage.getItem('opentime.queue')),
      (queue) => queue === '[]',
    );
    expect(ids((await server.deps.store.getProfile(key))?.viewed)).toEqual([]);

    await page.goto(`${shopOrigin}/consent?personalization=yes`);
    await snippetReady();
    await page.evaluate(() => (window as unknown as { opentime: Snippet }).opentime.track('Product Viewed', { product_id: 'p-blue' }));
    const profile = await eventually(
      () => server.deps.store.getProfile(key),
      (p) => ids(p?.viewed).includes('p-blue'),
    );
    expect(ids(profile?.viewed)).toEqual(['p-blue']);
  });

  it('reports how long a page was read and how far it was scrolled when data-autocapture includes engagement, and the profile scores it', async () => {
    await page.goto(`${shopOrigin}/guide`);
    await snippetReady();
    const anonymousId = await page.evaluate(() => (window as unknown as { opentime: { user(): { anonymousId: string } } }).opentime.user().anonymousId);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(1300);
    // Leaving the page sends it; the cart page (no engagement capture) and the one after it send none.
    await page.goto(`${shopOrigin}/cart`);
    await snippetReady();
    await page.waitForTimeout(1100);
    await page.goto(`${shopOrigin}/`);
    await snippetReady();
    const key = `a:${anonymousId}`;
    const linked = (await server.deps.store.getLinks([key])).get(key) ?? key;
    const profile = await eventually(
      () => server.deps.store.getProfile(linked),
      (p) => (p?.activity?.pages.length ?? 0) > 0,
    );
    const pages = profile?.activity?.pages ?? [];
    expect(pages).toHaveLength(1);
    expect(pages[0]?.dwell).toBeGreaterThanOrEqual(1.2);
    expect(pages[0]?.dwell).toBeLessThan(30);
    expect(pages[0]?.scroll).toBeGreaterThanOrEqual(0.95);
    expect(profile?.scores?.engagement_score).toBeGreaterThan(0);
  });
});
