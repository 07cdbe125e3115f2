import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * A marketer's first afternoon with the Studio, in Debian's headless
 * Chromium, against a running server (Node, or the Worker under
 * `wrangler dev`): sign in, make a cart block from a starter, change its
 * headline and colour and watch the preview follow, preview a subscriber
 * tomorrow at 18:00, copy the Klaviyo HTML, and read the report after
 * opens, a click and an order arrive through the API. axe-core checks each
 * screen; screenshots go to `shots` (outside the repository).
 */
export const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
/** Outside the repository; open them to judge the screens. */
export const SHOTS = join(tmpdir(), 'opentime-studio-screenshots');
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const BROWSER_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
/** The colour the marketer picks; the starter has none of it. */
const NEW_BACKGROUND = [0x0b, 0x3d, 0x91] as const;

export interface JourneyTarget {
  base: string;
  adminKey: string;
  writeKey: string;
  /** Product photos the catalog points at (a local photo server). */
  catalog: unknown;
  shots: string;
}

async function api(target: JourneyTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${target.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.adminKey}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function track(target: JourneyTarget, body: unknown): Promise<void> {
  const response = await api(target, 'POST', '/v1/track', body, { authorization: `Basic ${btoa(`${target.writeKey}:`)}` });
  expect(response.status).toBe(200);
}

/** No serious or critical accessibility violation on the screen as it is. */
async function accessible(page: Page, screen: string): Promise<void> {
  // Evaluated, not injected as a <script>: the Studio's Content-Security-Policy allows no inline script, and stays on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await readFile(AXE_SOURCE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `axe on ${screen}`).toEqual([]);
}

async function shot(page: Page, target: JourneyTarget, name: string): Promise<void> {
  await page.screenshot({ path: join(target.shots, `${name}.png`), fullPage: true });
}

/**
 * The share of the live preview's pixels within a small distance of `rgb`,
 * read from the image the page shows (drawn on a canvas: the page's
 * Content-Security-Policy lets no script fetch its blob), or undefined
 * while there is none.
 */
async function previewShare(page: Page, rgb: readonly [number, number, number]): Promise<number | undefined> {
  return page.evaluate(async ([r, g, b]) => {
    const img = document.querySelector<HTMLImageElement>('[data-testid=live-preview]');
    if (!img?.complete || img.naturalWidth === 0) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    if (!context) return undefined;
    context.drawImage(img, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let near = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs((data[i] as number) - r) + Math.abs((data[i + 1] as number) - g) + Math.abs((data[i + 2] as number) - b) <= 24) near++;
    return near / (data.length / 4);
  }, rgb);
}

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)?.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

