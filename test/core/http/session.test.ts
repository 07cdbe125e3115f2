import { describe, expect, it } from 'vitest';
import { readCookie, Sessions, sessionCookie } from '../../../src/core/http/session.ts';

const T0 = Date.UTC(2026, 5, 1, 9);
const settings = { secret: 'session-test-secret-0123', adminKeys: ['admin-key-0123456789'], viewerKeys: ['viewer-key-0123456789'], ttlSeconds: 3600 };

describe('Studio sessions', () => {
  it('holds until its expiry and not a millisecond after', async () => {
    const sessions = new Sessions(settings);
    const { cookie, session } = await sessions.issue('admin', T0);
    expect(session).toMatchObject({ role: 'admin', expiresAt: T0 + 3_600_000 });
    expect(await sessions.verify(cookie, T0 + 3_599_999)).toEqual(session);
    expect(await sessions.verify(cookie, T0 + 3_600_000)).toBeUndefined();
  });

  it('is accepted by any instance with the same secret and keys, and by none once a key is rotated', async () => {
    const { cookie } = await new Sessions(settings).issue('viewer', T0);
    expect((await new Sessions(settings).verify(cookie, T0))?.role).toBe('viewer');
    expect(await new Sessions({ ...settings, adminKeys: ['a-new-admin-key-0123456'] }).verify(cookie, T0)).toBeUndefined();
    expect(await new Sessions({ ...settings, secret: 'another-secret-0123456' }).verify(cookie, T0)).toBeUndefined();
  });

  it('gives each session its own CSRF token, which is not the cookie', async () => {
    const sessions = new Sessions(settings);
    const one = await sessions.issue('admin', T0);
    const two = await sessions.issue('admin', T0);
    expect(one.session.csrf).not.toBe(two.session.csrf);
    expect(one.cookie).not.toContain(one.session.csrf);
  });

  it('refuses a role it did not sign, and anything that is not a cookie it made', async () => {
    const sessions = new Sessions(settings);
    const { cookie } = await sessions.issue('viewer', T0);
    const [, mac] = cookie.split('.');
    const promoted = `${btoa(JSON.stringify({ r: 'admin', e: T0 + 3_600_000, n: 'x' })).replace(/=+$/, '')}.${mac}`;
    for (const bad of [promoted, '', '.', 'a.b', `${cookie}x`, 'x'.repeat(600), undefined]) expect(await sessions.verify(bad, T0)).toBeUndefined();
  });

  it('reads its cookie among others and writes it HttpOnly and SameSite=Strict, Secure over HTTPS', () => {
    expect(readCookie('theme=dark; opentime_session=abc.def; other=1', 'opentime_session')).toBe('abc.def');
    expect(readCookie(undefined, 'opentime_session')).toBeUndefined();
    expect(sessionCookie('v', 60, true)).toBe('opentime_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
    expect(sessionCookie('v', 60, false)).not.toContain('Secure');
  });
});
