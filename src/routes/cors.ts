import type { MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from './context.ts';

/**
 * CORS for the routes a shop's pages call from the browser (the events API
 * and the pixel), so the snippet can post from the shop's origin and read
 * the answer. Only origins in OPENTIME_CORS_ORIGINS get
 * Access-Control-Allow-Origin; credentials are never allowed, because the
 * snippet sends none (its ids travel in the body) and opentime sets no
 * cookies. The admin API and the webhook never answer a browser's
 * preflight: they are for servers.
 */
const BROWSER_PATHS = new Set([
  '/v1/track',
  '/v1/identify',
  '/v1/page',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/batch',
  '/v1/p.gif',
  // analytics.js's paths (Segment's browser library).
  '/v1/t',
  '/v1/i',
  '/v1/p',
  '/v1/s',
  '/v1/g',
  '/v1/a',
  '/v1/b',
]);
/** What a preflight may ask for: JSON or text bodies, gzip, and Segment's Basic auth header. */
const ALLOWED_HEADERS = 'Content-Type, Content-Encoding, Authorization';
/** Chromium caps a cached preflight at two hours; longer is ignored. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

export function corsOrigins(c: AppContext): readonly string[] {
  return c.get('services').deps.config.corsOrigins ?? [];
}

/** The value for Access-Control-Allow-Origin, or undefined when this origin is not allowed. */
export function allowedOrigin(origins: readonly string[], origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (origins.includes('*')) return '*';
  return origins.includes(origin.toLowerCase()) ? origin : undefined;
}

/** A browser's Origin is acceptable for the browser key: none (not a cross-origin browser request), our own, or an allowed one. */
export function browserOriginAllowed(c: AppContext): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  if (allowedOrigin(corsOrigins(c), origin) !== undefined) return true;
  const own = [new URL(c.req.url).origin, c.get('services').deps.config.publicUrl].filter((o): o is string => o !== undefined);
  return own.some((o) => o.toLowerCase() === origin.toLowerCase());
}

export function browserCors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!BROWSER_PATHS.has(c.req.path)) return next();
    const allow = allowedOrigin(corsOrigins(c), c.req.header('origin'));
    if (c.req.method === 'OPTIONS') {
      // A refused preflight carries no Allow-Origin, so the browser does not send the request.
      if (allow === undefined) return c.body(null, 403, { Vary: 'Origin' });
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': allow,
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
        Vary: 'Origin',
      });
    }
    await next();
    // Errors too (they are answered by app.onError before this runs), so the snippet can read a 400 or 401.
    if (allow !== undefined) {
      c.res.headers.set('Access-Control-Allow-Origin', allow);
      c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, x-opentime-error, x-opentime-error-message');
    }
    c.res.headers.append('Vary', 'Origin');
  };
}
