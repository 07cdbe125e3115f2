import { Hono } from 'hono';
import { AppError, describeError } from '../core/shared/errors.ts';
import { appliedOrders } from '../core/reports/orders.ts';
import type { Credential } from '../core/events/credential.ts';
import { ingestEvents, type IngestOptions, type IngestResult } from '../core/events/ingest.ts';
import { ignoredReason } from '../core/profiles/ignored.ts';
import { BATCH_MAX_BYTES, EVENT_MAX_BYTES } from '../core/events/limits.ts';
import { normalizeBatch, normalizeEvent, type RejectedEvent, type TrackedEvent } from '../core/events/normalize.ts';
import type { EventType } from '../core/events/segment.ts';
import { basicUsername, matchesAny } from '../core/http/auth.ts';
import { readJsonBody } from '../core/http/body.ts';
import type { AppContext, AppEnv, Services } from './context.ts';
import { browserOriginAllowed } from './cors.ts';
import { limitApiKey } from './rate-limit.ts';

/**
 * Segment's HTTP Tracking API: /v1/track, identify, page, screen, group,
 * alias and batch, with Segment's payloads and auth, so Segment,
 * RudderStack and the Segment libraries can send here unchanged.
 */
const SINGLE: readonly EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

function bodyWriteKey(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const key = (body as { writeKey?: unknown }).writeKey;
  return typeof key === 'string' ? key : undefined;
}

/**
 * A write key, or a browser key (OPENTIME_BROWSER_KEY) from a request that
 * a browser did not send from a foreign origin. Browsers always send
 * Origin on a cross-origin POST and pages cannot change it, so another
 * site cannot use the shop's public key from its visitors' browsers; a
 * request without Origin (an <img> pixel, a server) is not a browser
 * posting from elsewhere. A good key then spends one request of its
 * rate limit (429 past it). Returns which kind of key it was: the browser
 * key is public, so its events get a stranger's rules (src/core/events/links.ts).
 */
export function authorizeKey(c: AppContext, candidate: string | undefined): Credential {
  const { config } = c.get('services').deps;
  if (matchesAny(candidate, config.writeKeys)) {
    limitApiKey(c, candidate as string);
    return 'server';
  }
  if (matchesAny(candidate, config.browserKeys ?? [])) {
    if (browserOriginAllowed(c)) {
      limitApiKey(c, candidate as string);
      return 'browser';
    }
    throw new AppError('ORIGIN_NOT_ALLOWED', "the browser key is accepted only from pages on the origins in OPENTIME_CORS_ORIGINS; this page's origin is not one of them");
  }
  throw new AppError(
    'UNAUTHORIZED',
    candidate === undefined ? 'missing write key: send it as the HTTP Basic username (Segment) or as "writeKey" in the body' : 'unknown write key',
  );
}

/** The write key as the Basic username (Segment's way) or `writeKey` in the body. */
function authorize(c: AppContext, body: unknown): Credential {
  return authorizeKey(c, basicUsername(c.req.header('authorization')) ?? bodyWriteKey(body));
}

/** An applied event from which opentime could keep nothing (profiles/ignored.ts), and why. */
export interface IgnoredEvent {
  messageId: string;
  reason: string;
}

export type RecordResult = IngestResult & { ignored: IgnoredEvent[] };

/**
 * Of the events whose messageIds are given (those applied), the ones that
 * changed nothing, each with why, in the order sent; of a repeated
 * messageId the first counts. Judged from the event alone, never from the
 * store, so it says nothing about a subject's suppression.
 */
export function ignoredEvents(events: readonly TrackedEvent[], applied: readonly string[]): IgnoredEvent[] {
  const fresh = new Set(applied);
  return events.flatMap((event) => {
    if (!fresh.delete(event.messageId)) return [];
    const reason = ignoredReason(event);
    return reason === undefined ? [] : [{ messageId: event.messageId, reason }];
  });
}

