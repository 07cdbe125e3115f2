import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createWorker, type OpentimeWorker, type WorkerEnv } from '../../../src/worker.ts';
import { PHOTO_ORIGIN, type PhotoColor } from '../photo-server.ts';
import { apiCalls, type ApiCalls } from '../../helpers/api-calls.ts';
import { catalogWithPhotos, testBlock } from '../../helpers/fixtures.ts';
import { decodePng, type Pixels } from './png.ts';

/**
 * The Worker as a test drives it: a fresh handler from src/worker.ts (its own
 * app, caches and counters; the Durable Objects and Cache API of this test
 * file are shared), called the way the runtime calls it, with an
 * ExecutionContext whose waitUntil work the test can wait for.
 */
export const WRITE_KEY = 'test-write-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789';

export interface WorkerApp extends ApiCalls<Pixels> {
  /** Names this app's objects and cache. */
  name: string;
  worker: OpentimeWorker;
  env: WorkerEnv;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Waits for work after responses (open records, counters, Cache API writes). */
  settle(): Promise<void>;
}

let apps = 0;

/** A worker with its own Durable Objects and render cache (unless `share` names another app's). */
export function workerApp(vars: Record<string, string | undefined> = {}, share?: WorkerApp): WorkerApp {
  const name = share?.name ?? `app-${++apps}-${crypto.randomUUID().slice(0, 8)}`;
  const worker = createWorker({ storePrefix: `${name}:`, cacheName: name });
  const appEnv = { ...env, ...vars } as WorkerEnv;
  // A var given as undefined is removed, as if it had never been set.
  for (const [name, value] of Object.entries(vars)) if (value === undefined) delete appEnv[name];
  const contexts: ExecutionContext[] = [];
  const request = async (path: string, init?: RequestInit) => {
    const ctx = createExecutionContext();
    contexts.push(ctx);
    return worker.fetch(new Request(new URL(path, 'https://live.example.com'), init), appEnv, ctx);
  };
  return {
    name,
    worker,
    env: appEnv,
    request,
    ...apiCalls({ request, decode: decodePng, writeKey: WRITE_KEY, adminKey: ADMIN_KEY }),
    async settle() {
      await worker.settle();
      await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)));
    },
  };
}

export const photoUrl = (name: PhotoColor | 'missing' | 'html' | 'slow' | 'garbage' | 'webp' | 'huge' | 'giant') => `${PHOTO_ORIGIN}/${name}.png`;

/** How often the photo service was asked for a path. */
export async function photoHits(name: string): Promise<number> {
  return (await fetch(`${PHOTO_ORIGIN}/__hits?path=${encodeURIComponent(`/${name}.png`)}`)).json();
}

/** Six products with flat-colour photos, as on Node (test/helpers/fixtures.ts). */
export function testCatalog() {
  return catalogWithPhotos(photoUrl);
}

export { testBlock };

/** Loads the catalog and a block; throws with the answer if either is refused. */
export async function seed(app: WorkerApp, block = testBlock()): Promise<void> {
  const catalog = await app.admin('PUT', '/v1/catalog/products', testCatalog());
  if (catalog.status !== 200) throw new Error(`catalog: ${catalog.status} ${await catalog.text()}`);
  const put = await app.admin('PUT', `/v1/blocks/${block.id as string}`, block);
  if (put.status !== 200) throw new Error(`block: ${put.status} ${await put.text()}`);
}
