import type { BlockInput } from '../../src/core/blocks/schema.ts';
import type { Store } from '../../src/core/ports.ts';
import type { Profile } from '../../src/core/profiles/profile.ts';
import type { ApiCalls } from '../helpers/api-calls.ts';
import { catalogWithPhotos, testBlock } from '../helpers/fixtures.ts';
import type { PhotoColor } from '../helpers/photo-colors.ts';

/**
 * What a route spec drives, on either runtime: the HTTP API (events, admin,
 * opens decoded to pixels, clicks) and the few things a test does around it.
 * Portable (no `node:*` imports): the same spec runs in Node against the app
 * in process (test/helpers/node-runtime.ts) and inside workerd against the
 * Worker (test/workers/helpers/runtime.ts), the way `describeStore` runs one
 * contract against every store. A spec is `describeXxx(runtime)` in
 * test/specs/xxx.spec.ts, called from test/routes/xxx.test.ts and
 * test/workers/xxx.test.ts; what only one runtime can do stays in that file.
 */
export interface Pixels {
  width: number;
  height: number;
  format: string;
  at(x: number, y: number): [number, number, number];
  /** Share of pixels in the rectangle within `tolerance` of `rgb` (0–1). */
  share(rgb: readonly [number, number, number], box?: Box, tolerance?: number): number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SpecApp extends ApiCalls<Pixels> {
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Waits for work after responses (open records, counters, cache writes). */
  settle(): Promise<void>;
  /** Decodes an image response, for requests made with `request`. */
  pixelsOf(response: Response): Promise<Pixels>;
  /** The app's store, for what no route shows (links, a profile kept or not). */
  store(): Promise<Store>;
  /** Closes the app's store, so every later read or write fails as in an outage. */
  breakStore(): Promise<void>;
  /** The log lines the app writes while `run` runs. */
  logsOf(run: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

/** The photos the test photo server of each runtime serves: flat colours and a shop CDN's failures. */
export type PhotoName = PhotoColor | 'missing' | 'html' | 'slow' | 'garbage' | 'webp' | 'huge';

/**
 * Settings a spec may change, named as a deployment sets them (the
 * environment variables both runtimes read), so a spec says the same thing
 * to both. Only the names both runtimes map are allowed.
 */
export type SpecVars = Partial<Record<'OPENTIME_PHOTO_TIMEOUT_MS' | 'OPENTIME_SIGNING_KEYS' | 'OPENTIME_BROWSER_KEY' | 'OPENTIME_IDENTITY_SECRET' | 'OPENTIME_VIEWER_KEY', string>>;

export interface SpecRuntime {
  name: 'node' | 'workers';
  /** A fresh app with an empty store. */
  createApp(vars?: SpecVars): Promise<SpecApp>;
  photoUrl(name: PhotoName): string;
  /** How many times the photo server was asked for the photo. */
  photoHits(name: PhotoName): Promise<number>;
  writeKey: string;
  adminKey: string;
  /** The store's name, as /readyz reports it. */
  storeName: string;
  /** Where the runtimes legitimately differ; a spec skips what a runtime cannot do, saying why here. */
  capabilities: {
    /**
     * Linking a thousand ids into one subject in one test. On Workers each
     * id is its own Durable Object, so that is a thousand object round trips
     * (about 150 s in workerd on a test machine): the per-subject cap is
     * checked on Node only.
     */
    bulkLinking: boolean;
  };
}

/** Loads the six-product catalog and a block; throws with the answer if either is refused. */
export async function seed(runtime: SpecRuntime, app: SpecApp, block: BlockInput = testBlock()): Promise<SpecApp> {
  const catalog = await app.admin(
    'PUT',
    '/v1/catalog/products',
    catalogWithPhotos((color) => runtime.photoUrl(color)),
  );
  if (catalog.status !== 200) throw new Error(`catalog: ${catalog.status} ${await catalog.text()}`);
  const put = await app.admin('PUT', `/v1/blocks/${block.id as string}`, block);
  if (put.status !== 200) throw new Error(`block: ${put.status} ${await put.text()}`);
  return app;
}

export { testBlock };

/** A subscriber's profile as the admin API shows it; undefined (typed as a profile, so a property read fails the test) when there is none. */
export async function profileOf(app: Pick<SpecApp, 'admin'>, id: string): Promise<Profile> {
  const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`);
  return (response.status === 200 ? ((await response.json()) as { profile: Profile }).profile : undefined) as Profile;
}

export type ErrorBody = { code: string; message: string; details?: Array<{ path: string; message: string }> };
export const errorOf = async (response: Response): Promise<ErrorBody> => ((await response.json()) as { error: ErrorBody }).error;

/** The app's counters from /v1/stats. */
export async function countersOf(app: SpecApp): Promise<Record<string, number>> {
  return ((await (await app.admin('GET', '/v1/stats')).json()) as { counters: Record<string, number> }).counters;
}

/** Pixels over a decoded image's `at`, with `share` sampling every other pixel (both runtimes' decoders build on it). */
export function pixels(width: number, height: number, format: string, at: Pixels['at']): Pixels {
  return {
    width,
    height,
    format,
    at,
    share(rgb, box = { x: 0, y: 0, width, height }, tolerance = 12) {
      let hits = 0;
      let total = 0;
      for (let y = box.y; y < box.y + box.height; y += 2) {
        for (let x = box.x; x < box.x + box.width; x += 2) {
          const [r, g, b] = at(x, y);
          total++;
          if (Math.abs(r - rgb[0]) <= tolerance && Math.abs(g - rgb[1]) <= tolerance && Math.abs(b - rgb[2]) <= tolerance) hits++;
        }
      }
      return total === 0 ? 0 : hits / total;
    },
  };
}

/** The horizontal thirds of a 3-slot block's product row, in output pixels. */
export function slotBox(pixels: Pick<Pixels, 'width' | 'height'>, slot: number, slots = 3): Box {
  const width = Math.floor(pixels.width / slots);
  return { x: slot * width, y: Math.floor(pixels.height * 0.2), width, height: Math.floor(pixels.height * 0.6) };
}

/** The events a spec sends most, as Segment's e-commerce spec names them. */
export function shopper(app: SpecApp) {
  return {
    viewed: (userId: string, productId: string) => app.send('track', { userId, event: 'Product Viewed', properties: { product_id: productId } }),
    added: (userId: string, productId: string) => app.send('track', { userId, event: 'Product Added', properties: { product_id: productId, quantity: 1 } }),
    bought: (userId: string, productIds: string[]) =>
      app.send('track', { userId, event: 'Order Completed', properties: { order_id: 'o-1', products: productIds.map((product_id) => ({ product_id })) } }),
  };
}