/** Stores validated events and counts them: the one path of the API, pixels, the snippet and webhooks. */
export async function recordEvents(services: Services, events: TrackedEvent[], options: IngestOptions = {}): Promise<RecordResult> {
  const { deps, keyer, counters } = services;
  const { config } = deps;
  const ingestDeps = {
    store: deps.store,
    keyer,
    consentCategories: config.consentCategories,
    ...(config.optOutTrait ? { optOutTrait: config.optOutTrait } : {}),
    ...(config.identitySecret ? { identitySecret: config.identitySecret } : {}),
  };
  const ingested = await ingestEvents(ingestDeps, events, deps.clock.now(), options);
  // The browser key's answer may not depend on the store (see ingestAnswer): its ignored events are judged over every accepted event.
  const judged = options.credential === 'browser' ? events.map((e) => e.messageId) : ingested.applied;
  const result: RecordResult = { ...ingested, ignored: ignoredEvents(events, judged) };
  // Orders go to the reports off the request path: the events are already durable.
  if (ingested.applied.length > 0) {
    deps.background(
      appliedOrders({ keyer, store: deps.store }, events, ingested.applied)
        .then((orders) => {
          for (const order of orders) services.reports.order(order);
        })
        .catch((error) => deps.logger.warn('orders not reported', { error: describeError(error) })),
    );
  }
  counters.add('events.accepted', events.length);
  services.metrics.inc('opentime_events_ingested_total', {}, events.length);
  if (result.ignored.length > 0) counters.add('events.ignored', result.ignored.length);
  if (result.duplicates.length > 0) counters.add('events.duplicate', result.duplicates.length);
  if (result.dropped.length > 0) counters.add('events.suppressed', result.dropped.length);
  return result;
}

/**
/**
 * Segment answers {"success": true}; the counts help when debugging a
 * sender. A batch's answer also lists the items it did not store
 * (`rejected`: index, path, reason), with 200 for the ones it did.
 *
 * The browser key is public, so its answer has the same shape and counts
 * whether or not a subject is suppressed (suppressed events skip dedupe, so
 * duplicates would tell too): every accepted event counts as applied, and
 * `ignored` and `rejected` are judged from the events alone.
 */
export function ingestAnswer(c: AppContext, result: RecordResult, options: { credential?: Credential; rejected?: readonly RejectedEvent[] } = {}): Response {
  const { rejected } = options;
  if (rejected !== undefined && rejected.length > 0) c.get('services').counters.add('events.rejected', rejected.length);
  const { ignored } = result;
  const browser = options.credential === 'browser';
  const accepted = browser ? result.applied.length + result.duplicates.length + result.dropped.length : result.applied.length;
  return c.json({
    success: true,
    // Applied and changed something; `ignored` were new but opentime could keep nothing from them.
    applied: accepted - ignored.length,
    ignored: ignored.length,
    ...(ignored.length > 0 ? { ignoredEvents: ignored } : {}),
    duplicates: browser ? 0 : result.duplicates.length,
    dropped: browser ? 0 : result.dropped.length,
    ...(rejected === undefined ? {} : { rejected }),
  });
}

async function ingest(c: AppContext, events: TrackedEvent[], credential: Credential) {
  return ingestAnswer(c, await recordEvents(c.get('services'), events, { credential }), { credential });
}

export function eventRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  for (const type of SINGLE) {
    const single = async (c: AppContext) => {
      const receivedAt = c.get('services').deps.clock.now();
      const body = await readJsonBody(c.req.raw, EVENT_MAX_BYTES, 'event');
      const credential = authorize(c, body);
      return ingest(c, [normalizeEvent(body, type, receivedAt)], credential);
    };
    routes.post(`/v1/${type}`, single);
    // analytics.js (Segment's browser library) posts each type to its initial: /v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a.
    routes.post(`/v1/${type.charAt(0)}`, single);
  }

  const batch = async (c: AppContext) => {
    const receivedAt = c.get('services').deps.clock.now();
    const body = await readJsonBody(c.req.raw, BATCH_MAX_BYTES, 'batch');
    const credential = authorize(c, body);
    const { events, rejected, indexes } = normalizeBatch(body, receivedAt);
    const result = await recordEvents(c.get('services'), events, { credential, batchIndexes: indexes });
    return ingestAnswer(c, result, { credential, rejected });
  };
  // Segment's import endpoint (analytics-ruby's default path; analytics-java's, with a slash) and analytics.js's batching path: the same batch.
  for (const path of ['/v1/batch', '/v1/import', '/v1/import/', '/v1/b']) routes.post(path, batch);

  return routes;
}
