import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { appConfig, parseConfig, type AppConfig } from '../../src/core/config.ts';
import type { Store } from '../../src/core/ports.ts';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import { seed, type SpecApp, type SpecRuntime, type SpecVars } from '../specs/harness.ts';
import { live } from '../specs/use-app.ts';
import { ADMIN_KEY, WRITE_KEY, createTestApp, testClock, type TestApp } from './app.ts';
import { decode } from './pixels.ts';
import { startPhotoServer, type PhotoServer } from './photo-server.ts';

/** Which AppConfig field each setting a spec may change becomes (parsed as the server parses it). */
const CONFIG_FIELD = {
  OPENTIME_PHOTO_TIMEOUT_MS: 'photoTimeoutMs',
  OPENTIME_SIGNING_KEYS: 'signingKeys',
  OPENTIME_BROWSER_KEY: 'browserKeys',
  OPENTIME_IDENTITY_SECRET: 'identitySecret',
  OPENTIME_VIEWER_KEY: 'viewerKeys',
} as const satisfies Record<keyof SpecVars, keyof AppConfig>;

function configFrom(vars: SpecVars): Partial<AppConfig> {
  const parsed = appConfig(parseConfig(vars), { adminKeys: [ADMIN_KEY], writeKeys: [WRITE_KEY], secret: 'unused' });
  const config: Partial<AppConfig> = {};
  for (const name of Object.keys(vars) as Array<keyof SpecVars>) Object.assign(config, { [CONFIG_FIELD[name]]: parsed[CONFIG_FIELD[name]] });
  return config;
}

/** A spec app over a Node test app (the app in process, memory store, sharp and resvg). */
export function specApp(app: TestApp): SpecApp {
  return {
    ...app,
    pixelsOf: async (response) => decode(new Uint8Array(await response.arrayBuffer())),
    store: async () => app.deps.store,
    breakStore: () => app.deps.store.close(),
    async logsOf(run) {
      const from = app.logger.lines.length;
      await run();
      return app.logger.lines.slice(from);
    },
  };
}

/**
 * The Node runtime for the route specs: registers this file's photo server
 * (started before its tests, closed after) and makes apps that fetch from it,
 * each over a fresh memory store unless `store` makes another (and at the
 * test clock's start unless `startAt` names another: a Redis turns times into
 * expiries on its own clock).
 */
export function nodeRuntime(options: { store?: () => Store | Promise<Store>; storeName?: string; startAt?: () => number } = {}): SpecRuntime & { photos(): PhotoServer } {
  let photos: PhotoServer | undefined;
  beforeAll(async () => {
    photos = await startPhotoServer({ slowMs: 4000 });
  });
  afterAll(async () => {
    await photos?.close();
  });
  const server = () => {
    if (!photos) throw new Error('the photo server starts in beforeAll');
    return photos;
  };
  return {
    name: 'node',
    writeKey: WRITE_KEY,
    adminKey: ADMIN_KEY,
    storeName: options.storeName ?? 'memory',
    capabilities: { bulkLinking: true },
    photos: server,
    createApp: async (vars = {}) =>
      specApp(
        await createTestApp({
          config: configFrom(vars),
          ...(options.store ? { store: await options.store() } : {}),
          ...(options.startAt ? { clock: testClock(options.startAt()) } : {}),
        }),
      ),
    photoUrl: (name) => server().url(name),
    photoHits: async (name) => server().hits.get(`/${name}.png`) ?? 0,
  };
}

/**
 * The setup most route tests share: a photo server for the file, and before
 * each test a fresh app (closed after it) with the six-product catalog and
 * the test block. `app` and `photos` stand for the current test's app and
 * the file's server; hooks the file registers after this call run after it.
 */
export function useSeededApp(options: { block?: BlockInput; create?: Parameters<typeof createTestApp>[0] } = {}): {
  app: TestApp;
  photos: PhotoServer;
  runtime: ReturnType<typeof nodeRuntime>;
} {
  const runtime = nodeRuntime();
  let current: TestApp | undefined;
  beforeEach(async () => {
    current = await createTestApp(options.create);
    await seed(runtime, specApp(current), options.block);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    runtime,
    photos: live(runtime.photos),
    app: live(() => {
      if (!current) throw new Error('the app is made in beforeEach');
      return current;
    }),
  };
}
