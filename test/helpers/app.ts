import { lruByteCache } from '../../src/adapters/cache/lru.ts';
import { sharpImageFetcher } from '../../src/adapters/image/sharp.ts';
import { trackedBackground } from '../../src/adapters/node/background.ts';
import { PROJECT_ROOT, directoryAssets, layoutWasm, loadFonts } from '../../src/adapters/node/files.ts';
import { resvgNodeRasterizer } from '../../src/adapters/raster/resvg-node.ts';
import { sharpPngEncoder } from '../../src/adapters/raster/sharp-png.ts';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import { createApp, type Opentime } from '../../src/app.ts';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import { imageFetchSettings, parseConfig, type AppConfig } from '../../src/core/config.ts';
import type { AppDeps } from '../../src/core/deps.ts';
import type { FontSpec, Logger, Store } from '../../src/core/ports.ts';
import { initLayout } from '../../src/core/render/layout.ts';
import { apiCalls, type ApiCalls } from './api-calls.ts';
import { catalogWithPhotos, testBlock } from './fixtures.ts';
import { decode, type Pixels } from './pixels.ts';
import { PHOTO_SERVER_ENV, type PhotoServer } from './photo-server.ts';
import { resolve } from 'node:path';

export const WRITE_KEY = 'test-write-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789';
export const START = Date.parse('2026-06-01T12:00:00Z');

let fonts: FontSpec[] | undefined;

export interface TestClock {
  now(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function testClock(start = START): TestClock {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Log lines kept for assertions (for example: no email address is ever logged). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: string, fields?: object) => lines.push(JSON.stringify({ level, message, ...fields }));
  return {
    lines,
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    request: (fields) => lines.push(JSON.stringify({ level: 'request', ...fields })),
  };
}

export interface TestApp extends ApiCalls<Pixels> {
  opentime: Opentime;
  deps: AppDeps;
  clock: TestClock;
  logger: ReturnType<typeof memoryLogger>;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Waits for work after responses (open records, counters). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(options: { store?: Store; config?: Partial<AppConfig>; clock?: TestClock; photoTimeoutMs?: number } = {}): Promise<TestApp> {
  await initLayout(await layoutWasm());
  fonts ??= await loadFonts();
  const clock = options.clock ?? testClock();
  const background = trackedBackground();
  const logger = memoryLogger();
  const config: AppConfig = {
    adminKeys: [ADMIN_KEY],
    writeKeys: [WRITE_KEY],
    secret: 'test-secret-0123456789abcdef',
    storeTimeoutMs: 1000,
    photoTimeoutMs: options.photoTimeoutMs ?? 3000,
    openRecordTtlSeconds: 30 * 86_400,
    blockCacheMs: 0,
    demo: false,
    scale: 2,
    consentCategories: ['Personalization'],
    optOutTrait: 'opentime_opt_out',
    signingKeys: [
      { id: 'k2', secret: 'test-signing-key-two' },
      { id: 'k1', secret: 'test-signing-key-one' },
    ],
    requireSignature: false,
    ...options.config,
  };
  let countPhoto: ((name: string) => void) | undefined;
  const deps: AppDeps = {
    config,
    store: options.store ?? memoryStore(),
    rasterizer: resvgNodeRasterizer(),
    encoder: sharpPngEncoder(),
    // Photos come from the test photo server on 127.0.0.1, which only these settings allow; counted by the app's counters.
    images: sharpImageFetcher({ timeoutMs: config.photoTimeoutMs, failureTtlMs: 1, ...imageFetchSettings(parseConfig(PHOTO_SERVER_ENV)), count: (name) => countPhoto?.(name) }),
    renderCache: lruByteCache(64 * 1024 * 1024),
    clock,
    background: background.run,
    fonts,
    assets: directoryAssets(resolve(PROJECT_ROOT, 'templates')),
    logger,
  };
  const opentime = createApp(deps);
  countPhoto = (name) => opentime.services.counters.add(name);
  const request = async (path: string, init?: RequestInit) => opentime.app.request(path, init);
  return {
    opentime,
    deps,
    clock,
    logger,
    request,
    ...apiCalls({ request, decode, writeKey: WRITE_KEY, adminKey: ADMIN_KEY }),
    async settle() {
      await opentime.flush();
      await background.drain();
    },
    async close() {
      await opentime.flush().catch(() => undefined);
      await background.drain();
      await deps.store.close();
    },
  };
}

/** Six products with flat-colour photos, two per category, from the photo server. */
export function testCatalog(photos: PhotoServer) {
  return catalogWithPhotos((color) => photos.url(color));
}

export { testBlock };

/** Loads the test catalog and block; returns the app. */
export async function seeded(app: TestApp, photos: PhotoServer, block: BlockInput = testBlock()): Promise<TestApp> {
  const catalog = await app.admin('PUT', '/v1/catalog/products', testCatalog(photos));
  if (catalog.status !== 200) throw new Error(`catalog: ${catalog.status} ${await catalog.text()}`);
  const put = await app.admin('PUT', `/v1/blocks/${block.id}`, block);
  if (put.status !== 200) throw new Error(`block: ${put.status} ${await put.text()}`);
  return app;
}
