import { Hono } from 'hono';
import { isMachineOpen } from '../core/audience/requester.ts';
import { AppError, describeError, isAppError } from '../core/shared/errors.ts';
import { SUBJECT_ID_MAX_CHARS } from '../core/events/limits.ts';
import { MESSAGE_PARAM_MAX_CHARS } from '../core/links/url-params.ts';
import { normalizeEvent } from '../core/events/normalize.ts';
import { TRANSPARENT_GIF, pixelPayload } from '../core/events/pixel.ts';
import { EVENT_TYPES, type EventType } from '../core/events/segment.ts';
import { webhookEvents } from '../core/events/webhook.ts';
import { parseJsonText, readBytes } from '../core/http/body.ts';
import { verifySignature } from '../core/http/signature.ts';
import { SDK_ETAG, SDK_SCRIPT } from '../sdk/script.ts';
import { boundedQuery, type AppContext, type AppEnv, type Services } from './context.ts';
import { authorizeKey, ingestAnswer, recordEvents } from './events.ts';
import { IMAGE_HEADERS } from './image-answer.ts';
import { limitApiKey, subscriberWithinLimit } from './rate-limit.ts';

/**
 * Behaviour collected where it happens: the browser snippet (`/sdk.js`), a
 * tracking pixel for places without scripts (`/v1/p.gif`), the email-open
 * pixel (`/o/:message.gif`) and Segment's webhook destination. Everything
 * goes into the store through the events API's own path (recordEvents).
 */

/** Short, so a fixed snippet reaches every page within minutes; the ETag makes re-checks cheap. */
const SDK_MAX_AGE_SECONDS = 300;
/** As in the image URLs: a campaign or message id, not free text. */
/**
 * Segment's Webhooks (Actions) batches up to 1,000 events by default (4,000
 * at most); 4 MB holds a default batch of ordinary events, and the event
 * limit (32 KB) still applies to each.
 */
export const WEBHOOK_MAX_BYTES = 4 * 1024 * 1024;
/** An error message in a header: printable ASCII only (no header injection), and short. */
const ERROR_HEADER_MAX_CHARS = 300;

function gif(status: number, headers: Record<string, string> = {}): Response {
  return new Response(TRANSPARENT_GIF as BodyInit, {
    status,
    headers: { ...IMAGE_HEADERS, 'Content-Type': 'image/gif', 'Content-Length': String(TRANSPARENT_GIF.byteLength), ...headers },
  });
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, ERROR_HEADER_MAX_CHARS);
}

/**
 * A pixel with bad input still answers a 1×1 GIF, so a page never shows a
 * broken-image icon (browsers draw an image body whatever the status), but
 * with the status the API would give and the code and message in headers,
 * so the mistake is visible in the network panel and in monitoring.
 */
function pixelError(c: AppContext, error: unknown, status?: number): Response {
  const appError = isAppError(error) ? error : new AppError('INTERNAL', 'internal error', { cause: error });
  c.set('errorCode', appError.code);
  if (appError.status >= 500) c.get('services').deps.logger.error('pixel failed', { code: appError.code, error: describeError(error) });
  const headers: Record<string, string> = { 'x-opentime-error': appError.code, 'x-opentime-error-message': headerSafe(appError.message) };
  if (appError.retryAfterSeconds !== undefined) headers['Retry-After'] = String(appError.retryAfterSeconds);
  return gif(status ?? appError.status, headers);
}

/** Email Opened for a person's open; the messageId makes a re-open of the same email within a day count once. */
async function recordOpen(services: Services, subject: string, message: string): Promise<void> {
  const now = services.deps.clock.now();
  const event = normalizeEvent({ userId: subject, event: 'Email Opened', messageId: `eo-pixel:${message}`.slice(0, 100), properties: { message_id: message } }, 'track', now);
  await recordEvents(services, [event]);
}

