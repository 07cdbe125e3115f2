import { Hono } from 'hono';
import { z } from 'zod';
import { matchesAny } from '../core/http/auth.ts';
import { readJsonBody } from '../core/http/body.ts';
import { readCookie, SESSION_COOKIE, sessionCookie, type Role, type Session } from '../core/http/session.ts';
import { AppError } from '../core/shared/errors.ts';
import { parseOrThrow } from '../core/shared/validation.ts';
import type { AppContext, AppEnv } from './context.ts';

/**
 * The Studio's sign-in: an admin or viewer key exchanged for a session
 * cookie (src/core/http/session.ts). Each address has its own allowance of
 * attempts, so one guesser cannot lock everyone else out; all addresses
 * together have a larger one, so guessing from many is slow too.
 */
const signInSchema = z.object({ key: z.string().min(1).max(512) }).strict();
const SIGN_IN_MAX_BYTES = 4096;

function describe(session: Session) {
  return { role: session.role, expires_at: new Date(session.expiresAt).toISOString(), csrf: session.csrf };
}

/** Who is signing in: the socket's address on Node, Cloudflare's connecting address on Workers (set by Cloudflare, not by the client). */
function signInAddress(c: AppContext): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  if (incoming) return incoming.socket?.remoteAddress ?? 'unknown';
  return c.req.header('cf-connecting-ip')?.slice(0, 64) ?? 'unknown';
}

function secure(c: AppContext): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

export function sessionRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/v1/session', async (c) => {
    const { deps, sessions, signIns } = c.get('services');
    const own = signIns.perAddress.take(signInAddress(c));
    const decision = own.allowed ? signIns.inAll.take('*') : own;
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', `too many sign-in attempts; try again in ${decision.retryAfterSeconds} s`, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const { key } = parseOrThrow(signInSchema, await readJsonBody(c.req.raw, SIGN_IN_MAX_BYTES, 'session'), 'session');
    let role: Role | undefined;
    if (matchesAny(key, deps.config.adminKeys)) role = 'admin';
    else if (matchesAny(key, deps.config.viewerKeys ?? [])) role = 'viewer';
    if (!role) throw new AppError('UNAUTHORIZED', 'that key is not an admin or viewer key of this server (OPENTIME_ADMIN_KEY, OPENTIME_VIEWER_KEY)');
    const { cookie, session } = await sessions.issue(role, deps.clock.now());
    c.header('Set-Cookie', sessionCookie(cookie, sessions.ttlSeconds, secure(c)));
    c.header('Cache-Control', 'no-store');
    return c.json(describe(session));
  });

  routes.get('/v1/session', async (c) => {
    const { deps, sessions } = c.get('services');
    const session = await sessions.verify(readCookie(c.req.header('cookie'), SESSION_COOKIE), deps.clock.now());
    if (!session) throw new AppError('UNAUTHORIZED', 'not signed in, or the session has expired');
    c.header('Cache-Control', 'no-store');
    return c.json(describe(session));
  });

  /** Signing out clears the cookie; a copy of it kept elsewhere stays valid until it expires (sessions are stateless). */
  routes.delete('/v1/session', (c) => {
    c.header('Set-Cookie', sessionCookie('', 0, secure(c)));
    return c.json({ signed_out: true });
  });

  return routes;
}
