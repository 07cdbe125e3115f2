import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { testCatalog } from '../helpers/app.ts';
import { PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { startWranglerDev, WRANGLER_STARTUP_MS, type WranglerDev } from '../helpers/wrangler-dev.ts';
import { CHROMIUM, marketerJourney, openBrowser, SHOTS } from './studio-journey.ts';

/** The marketer's journey through the Studio (studio-journey.ts) against the bundled Worker under `wrangler dev`: the page from the static-assets binding, state in Durable Objects. */
const ADMIN_KEY = 'studio-worker-admin-key-01';
const WRITE_KEY = 'studio-worker-write-key-01';

let photos: PhotoServer;
let worker: WranglerDev;
let browser: Browser;
let stateDir: string;

describe.skipIf(!existsSync(CHROMIUM))('the Studio in headless Chromium, on the Worker under wrangler dev', () => {
  beforeAll(async () => {
    photos = await startPhotoServer();
    stateDir = await mkdtemp(join(tmpdir(), 'opentime-studio-wrangler-'));
    worker = await startWranglerDev(stateDir, {
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_SECRET: 'studio-worker-secret-0123456',
      OPENTIME_STORE_TIMEOUT_MS: '2000',
      OPENTIME_BLOCK_CACHE_SECONDS: '0',
      ...PHOTO_SERVER_ENV,
    });
    browser = await openBrowser();
  }, WRANGLER_STARTUP_MS + 30_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await photos?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('signs in, makes a cart block from a starter, previews it, embeds it and reads its report', async () => {
    await marketerJourney(browser, { base: worker.origin, adminKey: ADMIN_KEY, writeKey: WRITE_KEY, catalog: testCatalog(photos), shots: join(SHOTS, 'worker') });
  }, 240_000);
});
