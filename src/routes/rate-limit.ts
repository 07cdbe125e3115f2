import type { MiddlewareHandler } from 'hono';
import { AppError } from '../core/shared/errors.ts';
import type { AppContext, AppEnv, Services } from './context.ts';

/**
 * The routes' side of the rate limits (src/core/audience/rate-limit.ts). The events
 * API spends one request of its key's allowance once the key is known to be
 * good (a stranger's requests cannot use up a sender's allowance) and
 * answers 429 past it; opens spend their subscriber's allowance and, past
 * it, are answered as if they had no subscriber: the block's generic image,
 * which the render cache already holds, never an error (image proxies cache
 * errors for weeks).
 */

/** Spends one request of an API key's allowance; past it, 429 RATE_LIMITED with Retry-After. */
export function limitApiKey(c: AppContext, key: string): void {
  const { limits, counters } = c.get('services');
  if (!limits.apiKey) return;
  const decision = limits.apiKey.take(`key:${key}`);
  c.set('rateLimit', decision);
  if (decision.allowed) return;
  counters.add('events.rate_limited');
  throw new AppError('RATE_LIMITED', `more than ${decision.limit} requests a second with this key on this instance; retry in ${decision.retryAfterSeconds} s`, {
    retryAfterSeconds: decision.retryAfterSeconds,
  });
}

/** Whether this subscriber may have one more personal open now; false means: answer it as anonymous. */
export function subscriberWithinLimit(services: Services, subject: string | undefined): boolean {
  return services.audience.withinLimit(subject);
}

/**
 * X-RateLimit-Limit, -Remaining and -Reset (seconds until the allowance is
 * whole again) on every answer that spent a key's allowance, the 429s
 * included (app.onError has answered those by the time this runs), so a
 * sender can slow down before it is refused. Retry-After comes with the 429.
 */
export function rateLimitHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const decision = c.get('rateLimit');
    if (!decision) return;
    const headers = { 'X-RateLimit-Limit': String(decision.limit), 'X-RateLimit-Remaining': String(decision.remaining), 'X-RateLimit-Reset': String(decision.resetSeconds) };
    for (const [name, value] of Object.entries(headers)) {
      // On the response's own headers (c.header() here would make Hono copy the response).
      try {
        c.res.headers.set(name, value);
      } catch {
        c.header(name, value); // a response whose headers are immutable
      }
    }
  };
}
