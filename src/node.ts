import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lruByteCache } from './adapters/cache/lru.ts';
import { sharpImageFetcher } from './adapters/image/sharp.ts';
import { trackedBackground } from './adapters/node/background.ts';
import { createHttpServer } from './adapters/node/http-server.ts';
import { PROJECT_ROOT, directoryAssets, layoutWasm, loadFonts } from './adapters/node/files.ts';
import { resolveKeys } from './adapters/node/keys.ts';
import { listen, serverLifecycle } from './adapters/node/lifecycle.ts';
import { startMetricsServer } from './adapters/node/metrics-server.ts';
import { jsonLogger } from './adapters/node/logger.ts';
import { startTriggerScheduler } from './adapters/node/trigger-scheduler.ts';
import { resvgNodeRasterizer } from './adapters/raster/resvg-node.ts';
import { sharpPngEncoder } from './adapters/raster/sharp-png.ts';
import { sqliteStore } from './adapters/store/sqlite.ts';
import { createApp, type Opentime } from './app.ts';
import { appConfig, imageFetchSettings, parseConfig, type RawConfig } from './core/config.ts';
import type { AppDeps } from './core/deps.ts';
import type { Logger, Store } from './core/ports.ts';
import { initLayout } from './core/render/layout.ts';
import { boundNativeMemory } from './adapters/node/native-memory.ts';
import { DEMO_BLOCK_ID } from './demo/catalog.ts';
import { removeDemo, seedDemo } from './demo/seed.ts';

/**
 * The Node entry: configuration from process.env, Node adapters (SQLite,
 * resvg, sharp, an in-process render cache) and an HTTP server.
 */
export interface RunningServer {
  url: string;
  port: number;
  /** With OPENTIME_METRICS_PORT: the port `/metrics` is served on without a key. */
  metricsPort?: number;
  opentime: Opentime;
  deps: AppDeps;
  /**
   * The graceful stop of SIGTERM: /readyz fails, requests in flight finish within
   * OPENTIME_SHUTDOWN_SECONDS, background work is flushed, the store closed.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Replace the store chosen from the environment (tests). */
  store?: Store;
  logger?: Logger;
  /** Print the welcome banner (the CLI does; tests do not). */
  banner?: boolean;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const raw = parseConfig(options.env ?? process.env);
  const dataDir = resolve(raw.OPENTIME_DATA_DIR);
  const keys = await resolveKeys(raw, dataDir);
  const config = appConfig(raw, keys);
  const logger = options.logger ?? jsonLogger({ level: raw.LOG_LEVEL, requestPercent: raw.OPENTIME_REQUEST_LOG_PERCENT });

  await initLayout(await layoutWasm());
  boundNativeMemory();
  const background = trackedBackground();
  const images = imageFetchSettings(raw);
  // The demo's photos are this server's own URLs, on a loopback address by default: the one
  // private place photos may come from, once the server knows its origin (after listening).
  let demoOrigin: string | undefined;
  const isDemoPhoto = (url: URL) => url.origin === demoOrigin && /^\/demo\/products\/[\w.-]+$/.test(url.pathname) && url.search === '';
  // The app's counters, once the app exists (photos are fetched only by its renders).
  let countPhoto: ((name: string) => void) | undefined;
  const deps: AppDeps = {
    config,
    store: options.store ?? (await storeFor(raw, dataDir, logger)),
    rasterizer: resvgNodeRasterizer(),
    encoder: sharpPngEncoder(),
    layerCacheBytes: raw.OPENTIME_LAYER_CACHE_MB * 1024 * 1024,
    images: sharpImageFetcher({
      timeoutMs: config.photoTimeoutMs,
      ...images,
      policy: { ...images.policy, trusted: isDemoPhoto },
      count: (name) => countPhoto?.(name),
    }),
    renderCache: lruByteCache(raw.OPENTIME_RENDER_CACHE_MB * 1024 * 1024),
    clock: { now: () => Date.now() },
    background: background.run,
    fonts: await loadFonts(),
    assets: directoryAssets(resolve(PROJECT_ROOT, 'templates')),
    logger,
  };
  const opentime = createApp(deps);
  countPhoto = (name) => opentime.services.counters.add(name);

