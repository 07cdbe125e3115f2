// First: satori compiles harfbuzz when it is imported, which Workers allow only from an uploaded module.
import { satoriImported } from './adapters/workers/harfbuzz.ts';
import resvgWasm from '@resvg/resvg-wasm/index_bg.wasm';
import layoutWasm from 'satori/layout.wasm';
import { cacheApiByteCache } from './adapters/cache/cache-api.ts';
import { workersImageFetcher } from './adapters/image/workers-fetch.ts';
import { withPortableJpeg } from './adapters/raster/portable-jpeg.ts';
import { portablePngEncoder } from './adapters/raster/portable-png.ts';
import { initResvgWasm, resvgWasmRasterizer } from './adapters/raster/resvg-wasm.ts';
import { durableObjectStore } from './adapters/store/durable-object.ts';
import type { GlobalObject } from './adapters/store/durable-object-global.ts';
import type { SubjectObject } from './adapters/store/durable-object-subject.ts';
import type { TriggerObject } from './adapters/store/durable-object-triggers.ts';
import { bindingAssets, type AssetsBinding } from './adapters/workers/assets.ts';
import { waitUntilBackground } from './adapters/workers/background.ts';
import { bundledFonts } from './adapters/workers/fonts.ts';
import { workerKeys } from './adapters/workers/keys.ts';
import { consoleLogger } from './adapters/workers/logger.ts';
import { createApp, type Opentime } from './app.ts';
import { appConfig, imageFetchSettings, parseConfig } from './core/config.ts';
import type { AppDeps } from './core/deps.ts';
import { describeError } from './core/shared/errors.ts';
import { initLayout } from './core/render/layout.ts';
import { removeDemo, seedDemo } from './demo/seed.ts';

/**
 * The Cloudflare Workers entry: configuration from the Worker's bindings
 * (vars and secrets), Workers adapters (Durable Objects, resvg-wasm, the
 * Cache API, bundled fonts and templates) and the same Hono app as on Node.
 * The app is built once per isolate, on its first request: both wasm modules
 * are instantiated then, and a failure answers 500 with its cause and is
 * tried again on the next request (never a half-built app).
 */
satoriImported();

export { GlobalObject } from './adapters/store/durable-object-global.ts';
export { SubjectObject } from './adapters/store/durable-object-subject.ts';
export { TriggerObject } from './adapters/store/durable-object-triggers.ts';

export interface WorkerEnv {
  SUBJECTS: DurableObjectNamespace<SubjectObject>;
  GLOBALS: DurableObjectNamespace<GlobalObject>;
  /** Behavioural triggers: definitions, episodes, and the alarm that sends them. */
  TRIGGERS: DurableObjectNamespace<TriggerObject>;
  /** templates/, deployed as static assets that only the Worker reads. */
  TEMPLATES: AssetsBinding;
  /** Vars and secrets: OPENTIME_* (see docs/configuration.md). */
  [name: string]: unknown;
}

export interface BuiltWorker {
  opentime: Opentime;
  deps: AppDeps;
}

export interface OpentimeWorker {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response>;
  /** This handler's app, built on first use (tests and tools). */
  app(env: WorkerEnv): Promise<BuiltWorker>;
  /** Writes buffered counters and waits for work started after responses. */
  settle(): Promise<void>;
}

/** Per isolate, rendered images kept in memory in front of the Cache API (an isolate has 128 MB in all). */
const MEMORY_RENDER_CACHE_MAX_MB = 16;
/** Per isolate, raw pixels of layers and product tiles: five or so 1200×600 layers' worth, of the 128 MB. */
const MEMORY_LAYER_CACHE_MAX_MB = 24;
/** Origins this Worker answers on, remembered to fetch its own URLs (the demo photos) in-process. */
const MAX_OWN_ORIGINS = 16;
/** Where the demo routes serve the demo products' photos (src/routes/demo.ts). */
const DEMO_PHOTO_PATH = '/demo/products/';

function stringVars(env: WorkerEnv): Record<string, string | undefined> {
  const vars: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
  return vars;
}

function requireBindings(env: WorkerEnv): void {
  const missing = (['SUBJECTS', 'GLOBALS', 'TRIGGERS', 'TEMPLATES'] as const).filter((name) => env[name] === undefined);
  if (missing.length > 0) throw new Error(`[opentime] [worker] missing bindings: ${missing.join(', ')} (declared in wrangler.toml)`);
}

export interface WorkerOptions {
  /** Prefixed to every Durable Object name, so that several apps share a namespace without meeting (tests). */
  storePrefix?: string;
  /** The Cache API cache for rendered images. */
  cacheName?: string;
}

