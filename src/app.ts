import { Hono } from 'hono';
import { ClickService } from './core/click/click.ts';
import { Counters } from './core/shared/counters.ts';
import { MetricsRegistry, countingLogger, timedImages, timedRasterizer, timedStore } from './core/shared/metrics.ts';
import { ReportWriter, personHasher } from './core/reports/writer.ts';
import { DAY_MS } from './core/reports/cells.ts';
import { Optimizer } from './core/optimize/optimizer.ts';
import { Engagement } from './core/audience/engagement.ts';
import type { AppDeps } from './core/deps.ts';
import { AppError, describeError, isAppError } from './core/shared/errors.ts';
import { Lookups } from './core/content/lookups.ts';
import { liveWrites, previewWrites } from './core/open/writes.ts';
import { Audience } from './core/audience/audience.ts';
import { ContentChanges } from './core/open/changes.ts';
import { startKinds } from './core/kinds/registry.ts';
import { Fallbacks } from './core/open/fallbacks.ts';
import { OpenParts } from './core/open/parts.ts';
import { OpenPipeline } from './core/open/pipeline.ts';
import { AnswerMemo } from './core/open/answer-memo.ts';
import { Remember } from './core/open/remember.ts';
import { RenderOnce } from './core/open/render-once.ts';
import { withBudget } from './core/shared/budget.ts';
import { createRateLimits } from './core/audience/rate-limit.ts';
import { createRenderer } from './core/render/renderer.ts';
import { Signer } from './core/audience/signing.ts';
import { createSubjectKeyer } from './core/audience/subjects.ts';
import { TemplateEngine } from './core/templates/liquid.ts';
import { TemplateRegistry } from './core/templates/registry.ts';
import { adminRoutes } from './routes/admin.ts';
import { Sessions } from './core/http/session.ts';
import { RateLimiter } from './core/audience/rate-limit.ts';
import { previewRoutes } from './routes/preview.ts';
import { createPreviewRun, previewDeps, type PreviewRun } from './routes/preview-run.ts';
import { sessionRoutes } from './routes/session.ts';
import { studioRoutes } from './routes/studio.ts';
import { linkRoutes } from './routes/links.ts';
import { BlockEmbeds } from './core/links/block-embed.ts';
import { triggerRoutes } from './routes/triggers.ts';
import { TriggerEngine } from './core/triggers/engine.ts';
import { boundedPathIds } from './routes/bounds.ts';
import { clickRoutes } from './routes/clicks.ts';
import { collectRoutes } from './routes/collect.ts';
import { browserCors } from './routes/cors.ts';
import { demoRoutes } from './routes/demo.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { imageRoutes } from './routes/images.ts';
import { rateLimitHeaders } from './routes/rate-limit.ts';
import { reportRoutes } from './routes/reports.ts';
import { metricsRoutes } from './routes/metrics.ts';
import type { AppEnv, Services } from './routes/context.ts';

export type { AppDeps } from './core/deps.ts';

export interface Opentime {
  /** The Hono app: `app.fetch` for servers, `app.request` in tests. */
  app: Hono<AppEnv>;
  services: Services;
  /** Writes buffered engagement events and counters; call before shutting down. */
  flush(): Promise<void>;
}

/** A Studio sign-in lasts this long unless OPENTIME_SESSION_HOURS says otherwise. */
const DEFAULT_SESSION_SECONDS = 12 * 3600;
/** Sign-in attempts per instance per minute, right or wrong: guessing keys stays slow whoever asks. */
/** Studio sign-in attempts a minute: from one address, and from all together. */
const SIGN_INS_PER_MINUTE = 10;
const SIGN_INS_PER_MINUTE_IN_ALL = 100;

/** Raw pixels of layers and product tiles when the platform names no size (a 1200×600 layer is 2.2 MB). */
const DEFAULT_LAYER_CACHE_BYTES = 64 * 1024 * 1024;

export interface AppOptions {
  /**
   * A preview (`opentime render`, the Studio): opens read live data and
   * write nothing (no open record, lock, engagement event, counter or
   * cached render); see src/core/open/writes.ts.
   */
  preview?: boolean;
}

