import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { MERGE_TAGS } from '../../src/core/links/snippets.ts';
import { memoryLogger, testBlock, testCatalog } from '../helpers/app.ts';
import { PHOTO_COLORS, PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import type { PhotoColor } from '../helpers/photo-colors.ts';
import { decode } from '../helpers/pixels.ts';

/**
 * The sliced embed as a subscriber gets it: the HTML `POST /v1/links`
 * answers, its merge tags filled in as the ESP would, inside a page that
 * imitates an email body, opened in Debian's Chromium against a running
 * server. The browser fetches the parts in parallel; each part shows its
 * own product, each link opens it, and an event that arrives while the
 * parts are on their way changes none of them.
 */
const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
const WRITE_KEY = 'sliced-email-write-key-0123';
const ADMIN_KEY = 'sliced-email-admin-key-0123';

/** A reader's browser: Chromium's headless user agent is taken for a link scanner, which is never counted as an open. */
const READER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

let photos: PhotoServer;
let server: RunningServer;
let dataDir: string;
let browser: Browser;

async function api(method: string, path: string, body: unknown, key = ADMIN_KEY): Promise<Response> {
  const authorization = key === WRITE_KEY ? `Basic ${btoa(`${WRITE_KEY}:`)}` : `Bearer ${key}`;
  return fetch(`${server.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const carted = (userId: string, product: string) => api('POST', '/v1/track', { userId, event: 'Product Added', properties: { product_id: product, quantity: 1 } }, WRITE_KEY);
const viewed = (userId: string, product: string) => api('POST', '/v1/track', { userId, event: 'Product Viewed', properties: { product_id: product } }, WRITE_KEY);

async function opens(): Promise<number> {
  const stats = (await (await fetch(`${server.url}/v1/stats`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { counters: Record<string, number> };
  return stats.counters.opens ?? 0;
}

/** The email as the ESP sends it to one subscriber: its merge tags replaced by their values, in a typical email body. */
async function emailFor(subscriber: string, message: string): Promise<string> {
  const response = await api('POST', '/v1/links', { block: 'grid', esp: 'klaviyo', base_url: server.url });
  expect(response.status).toBe(200);
  const { html, sliced } = (await response.json()) as { html: string; sliced: boolean };
  expect(sliced).toBe(true);
  const filled = html.replaceAll(MERGE_TAGS.klaviyo.subscriber, encodeURIComponent(subscriber)).replaceAll(MERGE_TAGS.klaviyo.message, message);
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your picks</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:24px 0">
  <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff"><tr><td style="padding:16px 0;font:16px Arial,sans-serif">Hi, here is what we kept for you:</td></tr>
  <tr><td>${filled}</td></tr>
  <tr><td style="padding:16px 0;font:12px Arial,sans-serif;color:#6b7280">You get this email because you shop with us.</td></tr></table>
</td></tr></table>
</body></html>`;
}

/** What one slot's image shows, as the subscriber sees it on screen. */
async function colorShare(page: Page, slot: number, color: PhotoColor): Promise<number> {
  const pixels = await decode(await page.locator(`img[src*="/i/grid/${slot}.png"]`).screenshot());
  return pixels.share(PHOTO_COLORS[color], { x: 0, y: 0, width: pixels.width, height: Math.floor(pixels.height * 0.6) });
}

/** Where a click on slot `slot` lands: the shop's product page (answered here, the shop being elsewhere). */
async function clickTarget(page: Page, slot: number): Promise<string> {
  const [opened] = await Promise.all([page.context().waitForEvent('page'), page.locator(`a[href*="/c/grid/${slot}?"]`).click()]);
  await opened.waitForURL(/shop\.example\.com/);
  const url = new URL(opened.url());
  await opened.close();
  return url.pathname;
}

async function openEmail(html: string, options: { whileFetching?: () => Promise<unknown> } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 800, height: 900 }, deviceScaleFactor: 1, userAgent: READER_AGENT });
  await context.route('https://shop.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>The shop</h1>' }));
  const page = await context.newPage();
  if (options.whileFetching) {
    // The first part is answered; the others wait until an event has been sent, then go on, as a slow connection would make them.
    let first: () => void = () => undefined;
    const firstServed = new Promise<void>((resolve) => {
      first = resolve;
    });
    let event: Promise<unknown> | undefined;
    await page.route(/\/i\/grid\/[^/]+\.png/, async (route) => {
      if (route.request().url().includes('/i/grid/0.png')) {
        const response = await route.fetch();
        await route.fulfill({ response });
        first();
        return;
      }
      await firstServed;
      event ??= options.whileFetching?.();
      await event;
      await route.continue();
    });
  }
  await page.setContent(html, { waitUntil: 'load' });
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0));
  return page;
}