export function createWorker(options: WorkerOptions = {}): OpentimeWorker {
  let building: Promise<BuiltWorker & { drain: () => Promise<void> }> | undefined;
  let seeding: Promise<void> | undefined;
  const ownOrigins = new Set<string>();

  async function build(env: WorkerEnv): Promise<BuiltWorker & { drain: () => Promise<void> }> {
    requireBindings(env);
    // Every Worker is a deploy, `wrangler dev` aside: the demo is on only when OPENTIME_DEMO says so.
    const raw = parseConfig({ OPENTIME_DEMO: '0', ...stringVars(env) });
    const config = appConfig(raw, workerKeys(raw));
    await Promise.all([initLayout(layoutWasm), initResvgWasm(resvgWasm)]);
    const background = waitUntilBackground();
    let opentime: Opentime | undefined;
    const images = imageFetchSettings(raw);
    // The demo shop's photos are on this Worker's own origin, and a Worker fetching its own
    // hostname is either refused or loops through the internet: the app answers them itself.
    // Only those: an own URL that renders (an /i/ image as a product photo) would render within a render.
    const isOwnDemoPhoto = (url: URL) => ownOrigins.has(url.origin) && url.pathname.startsWith(DEMO_PHOTO_PATH);
    const fetchPhoto = async (url: string, init: RequestInit): Promise<Response> =>
      opentime && isOwnDemoPhoto(new URL(url)) ? opentime.app.fetch(new Request(url, { headers: init.headers ?? {}, signal: init.signal ?? null })) : fetch(url, init);
    const deps: AppDeps = {
      config,
      store: durableObjectStore({
        subjects: env.SUBJECTS,
        globals: env.GLOBALS,
        triggers: env.TRIGGERS,
        prefix: options.storePrefix ?? '',
        retentionSeconds: raw.OPENTIME_RETENTION_DAYS * 86_400,
      }),
      rasterizer: resvgWasmRasterizer(),
      encoder: withPortableJpeg(portablePngEncoder()),
      layerCacheBytes: Math.min(raw.OPENTIME_LAYER_CACHE_MB, MEMORY_LAYER_CACHE_MAX_MB) * 1024 * 1024,
      images: workersImageFetcher({
        timeoutMs: config.photoTimeoutMs,
        resize: raw.OPENTIME_IMAGE_RESIZING,
        fetch: fetchPhoto,
        ...images,
        // Own demo photos never leave the isolate (fetchPhoto), so no host or address check applies to them.
        policy: { ...images.policy, trusted: isOwnDemoPhoto },
        count: (name) => opentime?.services.counters.add(name),
      }),
      renderCache: cacheApiByteCache({
        cache: caches.open(options.cacheName ?? 'opentime-renders'),
        memoryBytes: Math.min(raw.OPENTIME_RENDER_CACHE_MB, MEMORY_RENDER_CACHE_MAX_MB) * 1024 * 1024,
        background: background.run,
      }),
      clock: { now: () => Date.now() },
      background: background.run,
      fonts: bundledFonts(),
      assets: bindingAssets(env.TEMPLATES),
      logger: consoleLogger({ level: raw.LOG_LEVEL, requestPercent: raw.OPENTIME_REQUEST_LOG_PERCENT }),
    };
    opentime = createApp(deps);
    return { opentime, deps, drain: background.drain };
  }

  function built(env: WorkerEnv) {
    building ??= build(env).catch((error: unknown) => {
      building = undefined;
      throw error;
    });
    return building;
  }

  return {
    async fetch(request, env, ctx) {
      let app: BuiltWorker;
      try {
        app = await built(env);
      } catch (error) {
        console.error(JSON.stringify({ level: 'error', msg: 'opentime could not start', error: describeError(error) }));
        const message = error instanceof Error ? error.message : String(error);
        return Response.json({ error: { code: 'WORKER_INIT_FAILED', message } }, { status: 500 });
      }
      const origin = new URL(request.url).origin;
      if (ownOrigins.size < MAX_OWN_ORIGINS) ownOrigins.add(origin);
      if (app.deps.config.demo) {
        // The demo catalog's photo URLs follow the origin, so it is seeded from the first request.
        seeding ??= seedDemo(app.deps, app.deps.config.publicUrl ?? origin).catch((error: unknown) => {
          seeding = undefined;
          app.deps.logger.error('demo seeding failed', { error: describeError(error) });
        });
        await seeding;
      } else {
        // A store the demo seeded keeps its products until a start with the demo off removes them.
        seeding ??= removeDemo(app.deps)
          .then((removed) => {
            if (removed.products > 0 || removed.block) app.deps.logger.info('removed the demo shop (OPENTIME_DEMO=0)', { products: removed.products, block: removed.block });
          })
          .catch((error: unknown) => {
            seeding = undefined;
            app.deps.logger.error('removing the demo shop failed', { error: describeError(error) });
          });
        // Off the request path: it only cleans up, and every isolate's first request would wait for it.
        ctx.waitUntil(seeding);
      }
      return app.opentime.app.fetch(request, env, ctx);
    },
    app: (env) => built(env),
    async settle() {
      if (!building) return;
      const app = await building;
      await app.opentime.flush();
      await app.drain();
    },
  };
}

export default createWorker() satisfies ExportedHandler<WorkerEnv>;