export async function openBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Runs the journey, every step of it, on any server: each step asserts what the marketer sees. */
export async function marketerJourney(browser: Browser, target: JourneyTarget): Promise<void> {
  await mkdir(target.shots, { recursive: true });
  expect((await api(target, 'PUT', '/v1/catalog/products', target.catalog)).status).toBe(200);
  await track(target, { userId: 'shopper', event: 'Product Added', properties: { product_id: 'p-red', quantity: 1 } });

  // The subscriber's clock is the marketer's: 18:00 tomorrow means 18:00 UTC here.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC', locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: target.base });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    // Sign in: a wrong key is told so; the right one opens the blocks.
    await page.goto(`${target.base}/studio/`);
    await accessible(page, 'sign-in');
    await page.getByLabel('Key', { exact: true }).fill('not-the-admin-key-000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not an admin or viewer key/);
    await shot(page, target, '01-sign-in-wrong-key');
    await page.getByLabel('Key', { exact: true }).fill(target.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Blocks', level: 1 }).waitFor();
    const cookies = await context.cookies(target.base);
    expect(cookies.find((c) => c.name === 'opentime_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await accessible(page, 'blocks');

    // A cart block from the starter.
    await page.getByLabel('Starter', { exact: true }).selectOption('cart-reminder');
    await page.getByLabel('Block id', { exact: true }).fill('spring-cart');
    await page.getByRole('button', { name: 'Create block' }).click();
    await page.getByRole('heading', { name: 'spring-cart', level: 1 }).waitFor();
    await page.getByLabel('As subscriber', { exact: true }).fill('shopper');
    const before = await until(
      'the first preview',
      () => previewShare(page, NEW_BACKGROUND),
      (share) => share !== undefined,
    );
    expect(before).toBeLessThan(0.01);
    await shot(page, target, '02-editor-starter');
    await accessible(page, 'editor');

    // Headline and colour in the form: the JSON and the preview follow as they are typed.
    await page.getByLabel('Headline', { exact: true }).fill('Your cart misses you');
    await page.getByLabel('Background', { exact: true }).fill('#0b3d91');
    await until(
      'the preview in the new colour',
      () => previewShare(page, NEW_BACKGROUND),
      (share) => (share ?? 0) > 0.3,
    );
    expect(await page.locator('.cm-content').textContent()).toContain('Your cart misses you');
    // A colour that is no colour is named at its field, and the preview keeps the last good drawing.
    await page.getByLabel('Accent colour', { exact: true }).fill('red');
    await expect.poll(() => page.locator('.field.invalid .field-error').first().textContent(), { timeout: 10_000 }).toMatch(/hex colour/);
    await shot(page, target, '03-editor-invalid-colour');
    await page.getByLabel('Accent colour', { exact: true }).fill('#d33c3c');
    await expect.poll(() => page.locator('.field.invalid').count(), { timeout: 10_000 }).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as version 2').waitFor();
    await page.getByText(/Changed .*params\.headline/).waitFor();
    await shot(page, target, '04-editor-saved');
    const stored = (await (await api(target, 'GET', '/v1/blocks/spring-cart')).json()) as { version: number; params: { headline: string; background: string } };
    expect(stored).toMatchObject({ version: 2, params: { headline: 'Your cart misses you', background: '#0b3d91' } });

    // The same editor on a tablet.
    await page.setViewportSize({ width: 820, height: 1180 });
    await shot(page, target, '05-editor-tablet');
    await accessible(page, 'editor on a tablet');
    await page.setViewportSize({ width: 1440, height: 900 });

    // Preview grid: the shopper, tomorrow at 18:00, on every client.
    await page.goto(`${target.base}/studio/#/grid/spring-cart`);
    await page.getByLabel('Add a subscriber by id', { exact: true }).fill('shopper');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: 'Tomorrow 18:00' }).click();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const cell = page.getByRole('img', { name: 'spring-cart for shopper, person' });
    await expect.poll(() => cell.getAttribute('data-preview'), { timeout: 30_000 }).toContain(`at=${encodeURIComponent(`${tomorrow}T18:00:00.000Z`)}`);
    await expect.poll(() => cell.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 20_000 }).toBe(1200);
    // Every cell drawn: 2 subscribers × 4 clients.
    await expect.poll(() => page.locator('.grid img').evaluateAll((imgs) => imgs.filter((img) => (img as HTMLImageElement).naturalWidth > 0).length), { timeout: 60_000 }).toBe(8);
    const shopperRow = page.getByRole('row', { name: /^shopper/ });
    await expect.poll(() => shopperRow.textContent(), { timeout: 20_000 }).toMatch(/personal.*products\/red/);
    await shot(page, target, '06-preview-grid');
    await accessible(page, 'preview grid');

    // Embed: the Klaviyo HTML, copied.
    await embed(page, target);
    // Opens, a click and an order through the API; then the report.
    await report(page, target);

    // The other screens open, and pass axe too.
    for (const [screen, heading] of [
      ['catalog', 'Catalog'],
      ['subscribers', 'Subscribers'],
      ['templates', 'Templates'],
    ] as const) {
      await page.goto(`${target.base}/studio/#/${screen}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForTimeout(500);
      await shot(page, target, `09-${screen}`);
      await accessible(page, screen);
    }

    // Signing out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await context.cookies(target.base)).find((c) => c.name === 'opentime_session')).toBeUndefined();
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}

async function embed(page: Page, target: JourneyTarget): Promise<void> {
  await page.goto(`${target.base}/studio/#/embed/spring-cart`);
  await page.getByLabel('Email platform', { exact: true }).selectOption('klaviyo');
  await page.getByRole('button', { name: 'Copy Klaviyo HTML' }).click();
  await page.getByText('Copied').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  // A grid is sliced: one image and one link per product, each with Klaviyo's merge tag for the subscriber.
  expect(copied).toContain(`${target.base}/i/spring-cart/0.png?u={{ person|lookup:`);
  expect(copied).toContain(`${target.base}/c/spring-cart/0?u={{ person|lookup:`);
  await shot(page, target, '07-embed-klaviyo');
  await accessible(page, 'embed');
}

async function report(page: Page, target: JourneyTarget): Promise<void> {
  // Opens by a person and by Apple's prefetch, a click and an order, through the API.
  const query = 'u=shopper&m=spring-launch';
  expect((await fetch(`${target.base}/i/spring-cart.png?${query}`, { headers: { 'user-agent': BROWSER_UA } })).status).toBe(200);
  expect((await fetch(`${target.base}/i/spring-cart.png?${query}`, { headers: { 'user-agent': 'Mozilla/5.0' } })).status).toBe(200);
  const click = await fetch(`${target.base}/c/spring-cart/0?${query}`, { headers: { 'user-agent': BROWSER_UA }, redirect: 'manual' });
  expect(click.status).toBe(302);
  await track(target, {
    userId: 'shopper',
    event: 'Order Completed',
    properties: { order_id: 'o-1001', revenue: 80, currency: 'USD', products: [{ product_id: 'p-red', price: 80, quantity: 1 }] },
  });
  await page.goto(`${target.base}/studio/#/reports/spring-cart`);
  const kpi = (label: string) => page.locator('.kpi', { hasText: label }).locator('.kpi-value');
  await until(
    'the report to count the open, the click and the order',
    async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(300);
      return [await kpi('People who opened').textContent(), await kpi('Clicks').textContent(), await kpi('Revenue').textContent()];
    },
    ([people, clicks, revenue]) => people === '1' && clicks === '1' && (revenue ?? '').includes('80'),
    30_000,
  );
  await page.locator('.chart canvas').first().waitFor();
  expect(await page.locator('.kpi', { hasText: 'People who opened' }).textContent()).toContain('1 open by people');
  // The gallery: the render the person saw, drawn again, with its open and click.
  const seen = page.locator('figure.seen-render');
  expect(await seen.count()).toBe(1);
  expect(await seen.locator('figcaption').textContent()).toMatch(/1 open · 1 click/);
  await until(
    'the gallery image to load',
    () => seen.locator('img').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth),
    (width) => Number(width) > 0,
    10_000,
  );
  await shot(page, target, '08-report');
  await accessible(page, 'report');
}
