import type { AppConfig } from './config.ts';
import type { Assets, BackgroundRunner, ByteCache, Clock, FontSpec, ImageEncoder, ImageFetcher, Logger, Rasterizer, Store } from './ports.ts';

/** Everything platform-specific that `createApp` needs, in one object. */
export interface AppDeps {
  config: AppConfig;
  store: Store;
  rasterizer: Rasterizer;
  /** PNG encoding of rendered pixels; without one, the rasterizer's own PNG and the core's encoder. */
  encoder?: ImageEncoder;
  /** Memory for rasterized layers and product tiles (raw pixels), in bytes; without it, 64 MB. */
  layerCacheBytes?: number;
  images: ImageFetcher;
  renderCache: ByteCache;
  clock: Clock;
  background: BackgroundRunner;
  fonts: readonly FontSpec[];
  assets: Assets;
  logger: Logger;
  /** Outbound HTTP for trigger sends to ESPs; without it, the platform's fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** True once the instance is shutting down: /readyz answers 503 so load balancers move on. */
  draining?: () => boolean;
}
