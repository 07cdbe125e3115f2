import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger, testCatalog } from '../helpers/app.ts';
import { PHOTO_SERVER_ENV, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { CHROMIUM, marketerJourney, openBrowser, SHOTS } from './studio-journey.ts';

/** The marketer's journey through the Studio (studio-journey.ts) against the Node server, in headless Chromium. */
const ADMIN_KEY = 'studio-journey-admin-key-01';
const WRITE_KEY = 'studio-journey-write-key-01';

let photos: PhotoServer;
let server: RunningServer;
let browser: Browser;
let dataDir: string;

describe.skipIf(!existsSync(CHROMIUM))('the Studio in headless Chromium, on Node', () => {
  beforeAll(async () => {
    photos = await startPhotoServer();
    dataDir = await mkdtemp(join(tmpdir(), 'opentime-studio-'));
    server = await startServer({
      env: {
        PORT: '0',
        OPENTIME_DATA_DIR: dataDir,
        OPENTIME_DEMO: '0',
        OPENTIME_ADMIN_KEY: ADMIN_KEY,
        OPENTIME_WRITE_KEY: WRITE_KEY,
        OPENTIME_SECRET: 'studio-journey-secret-0123',
        ...PHOTO_SERVER_ENV,
      },
      logger: memoryLogger(),
    });
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await photos?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs in, makes a cart block from a starter, previews it, embeds it and reads its report', async () => {
    await marketerJourney(browser, { base: server.url, adminKey: ADMIN_KEY, writeKey: WRITE_KEY, catalog: testCatalog(photos), shots: join(SHOTS, 'node') });
  }, 180_000);
});
