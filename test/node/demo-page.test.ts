import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger } from '../helpers/app.ts';

/** The demo page as a newcomer uses it, in headless Chromium: be the shopper, and the profile changes. */
const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
const dirs: string[] = [];
let browser: Browser;

async function server(env: Record<string, string>): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'opentime-demo-page-'));
  dirs.push(dataDir);
  return startServer({ env: { PORT: '0', OPENTIME_DATA_DIR: dataDir, NODE_ENV: 'development', ...env }, logger: memoryLogger() });
}

async function cartOf(running: RunningServer, adminKey: string, shopper: string): Promise<string[]> {
  const response = await fetch(`${running.url}/v1/profiles/${encodeURIComponent(shopper)}`, { headers: { authorization: `Bearer ${adminKey}` } });
  if (response.status !== 200) return [];
  return (await response.json()).profile.cart.map((line: { id: string }) => line.id);
}

describe.skipIf(!existsSync(CHROMIUM))('the demo page in headless Chromium', () => {
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });
  afterAll(async () => {
    await browser?.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('sends the shopper’s events with the generated development key', async () => {
    const running = await server({});
    try {
      const keys = JSON.parse(await readFile(join(dirs.at(-1) as string, 'keys.json'), 'utf8')) as { adminKey: string };
      const page = await browser.newPage();
      await page.goto(`${running.url}/`);
      expect(await page.locator('#key').count()).toBe(0);
      const shopper = (await page.locator('#shopper').textContent()) ?? '';
      await page.locator('.product[data-id="aviators"] button[data-action="add"]').click();
      await expect.poll(() => cartOf(running, keys.adminKey, shopper)).toEqual(['aviators']);
      await page.close();
    } finally {
      await running.close();
    }
  }, 60_000);

  it('with keys from the environment, shows none and sends events with the key the visitor pastes', async () => {
    const writeKey = 'demo-page-env-write-key-0123';
    const adminKey = 'demo-page-env-admin-key-0123';
    const running = await server({ OPENTIME_WRITE_KEY: writeKey, OPENTIME_ADMIN_KEY: adminKey, OPENTIME_SECRET: 'demo-page-secret-0123456789' });
    try {
      const page = await browser.newPage();
      await page.goto(`${running.url}/`);
      expect(await page.content()).not.toContain(writeKey);
      const shopper = (await page.locator('#shopper').textContent()) ?? '';
      await page.locator('.product[data-id="aviators"] button[data-action="add"]').click();
      await expect.poll(() => page.locator('#log').textContent()).toContain('Paste a write key');
      await page.locator('#key').fill(writeKey);
      await page.locator('#key').dispatchEvent('change');
      await page.locator('.product[data-id="aviators"] button[data-action="add"]').click();
      await expect.poll(() => cartOf(running, adminKey, shopper)).toEqual(['aviators']);
      await page.close();
    } finally {
      await running.close();
    }
  }, 60_000);
});