export function collectRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/sdk.js', (c) => {
    const headers = {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': `public, max-age=${SDK_MAX_AGE_SECONDS}`,
      ETag: SDK_ETAG,
      // Any page may load it (and check it with Subresource Integrity); it carries no secret.
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
    };
    const tags = (c.req.header('if-none-match') ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (tags.includes(SDK_ETAG)) return new Response(null, { status: 304, headers });
    return new Response(SDK_SCRIPT, { headers });
  });

  routes.get('/v1/p.gif', async (c) => {
    // HEAD is a prefetch (a link checker, a proxy warming its cache): answered, never recorded.
    if (c.req.method === 'HEAD') return gif(200);
    const services = c.get('services');
    const receivedAt = services.deps.clock.now();
    try {
      const payload = pixelPayload(new URL(c.req.url).searchParams);
      // The browser key's rules hold here too: a pixel is as public as the page it sits in.
      const credential = authorizeKey(c, typeof payload.writeKey === 'string' ? payload.writeKey : undefined);
      await recordEvents(services, [normalizeEvent(payload, 'track', receivedAt)], { credential });
      services.counters.add('pixel.events');
      return gif(200);
    } catch (error) {
      return pixelError(c, error);
    }
  });

  /**
   * Segment's pixel API, `/v1/pixel/<type>?data=<base64 JSON>` for every
   * type. Like Segment's it always answers 200 with the GIF, whatever went
   * wrong (an <img> cannot retry or read an answer, and a page or an email
   * must never show a broken image); what went wrong is in the same
   * headers as /v1/p.gif's. The write key is the one in the JSON.
   */
  routes.get('/v1/pixel/:type', async (c) => {
    if (c.req.method === 'HEAD') return gif(200);
    const services = c.get('services');
    const receivedAt = services.deps.clock.now();
    try {
      const type = c.req.param('type').replace(/\.gif$/i, '');
      if (!(EVENT_TYPES as readonly string[]).includes(type)) {
        throw new AppError('NOT_FOUND', `expected /v1/pixel/<${EVENT_TYPES.join('|')}>`);
      }
      const payload = pixelPayload(new URL(c.req.url).searchParams);
      const credential = authorizeKey(c, typeof payload.writeKey === 'string' ? payload.writeKey : undefined);
      await recordEvents(services, [normalizeEvent(payload, type as EventType, receivedAt)], { credential });
      services.counters.add('pixel.events');
      return gif(200);
    } catch (error) {
      return pixelError(c, error, 200);
    }
  });

  /**
   * The email-open pixel. Like the image routes it never answers an error
   * (image proxies cache errors for weeks) and sends the headers that make
   * proxies fetch it at every open. Recording happens after the response:
   * an open must not wait for the store.
   */
  routes.get('/o/:file', async (c) => {
    const services = c.get('services');
    const { deps, counters, signer } = services;
    const message = /^(.+)\.gif$/i.exec(c.req.param('file'))?.[1];
    const subject = boundedQuery(c, 'u', SUBJECT_ID_MAX_CHARS);
    if (isMachineOpen(c.req.method, c.req.header('user-agent'))) {
      counters.add('pixel.opens.machine');
      return gif(200);
    }
    if (message === undefined || message.length > MESSAGE_PARAM_MAX_CHARS || subject === undefined) return gif(200);
    // Where images must be signed, so must opens: otherwise anyone could mark anyone's email as opened.
    if (deps.config.requireSignature && !(await signer.verify(c.req.url))) return gif(200);
    // Past the subscriber's open allowance the pixel still answers, and records nothing.
    if (!subscriberWithinLimit(c.get('services'), subject)) return gif(200);
    counters.add('pixel.opens');
    deps.background(
      recordOpen(services, subject, message).catch((error: unknown) => {
        deps.logger.warn('email open not recorded', { code: isAppError(error) ? error.code : 'INTERNAL', error: describeError(error) });
      }),
    );
    return gif(200);
  });

  /**
   * Segment's Webhooks destination (and Customer.io's): the signature is
   * checked over the exact bytes before anything is parsed, and a request
   * that fails it stores nothing.
   */
  routes.post('/v1/webhooks/segment', async (c) => {
    const services = c.get('services');
    const { config, clock } = services.deps;
    const receivedAt = clock.now();
    const secrets = config.webhookSecrets ?? [];
    if (secrets.length === 0) {
      throw new AppError('WEBHOOK_BAD_SIGNATURE', "the webhook is off: set OPENTIME_WEBHOOK_SECRET to the shared secret in the destination's settings");
    }
    const bytes = await readBytes(c.req.raw, WEBHOOK_MAX_BYTES, 'webhook body');
    const signature = c.req.header('x-signature');
    if (signature === undefined || signature.trim() === '') {
      throw new AppError('WEBHOOK_BAD_SIGNATURE', "missing X-Signature: set a shared secret in the destination's settings, the same as OPENTIME_WEBHOOK_SECRET");
    }
    if (!(await verifySignature(secrets, bytes, signature))) {
      throw new AppError('WEBHOOK_BAD_SIGNATURE', "X-Signature does not match the body: the destination's shared secret is not one of OPENTIME_WEBHOOK_SECRET");
    }
    // One allowance for the destination, spent only by deliveries that carry its signature.
    limitApiKey(c, 'webhook');
    const { events, rejected, indexes } = webhookEvents(parseJsonText(new TextDecoder().decode(bytes), 'webhook body'), receivedAt);
    const result = await recordEvents(services, events, { credential: 'server', ...(indexes ? { batchIndexes: indexes } : {}) });
    services.counters.add('webhook.events', events.length);
    return ingestAnswer(c, result, { rejected });
  });

  return routes;
}
