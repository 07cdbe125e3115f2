import type { AppConfig } from './config.ts';
import type { Assets, BackgroundRunner, ByteCache, Clock, FontSpec, ImageFetcher, Logger, Rasterizer, Store } from './ports.ts';

/** Everything platform-specific that `createApp` needs, in one object. */
export interface AppDeps {
  config: AppConfig;
  store: Store;
  rasterizer: Rasterizer;
  images: ImageFetcher;
  renderCache: ByteCache;
  clock: Clock;
  background: BackgroundRunner;
  fonts: readonly FontSpec[];
  assets: Assets;
  logger: Logger;
}
