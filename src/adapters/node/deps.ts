import { join, resolve } from 'node:path';
import { imageFetchSettings, type AppConfig, type RawConfig } from '../../core/config.ts';
import type { AppDeps } from '../../core/deps.ts';
import type { Clock, Logger, Store } from '../../core/ports.ts';
import { initLayout } from '../../core/render/layout.ts';
import { lruByteCache } from '../cache/lru.ts';
import { sharpImageFetcher } from '../image/sharp.ts';
import { resvgNodeRasterizer } from '../raster/resvg-node.ts';
import { sharpPngEncoder } from '../raster/sharp-png.ts';
import { sqliteStore } from '../store/sqlite.ts';
import { trackedBackground } from './background.ts';
import { PROJECT_ROOT, directoryAssets, layoutWasm, loadFonts } from './files.ts';

/**
 * The Node adapters as one `AppDeps`, shared by the server and the CLI so
 * that `opentime render` draws exactly what an open draws.
 */
export interface NodeDepsOptions {
  raw: RawConfig;
  config: AppConfig;
  logger: Logger;
  store?: Store;
  clock?: Clock;
}

export async function nodeDeps(options: NodeDepsOptions): Promise<{ deps: AppDeps; drain: () => Promise<void> }> {
  const { raw, config } = options;
  await initLayout(await layoutWasm());
  const background = trackedBackground();
  const deps: AppDeps = {
    config,
    store: options.store ?? sqliteStore({ path: join(resolve(raw.OPENTIME_DATA_DIR), 'opentime.db'), retentionSeconds: raw.OPENTIME_RETENTION_DAYS * 86_400 }),
    rasterizer: resvgNodeRasterizer(),
    encoder: sharpPngEncoder(),
    layerCacheBytes: raw.OPENTIME_LAYER_CACHE_MB * 1024 * 1024,
    images: sharpImageFetcher({ timeoutMs: config.photoTimeoutMs, ...imageFetchSettings(raw) }),
    renderCache: lruByteCache(raw.OPENTIME_RENDER_CACHE_MB * 1024 * 1024),
    clock: options.clock ?? { now: () => Date.now() },
    background: background.run,
    fonts: await loadFonts(),
    assets: directoryAssets(resolve(PROJECT_ROOT, 'templates')),
    logger: options.logger,
  };
  return { deps, drain: () => background.drain() };
}
