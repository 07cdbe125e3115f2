import { describe, expect, it } from 'vitest';
import { userHash } from '../../src/core/events/user-hash.ts';
import type { Profile } from '../../src/core/profiles/profile.ts';
import { workerApp, type WorkerApp } from './helpers/app.ts';

/**
 * The browser key's rules of test/routes/identity.test.ts through the Worker
 * entry, with links kept in each subscriber's Durable Object.
 */
const BROWSER_KEY = 'test-browser-key-0123456789';
const IDENTITY_SECRET = 'test-identity-secret-0123456789';

const browser = (app: WorkerApp, type: string, body: object) =>
  app.request(`/v1/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeKey: BROWSER_KEY, ...body }) });
const cartOf = async (app: WorkerApp, id: string): Promise<string[]> => {
  const response = await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`);
  return response.status === 200 ? ((await response.json()) as { profile: Profile }).profile.cart.map((line) => line.id).sort() : [];
};
const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe('the browser key on Workers', () => {
  it('refuses alias and email links with 403, and the victim keeps their cart', async () => {
    const app = workerApp({ OPENTIME_BROWSER_KEY: BROWSER_KEY });
    await app.send('identify', { userId: 'victim', traits: { email: 'victim@example.com' } });
    await app.send('track', { userId: 'victim', event: 'Product Added', properties: { product_id: 'ring' } });
    const alias = await browser(app, 'alias', { previousId: 'victim', userId: 'attacker' });
    expect(alias.status).toBe(403);
    expect(await codeOf(alias)).toBe('ALIAS_NEEDS_WRITE_KEY');
    const email = await browser(app, 'identify', { userId: 'attacker', traits: { email: 'victim@example.com' } });
    expect(email.status).toBe(403);
    expect(await codeOf(email)).toBe('EMAIL_LINK_NEEDS_WRITE_KEY');
    expect(await cartOf(app, 'victim')).toEqual(['ring']);
    expect(await cartOf(app, 'victim@example.com')).toEqual(['ring']);
  });

  it('links its own anonymous id only with the userHash when OPENTIME_IDENTITY_SECRET is set', async () => {
    const app = workerApp({ OPENTIME_BROWSER_KEY: BROWSER_KEY, OPENTIME_IDENTITY_SECRET: IDENTITY_SECRET });
    await browser(app, 'track', { anonymousId: 'device', event: 'Product Added', properties: { product_id: 'before-login' } });
    const unverified = await browser(app, 'identify', { anonymousId: 'device', userId: 'shopper' });
    expect(unverified.status).toBe(403);
    expect(await codeOf(unverified)).toBe('USER_HASH_INVALID');
    expect(await cartOf(app, 'shopper')).toEqual([]);
    const verified = await browser(app, 'identify', { anonymousId: 'device', userId: 'shopper', context: { userHash: await userHash(IDENTITY_SECRET, 'shopper') } });
    expect(verified.status).toBe(200);
    expect(await cartOf(app, 'shopper')).toEqual(['before-login']);
  });
});