  const { server, lane } = createHttpServer(opentime);
  const lifecycle = serverLifecycle(server, lane);
  deps.draining = () => lifecycle.draining;
  let port: number;
  try {
    port = await listen(server, raw.PORT);
  } catch (error) {
    await deps.store.close();
    throw error;
  }
  const url = `http://localhost:${port}`;
  const metricsServer = raw.OPENTIME_METRICS_PORT === undefined ? undefined : await startMetricsServer(opentime.services.metrics, raw.OPENTIME_METRICS_PORT);

  if (config.demo) {
    demoOrigin = new URL(config.publicUrl ?? url).origin;
    await seedDemo(deps, config.publicUrl ?? url);
  } else {
    const removed = await removeDemo(deps);
    if (removed.products > 0 || removed.block) deps.logger.info('removed the demo shop (OPENTIME_DEMO=0)', { products: removed.products, block: removed.block });
  }

  const triggers = opentime.services.triggers;
  const scheduler = triggers && config.triggers ? startTriggerScheduler(triggers, { pollMs: config.triggerPollMs ?? 1000, batch: config.triggers.batch, logger }) : undefined;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await metricsServer?.close();
      await scheduler?.stop();
      const cut = await lifecycle.drain(raw.OPENTIME_SHUTDOWN_SECONDS * 1000);
      if (cut > 0) logger.warn('shutdown deadline passed; closed connections of unfinished requests', { requests: cut, seconds: raw.OPENTIME_SHUTDOWN_SECONDS });
      // Acknowledged work still in memory (engagement, counters) reaches the store before it closes;
      // background tasks (open records) may count as they finish, hence the second flush.
      await opentime.flush();
      await background.drain();
      await opentime.flush();
      await deps.store.close();
    })();
    return closing;
  };

  if (options.banner) printBanner(url, config.demo, keys, dataDir, deps.store.name);
  return { url, port, ...(metricsServer ? { metricsPort: metricsServer.port } : {}), opentime, deps, close };
}

/**
 * Redis when REDIS_URL or REDIS_CLUSTER_NODES names one (several instances
 * share it), else the embedded SQLite file. The Redis adapter (and ioredis)
 * is loaded only when it is used.
 */
async function storeFor(raw: RawConfig, dataDir: string, logger: Logger): Promise<Store> {
  const retentionSeconds = raw.OPENTIME_RETENTION_DAYS * 86_400;
  if (raw.REDIS_URL === undefined && raw.REDIS_CLUSTER_NODES.length === 0) return sqliteStore({ path: join(dataDir, 'opentime.db'), retentionSeconds });
  const { redisStore } = await import('./adapters/store/redis.ts');
  return raw.REDIS_URL !== undefined ? redisStore({ url: raw.REDIS_URL, retentionSeconds, logger }) : redisStore({ cluster: raw.REDIS_CLUSTER_NODES, retentionSeconds, logger });
}

function printBanner(url: string, demo: boolean, keys: Awaited<ReturnType<typeof resolveKeys>>, dataDir: string, storeName: string): void {
  const lines = [
    '',
    `  opentime is running on ${url}`,
    demo ? `  Live demo:   ${url}/   (block "${DEMO_BLOCK_ID}")` : '  Demo off (OPENTIME_DEMO=1 turns it on).',
    storeName === 'sqlite' ? `  Data:        ${join(dataDir, 'opentime.db')}` : `  Store:       ${storeName}`,
  ];
  if (keys.generated.includes('write')) lines.push(`  Write key:   ${keys.writeKeys[0]}   (generated; kept in ${join(dataDir, 'keys.json')})`);
  if (keys.generated.includes('admin')) lines.push(`  Admin key:   ${keys.adminKeys[0]}`);
  lines.push('');
  process.stderr.write(`${lines.join('\n')}\n`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  startServer({ banner: true }).then(
    (running) => {
      let stopping = false;
      const stop = (signal: string) => {
        // A second signal is usually the same stop arriving twice (Ctrl-C reaches the whole process
        // group, and the npm wrapper forwards it too): the deadline already bounds the wait.
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n  ${signal}: finishing requests in flight, then closing the store…\n`);
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`  shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
          },
        );
      };
      // SIGHUP: the terminal closed (the wrapper forwards it too); no reload, a stop like the others.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