describe.skipIf(!existsSync(CHROMIUM))('a sliced grid in an email, in headless Chromium', () => {
  beforeAll(async () => {
    photos = await startPhotoServer();
    dataDir = await mkdtemp(join(tmpdir(), 'opentime-sliced-'));
    server = await startServer({
      env: {
        PORT: '0',
        OPENTIME_DATA_DIR: dataDir,
        OPENTIME_DEMO: '0',
        OPENTIME_WRITE_KEY: WRITE_KEY,
        OPENTIME_ADMIN_KEY: ADMIN_KEY,
        OPENTIME_SECRET: 'sliced-email-secret-0123456',
        ...PHOTO_SERVER_ENV,
      },
      logger: memoryLogger(),
    });
    expect((await api('PUT', '/v1/catalog/products', testCatalog(photos))).status).toBe(200);
    expect((await api('PUT', '/v1/blocks/grid', testBlock())).status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await photos?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows each product in its own part, fetched in parallel, and each link opens that product; one open is counted', async () => {
    await carted('sam', 'p-red');
    await viewed('sam', 'p-blue');
    const before = await opens();
    const page = await openEmail(await emailFor('sam', 'm1'));
    expect(await colorShare(page, 0, 'red')).toBeGreaterThan(0.25);
    expect(await colorShare(page, 1, 'blue')).toBeGreaterThan(0.25);
    expect(await colorShare(page, 2, 'teal')).toBeGreaterThan(0.25);
    // Side by side at their fixed widths, meeting without a seam.
    const boxes = await Promise.all([0, 1, 2].map(async (slot) => page.locator(`img[src*="/i/grid/${slot}.png"]`).boundingBox()));
    expect(boxes.map((b) => b?.y)).toEqual([boxes[0]?.y, boxes[0]?.y, boxes[0]?.y]);
    expect((boxes[0]?.x ?? 0) + (boxes[0]?.width ?? 0)).toBeCloseTo(boxes[1]?.x ?? -1, 0);
    expect(await clickTarget(page, 0)).toBe('/products/red');
    expect(await clickTarget(page, 1)).toBe('/products/blue');
    expect(await clickTarget(page, 2)).toBe('/products/teal');
    await expect.poll(async () => (await opens()) - before, { timeout: 5000 }).toBe(1);
    await page.context().close();
  }, 60_000);

  it('keeps one decision in every part when an event arrives while the parts are being fetched', async () => {
    await carted('kim', 'p-green');
    const page = await openEmail(await emailFor('kim', 'm1'), { whileFetching: () => carted('kim', 'p-purple') });
    // The first part decided green, teal, purple; the cart changed before the others were drawn, and they still agree with it.
    expect(await colorShare(page, 0, 'green')).toBeGreaterThan(0.25);
    expect(await colorShare(page, 1, 'teal')).toBeGreaterThan(0.25);
    expect(await colorShare(page, 2, 'purple')).toBeGreaterThan(0.25);
    expect(await clickTarget(page, 0)).toBe('/products/green');
    expect(await clickTarget(page, 1)).toBe('/products/teal');
    expect(await clickTarget(page, 2)).toBe('/products/purple');
    await page.context().close();
    // The next email is decided afresh, with the cart as it is now.
    const next = await openEmail(await emailFor('kim', 'm2'));
    expect((await colorShare(next, 0, 'purple')) + (await colorShare(next, 1, 'purple'))).toBeGreaterThan(0.25);
    await next.context().close();
  }, 60_000);

  it('stacks the products on a phone’s screen, each still its own link', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 1, userAgent: READER_AGENT });
    const page = await context.newPage();
    const html = (await emailFor('sam', 'm3')).replace(
      /<table role="presentation" width="600"[^>]*style="background:#ffffff">/,
      '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff">',
    );
    await page.setContent(html, { waitUntil: 'load' });
    const boxes = await Promise.all([0, 1, 2].map(async (slot) => page.locator(`img[src*="/i/grid/${slot}.png"]`).boundingBox()));
    for (const box of boxes) expect(box?.width ?? 0).toBeLessThanOrEqual(375);
    expect(boxes[1]?.y ?? 0).toBeGreaterThan((boxes[0]?.y ?? 0) + (boxes[0]?.height ?? 0) - 1);
    expect(boxes[2]?.y ?? 0).toBeGreaterThan((boxes[1]?.y ?? 0) + (boxes[1]?.height ?? 0) - 1);
    await context.close();
  }, 60_000);
});