/** Builds the whole HTTP app from one object of platform pieces. */
export function createApp(given: AppDeps, options: AppOptions = {}): Opentime {
  // Every store call, render, photo fetch and request is also measured for /metrics.
  const metrics = new MetricsRegistry();
  const deps: AppDeps = {
    ...given,
    store: timedStore(given.store, metrics),
    rasterizer: timedRasterizer(given.rasterizer, metrics),
    images: timedImages(given.images, metrics),
    logger: countingLogger(given.logger, metrics),
    // Set by the entry after the app is built (node.ts): read through to it.
    draining: () => given.draining?.() === true,
  };
  const lookups = new Lookups(deps.store, deps.clock, deps.config.blockCacheMs);
  const counters = new Counters(deps.store, deps.background, deps.logger);
  const engine = new TemplateEngine();
  const templates = new TemplateRegistry(deps.store, deps.assets, deps.config.blockCacheMs, () => answers?.clear());
  const renderer = createRenderer({
    engine,
    rasterizer: deps.rasterizer,
    images: deps.images,
    assets: deps.assets,
    fonts: deps.fonts,
    scale: deps.config.scale,
    photoTimeoutMs: deps.config.photoTimeoutMs,
    encoder: deps.encoder,
    layerCacheBytes: deps.layerCacheBytes ?? DEFAULT_LAYER_CACHE_BYTES,
  });
  const keyer = createSubjectKeyer(deps.config.secret);
  const signer = new Signer(deps.config.signingKeys);
  const engagement = new Engagement(deps.store, deps.clock, deps.background, deps.logger);
  const reports = new ReportWriter({
    store: deps.store,
    background: deps.background,
    logger: deps.logger,
    personOf: personHasher(deps.config.secret),
    windowDays: async (blockId) => (await lookups.block(blockId).catch(() => undefined))?.config.attribution.window_days ?? 7,
    retentionDays: deps.config.reportRetentionDays ?? 400,
    count: (name, by) => counters.add(name, by),
    now: () => deps.clock.now(),
  });
  const writes = options.preview ? previewWrites() : liveWrites({ store: deps.store, renderCache: deps.renderCache, counters, engagement, reports, now: () => deps.clock.now() });
  const limits = createRateLimits(deps.config.rateLimits, deps.clock);
  const { config, store, clock, logger, background } = deps;
  const audience = new Audience({
    store,
    keyer,
    requireSignature: config.requireSignature,
    storeTimeoutMs: config.storeTimeoutMs,
    subscriberLimit: limits.subscriber,
    count: writes.count,
  });
  const optimizer = new Optimizer({ store, clock, background, logger, retentionMs: (config.reportRetentionDays ?? 400) * DAY_MS, writes: !options.preview });
  const kinds = startKinds({
    store,
    lookups,
    renderer,
    templates,
    clock,
    logger,
    config,
    rasterizer: deps.rasterizer,
    fonts: deps.fonts,
    images: deps.images,
    assets: deps.assets,
    // A preview shows what a subscriber would see now: it reads the stored allocation rather than wait for one.
    allocations: options.preview ? (block) => optimizer.read(block) : (block) => optimizer.current(block),
    budget: <T>(work: Promise<T>, what: string) => withBudget(work, config.storeTimeoutMs, what),
  });
  // What opens answered in the last seconds, for the same request again; a preview keeps nothing.
  const answers = !options.preview && store.subjectChanges ? new AnswerMemo(store.subjectChanges) : undefined;
  const opens = new OpenPipeline({
    kinds,
    audience,
    lookups,
    renderOnce: new RenderOnce({ renderCache: deps.renderCache, encoder: deps.encoder, background, logger, writes }),
    fallbacks: new Fallbacks({ kinds, renderCache: deps.renderCache, writes, logger, scale: config.scale }),
    remember: new Remember({ writes, background, logger, now: () => clock.now(), ttlSeconds: config.openRecordTtlSeconds }),
    writes,
    store,
    clock,
    logger,
    storeTimeoutMs: config.storeTimeoutMs,
    parts: new OpenParts({ kinds, store, writes, clock, logger, scale: config.scale, budget: (work, what) => withBudget(work, config.storeTimeoutMs, what) }),
    answers,
  });
  const clicks = new ClickService({
    lookups,
    audience,
    kinds,
    store,
    counters,
    engagement,
    clock,
    logger,
    defaultClickUrl: config.defaultClickUrl,
    ...(options.preview ? {} : { reports }),
  });
  const changes = new ContentChanges({ lookups, kinds, store, drawsAhead: renderer.layers !== undefined, background, logger, answersChanged: () => answers?.clear() });
  const sessions = new Sessions({
    secret: config.secret,
    adminKeys: config.adminKeys,
    viewerKeys: config.viewerKeys ?? [],
    ttlSeconds: config.sessionSeconds ?? DEFAULT_SESSION_SECONDS,
  });
  const signIns = {
    perAddress: new RateLimiter({ limit: SIGN_INS_PER_MINUTE, windowSeconds: 60 }, clock),
    inAll: new RateLimiter({ limit: SIGN_INS_PER_MINUTE_IN_ALL, windowSeconds: 60 }, clock),
  };
  const embeds = new BlockEmbeds({ kinds, logger });
  metrics.gauge('opentime_writer_queue', () => ({ reports: reports.queued, engagement: engagement.queued, counters: counters.queued }));
  // Block URLs in trigger payloads need an origin; without OPENTIME_PUBLIC_URL, the one requests arrive on.
  let seenOrigin: string | undefined;
  const services: Services = {
    deps,
    metrics,
    lookups,
    counters,
    reports,
    audience,
    opens,
    clicks,
    changes,
    keyer,
    signer,
    renderer,
    templates,
    engine,
    limits,
    embeds,
    sessions,
    signIns,
    optimizer,
  };
  if (!options.preview) {
    // Built at the first preview: the same app with writing switched off, its clock and block those of the preview under way.
    let run: PreviewRun | undefined;
    services.preview = () =>
      (run ??= createPreviewRun((current) => {
        const { services: parts } = createApp(previewDeps(deps, current), { preview: true });
        return { ...parts, store: parts.deps.store };
      }));
  }
  // A preview app sends nothing: only the live app runs triggers.
  if (config.triggers && !options.preview) {
    services.triggers = new TriggerEngine({
      store,
      settings: config.triggers,
      signer,
      requireSignature: config.requireSignature,
      origin: () => config.publicUrl ?? seenOrigin,
      fetch: deps.fetch ?? ((url, init) => fetch(url, init)),
      clock,
      logger,
      cacheMs: config.blockCacheMs,
    });
  }

  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || crypto.randomUUID();
    c.set('services', services);
    c.set('requestId', requestId);
    seenOrigin ??= new URL(c.req.url).origin;
    await next();
    // On the response's own headers: c.header() after a handler has answered makes Hono copy the
    // response, body included (a cached image's bytes, at every open).
    try {
      c.res.headers.set('x-request-id', requestId);
    } catch {
      c.header('x-request-id', requestId); // a response whose headers are immutable
    }
    // Never the URL: its query holds subscriber ids. The route pattern says enough.
    deps.logger.request({
      id: requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      cache: c.get('cacheOutcome'),
      block: c.get('blockId'),
      error: c.get('errorCode'),
    });
  });

  // Before the routes: it answers preflights and adds CORS headers to the events API's answers, errors included.
  app.use('/v1/*', browserCors());
  app.use('/v1/*', rateLimitHeaders());
  app.use('/v1/*', boundedPathIds());
  app.route('/', healthRoutes());
  app.route('/', eventRoutes());
  app.route('/', collectRoutes());
  app.route('/', sessionRoutes());
  app.route('/', adminRoutes());
  app.route('/', previewRoutes());
  app.route('/', studioRoutes());
  app.route('/', linkRoutes());
  app.route('/', reportRoutes());
  app.route('/', metricsRoutes());
  app.route('/', triggerRoutes());
  app.route('/', imageRoutes());
  app.route('/', clickRoutes());
  if (deps.config.demo) app.route('/', demoRoutes());

  // The path is echoed back cut short: an answer need not be as large as the URL that asked.
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method.slice(0, 16)} ${c.req.path.slice(0, 200)}` } }, 404));
  app.onError((error, c) => {
    const appError = isAppError(error) ? error : new AppError('INTERNAL', 'internal error', { cause: error });
    c.set('errorCode', appError.code);
    if (appError.status >= 500) deps.logger.error('request failed', { route: c.req.routePath, code: appError.code, error: describeError(error) });
    if (appError.retryAfterSeconds !== undefined) c.header('Retry-After', String(appError.retryAfterSeconds));
    const body: { error: { code: string; message: string; details?: unknown } } = { error: { code: appError.code, message: appError.message } };
    if (appError.details !== undefined) body.error.details = appError.details;
    return c.json(body, appError.status as 400);
  });

  const flush = async () => {
    await engagement.flush();
    await reports.flush();
    await counters.flush();
  };
  return { app, services, flush };
}
