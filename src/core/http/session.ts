import { base64url, fromBase64url } from '../shared/bytes.ts';
import { safeEqual } from '../shared/constant-time.ts';

/**
 * Studio sessions, stateless so that any instance (several Node processes,
 * every Workers isolate) accepts a cookie another made: the cookie is
 * `<payload>.<mac>`, the payload the role and the expiry, the MAC
 * HMAC-SHA256 under a key derived from OPENTIME_SECRET and every admin and
 * viewer key, so rotating a key ends the sessions signed in before.
 *
 * The CSRF token is a second MAC of the cookie, handed to the page in the
 * sign-in answer and sent back in `x-opentime-csrf` on every write: another
 * site can make the browser send the cookie (SameSite=Strict already stops
 * most of that) but can never read the token.
 */
export type Role = 'admin' | 'viewer';

export interface Session {
  role: Role;
  /** Epoch milliseconds. */
  expiresAt: number;
  csrf: string;
}

export const SESSION_COOKIE = 'opentime_session';
export const CSRF_HEADER = 'x-opentime-csrf';

const encoder = new TextEncoder();

export interface SessionSettings {
  secret: string;
  adminKeys: readonly string[];
  viewerKeys: readonly string[];
  ttlSeconds: number;
}

export class Sessions {
  private readonly key: Promise<CryptoKey>;
  readonly ttlSeconds: number;

  constructor(settings: SessionSettings) {
    this.ttlSeconds = settings.ttlSeconds;
    const material = ['opentime-session-v1', settings.secret, ...settings.adminKeys, '|', ...settings.viewerKeys].join('\n');
    this.key = crypto.subtle
      .digest('SHA-256', encoder.encode(material))
      .then((digest) => crypto.subtle.importKey('raw', digest, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
  }

  private async mac(label: string, message: string): Promise<string> {
    return base64url(await crypto.subtle.sign('HMAC', await this.key, encoder.encode(`${label}:${message}`)));
  }

  /** A new session's cookie value and its CSRF token. */
  async issue(role: Role, now: number): Promise<{ cookie: string; session: Session }> {
    const expiresAt = now + this.ttlSeconds * 1000;
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
    const payload = base64url(encoder.encode(JSON.stringify({ r: role, e: expiresAt, n: nonce })));
    const cookie = `${payload}.${await this.mac('session', payload)}`;
    return { cookie, session: { role, expiresAt, csrf: await this.mac('csrf', cookie) } };
  }

  /** The session a cookie value carries, or undefined when forged, malformed or expired. */
  async verify(cookie: string | undefined, now: number): Promise<Session | undefined> {
    if (!cookie || cookie.length > 512) return undefined;
    const dot = cookie.indexOf('.');
    if (dot < 1) return undefined;
    const payload = cookie.slice(0, dot);
    if (!safeEqual(cookie.slice(dot + 1), await this.mac('session', payload))) return undefined;
    let parsed: { r?: unknown; e?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as { r?: unknown; e?: unknown };
    } catch {
      return undefined;
    }
    if ((parsed.r !== 'admin' && parsed.r !== 'viewer') || typeof parsed.e !== 'number' || parsed.e <= now) return undefined;
    return { role: parsed.r, expiresAt: parsed.e, csrf: await this.mac('csrf', cookie) };
  }
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session: HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to the whole origin (the Studio calls /v1/…). */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
