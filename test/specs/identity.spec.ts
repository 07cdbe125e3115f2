import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LINKS_PER_REQUEST, MAX_LINKS_PER_SUBJECT } from '../../src/core/events/links.ts';
import { userHash } from '../../src/core/events/user-hash.ts';
import { errorOf, profileOf, type SpecApp, type SpecRuntime } from './harness.ts';

/**
 * The public browser key against a known identity, the same on Node and on
 * Workers. The browser key is in every page of the shop, so these requests
 * come from a script (no Origin), exactly as an attacker would send them.
 */
export function describeIdentity(runtime: SpecRuntime): void {
  describe('identity from the browser key', () => {
    const BROWSER_KEY = 'test-browser-key-0123456789';
    const IDENTITY_SECRET = 'test-identity-secret-0123456789';
    const VICTIM_EMAIL = 'victim@example.com';

    let app: SpecApp;
    beforeEach(async () => {
      app = await runtime.createApp({ OPENTIME_BROWSER_KEY: BROWSER_KEY });
    });
    afterEach(async () => {
      await app.close();
    });

    /** A call with the browser key in the body, as a script would make it. */
    const browser = (target: SpecApp, type: string, body: object, headers: Record<string, string> = {}) =>
      target.request(`/v1/${type}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ writeKey: BROWSER_KEY, ...body }) });
    const profile = (id: string, target = app) => profileOf(target, id);
    const cartOf = async (id: string, target = app) => ((await profile(id, target))?.cart ?? []).map((line) => line.id);
    const suppressionOf = async (id: string) => (await app.admin('GET', `/v1/suppressions/${encodeURIComponent(id)}`)).json();
    const denied = { consent: { categoryPreferences: { Personalization: false } } };
    const granted = { consent: { categoryPreferences: { Personalization: true } } };

    /** The victim: a known customer with a cart and an address, all from the shop's backend. */
    async function victimWithCart(): Promise<void> {
      expect((await app.send('identify', { userId: 'victim', traits: { email: VICTIM_EMAIL } })).status).toBe(200);
      expect((await app.send('track', { userId: 'victim', event: 'Product Added', properties: { product_id: 'victims-ring' } })).status).toBe(200);
    }

    describe('the browser key never moves or merges a known identity', () => {
      it('refuses alias with 403 ALIAS_NEEDS_WRITE_KEY and leaves the victim where they were', async () => {
        await victimWithCart();
        const response = await browser(app, 'alias', { previousId: 'victim', userId: 'attacker' });
        expect(response.status).toBe(403);
        const error = await errorOf(response);
        expect(error.code).toBe('ALIAS_NEEDS_WRITE_KEY');
        expect(error.details).toEqual([{ path: 'type', message: expect.stringContaining('write key') }]);
        expect(await cartOf('victim')).toEqual(['victims-ring']);
        expect(await profile('attacker')).toBeUndefined();
        // The victim's later backend events still land with the victim.
        await app.send('track', { userId: 'victim', event: 'Product Added', properties: { product_id: 'later' } });
        expect((await cartOf('victim')).sort()).toEqual(['later', 'victims-ring']);
      });

      it('refuses an alias inside a batch, naming the item, and stores nothing of the batch', async () => {
        const response = await browser(app, 'batch', {
          batch: [
            { type: 'track', anonymousId: 'anon-b', event: 'Product Viewed', properties: { product_id: 'p1' } },
            { type: 'alias', previousId: 'victim', userId: 'attacker' },
          ],
        });
        expect(response.status).toBe(403);
        expect((await errorOf(response)).details?.[0]?.path).toBe('batch[1].type');
        expect(await (await app.store()).getProfile('a:anon-b')).toBeUndefined();
      });

      it('names the alias by its place in the batch sent, though an invalid item before it was set aside', async () => {
        const response = await browser(app, 'batch', {
          batch: [
            { type: 'track', anonymousId: 'anon-c' },
            { type: 'track', anonymousId: 'anon-c', event: 'Product Viewed', properties: { product_id: 'p1' } },
            { type: 'alias', previousId: 'victim', userId: 'attacker' },
          ],
        });
        expect(response.status).toBe(403);
        expect((await errorOf(response)).details?.[0]?.path).toBe('batch[2].type');
        expect(await (await app.store()).getProfile('a:anon-c')).toBeUndefined();
      });

      it('refuses an email trait that would link the victim’s address into the caller, with 403 EMAIL_LINK_NEEDS_WRITE_KEY', async () => {
        await victimWithCart();
        const response = await browser(app, 'identify', { userId: 'attacker', anonymousId: 'attacker-browser', traits: { email: VICTIM_EMAIL } });
        expect(response.status).toBe(403);
        const error = await errorOf(response);
        expect(error.code).toBe('EMAIL_LINK_NEEDS_WRITE_KEY');
        expect(error.details?.[0]?.path).toBe('traits.email');
        // The ESP's merge tag (the address) still finds the victim.
        expect(await cartOf(VICTIM_EMAIL)).toEqual(['victims-ring']);
      });

      it('links its own anonymous id to the user, so browsing before login follows the shopper', async () => {
        await browser(app, 'track', { anonymousId: 'device-1', event: 'Product Added', properties: { product_id: 'before-login' } });
        expect((await browser(app, 'identify', { anonymousId: 'device-1', userId: 'shopper' })).status).toBe(200);
        expect(await cartOf('shopper')).toEqual(['before-login']);
      });

      it('does not move an anonymous id that already belongs to another user', async () => {
        await browser(app, 'track', { anonymousId: 'shared-device', event: 'Product Added', properties: { product_id: 'first-users' } });
        await browser(app, 'identify', { anonymousId: 'shared-device', userId: 'first-user' });
        expect((await browser(app, 'identify', { anonymousId: 'shared-device', userId: 'second-user' })).status).toBe(200);
        // That browser's anonymous events still reach the first user, not the second.
        await browser(app, 'track', { anonymousId: 'shared-device', event: 'Product Added', properties: { product_id: 'still-first' } });
        expect((await cartOf('first-user')).sort()).toEqual(['first-users', 'still-first']);
        expect(await cartOf('second-user')).toEqual([]);
        // The server may still re-point it (a support tool, a verified login).
        await app.send('identify', { anonymousId: 'shared-device', userId: 'second-user' });
        await app.send('track', { anonymousId: 'shared-device', event: 'Product Added', properties: { product_id: 'now-second' } });
        expect(await cartOf('second-user')).toEqual(['now-second']);
      });

      it('applies the same rules to the pixel: its browser key cannot identify anyone else', async () => {
        const secured = await runtime.createApp({ OPENTIME_BROWSER_KEY: BROWSER_KEY, OPENTIME_IDENTITY_SECRET: IDENTITY_SECRET });
        try {
          const query = new URLSearchParams({ writeKey: BROWSER_KEY, event: 'Product Added', userId: 'victim', 'properties.product_id': 'planted' });
          const response = await secured.request(`/v1/p.gif?${query}`);
          expect(response.status).toBe(403);
          expect(response.headers.get('content-type')).toBe('image/gif');
          expect(response.headers.get('x-opentime-error')).toBe('USER_HASH_INVALID');
          expect(await cartOf('victim', secured)).toEqual([]);
        } finally {
          await secured.close();
        }
      });
    });

    describe('OPENTIME_IDENTITY_SECRET: the browser names a user only with the shop server’s userHash', () => {
      let secured: SpecApp;
      beforeEach(async () => {
        secured = await runtime.createApp({ OPENTIME_BROWSER_KEY: BROWSER_KEY, OPENTIME_IDENTITY_SECRET: IDENTITY_SECRET });
      });
      afterEach(async () => {
        await secured.close();
      });

      it('refuses an identify without context.userHash with 403, naming the path', async () => {
        const response = await browser(secured, 'batch', { batch: [{ type: 'identify', anonymousId: 'device-x', userId: 'victim' }] });
        expect(response.status).toBe(403);
        const error = await errorOf(response);
        expect(error.code).toBe('USER_HASH_INVALID');
        expect(error.details?.[0]?.path).toBe('batch[0].context.userHash');
        expect(await (await secured.store()).getLinks(['a:device-x'])).toEqual(new Map());
      });

      it('refuses a userHash computed for another user', async () => {
        const response = await browser(secured, 'identify', { anonymousId: 'device-x', userId: 'victim', context: { userHash: await userHash(IDENTITY_SECRET, 'attacker') } });
        expect(response.status).toBe(403);
        expect((await errorOf(response)).message).toMatch(/context\.userHash/);
      });

      it('links with the right userHash, and tracks the user’s later events that carry it', async () => {
        await browser(secured, 'track', { anonymousId: 'device-y', event: 'Product Added', properties: { product_id: 'anon-cart' } });
        const context = { userHash: await userHash(IDENTITY_SECRET, 'shopper') };
        expect((await browser(secured, 'identify', { anonymousId: 'device-y', userId: 'shopper', context })).status).toBe(200);
        expect(
          (await browser(secured, 'track', { anonymousId: 'device-y', userId: 'shopper', event: 'Product Added', properties: { product_id: 'logged-in' }, context })).status,
        ).toBe(200);
        expect((await cartOf('shopper', secured)).sort()).toEqual(['anon-cart', 'logged-in']);
      });

      it('still takes anonymous browsing and server events without a hash', async () => {
        expect((await browser(secured, 'track', { anonymousId: 'device-z', event: 'Product Viewed', properties: { product_id: 'p' } })).status).toBe(200);
        expect((await secured.send('identify', { anonymousId: 'device-z', userId: 'server-says' })).status).toBe(200);
      });
    });

    describe('consent from the browser', () => {
      it('never restores a withdrawal the backend made', async () => {
        await app.send('identify', { userId: 'careful', anonymousId: 'careful-device', context: denied });
        expect(await suppressionOf('careful')).toEqual({ suppressed: true, source: 'consent' });
        await browser(app, 'identify', { userId: 'careful', anonymousId: 'careful-device', context: granted });
        expect(await suppressionOf('careful')).toEqual({ suppressed: true, source: 'consent' });
      });

      it('never restores an admin’s suppression, even after withdrawing and granting again', async () => {
        await app.admin('POST', '/v1/suppressions', { ids: ['blocked'] });
        await browser(app, 'track', { userId: 'blocked', anonymousId: 'b-device', event: 'X', context: denied });
        await browser(app, 'track', { userId: 'blocked', anonymousId: 'b-device', event: 'X', context: granted });
        expect(await suppressionOf('blocked')).toEqual({ suppressed: true, source: 'admin' });
      });

      it('cannot suppress someone else: a withdrawal naming the victim’s userId leaves the victim tracked', async () => {
        await victimWithCart();
        expect((await browser(app, 'track', { userId: 'victim', anonymousId: 'attacker-device', event: 'X', context: denied })).status).toBe(200);
        expect(await suppressionOf('victim')).toEqual({ suppressed: false });
        await app.send('track', { userId: 'victim', event: 'Product Added', properties: { product_id: 'still-tracked' } });
        expect((await cartOf('victim')).sort()).toEqual(['still-tracked', 'victims-ring']);
      });

      it('withdraws for its own device: nothing from that browser is stored, even once it is linked to a user, until it grants again', async () => {
        await browser(app, 'identify', { anonymousId: 'my-device', userId: 'me' });
        await browser(app, 'track', { anonymousId: 'my-device', userId: 'me', event: 'Consent Changed', context: denied });
        await browser(app, 'track', { anonymousId: 'my-device', userId: 'me', event: 'Product Added', properties: { product_id: 'after-withdrawal' } });
        expect(await cartOf('me')).toEqual([]);
        await browser(app, 'track', { anonymousId: 'my-device', userId: 'me', event: 'Product Added', properties: { product_id: 'after-grant' }, context: granted });
        expect(await cartOf('me')).toEqual(['after-grant']);
      });
    });

    describe('what the browser key learns', () => {
      it('answers the same whether or not the subject is suppressed', async () => {
        await app.admin('POST', '/v1/suppressions', { ids: ['suppressed-one'] });
        const answers: Array<{ userId: string; status: number; body: unknown }> = [];
        for (const userId of ['suppressed-one', 'ordinary-one']) {
          const event = { userId, anonymousId: `${userId}-device`, event: 'Product Viewed', properties: { product_id: 'p' }, messageId: `m-${userId}` };
          // Sent twice: the second is a duplicate for a tracked subject, and dropped for a suppressed one.
          for (let i = 0; i < 2; i++) {
            const response = await browser(app, 'track', event);
            answers.push({ userId, status: response.status, body: await response.json() });
          }
        }
        expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(
          Array(4).fill({ status: 200, body: { success: true, applied: 1, ignored: 0, duplicates: 0, dropped: 0 } }),
        );
        // An event opentime keeps nothing from is reported as ignored, for a suppressed subject as for any other.
        for (const userId of ['suppressed-one', 'ordinary-one']) {
          const response = await browser(app, 'track', { userId, anonymousId: `${userId}-device`, event: 'Product Viewed', properties: {}, messageId: `empty-${userId}` });
          expect(await response.json()).toEqual({
            success: true,
            applied: 0,
            ignored: 1,
            ignoredEvents: [{ messageId: `empty-${userId}`, reason: expect.any(String) }],
            duplicates: 0,
            dropped: 0,
          });
        }
        // The write key's answer still tells the backend what happened.
        expect(await (await app.send('track', { userId: 'suppressed-one', event: 'X' })).json()).toMatchObject({ dropped: 1 });
      });
    });

    describe('link bounds', () => {
      it(`refuses a write-key batch with more than ${MAX_LINKS_PER_REQUEST.server} links with 413, naming the item, before storing anything`, async () => {
        // Each alias links two keys (the previous id as a user and as an anonymous id).
        const batch = Array.from({ length: 5500 }, (_, i) => ({ type: 'alias', previousId: `old-${i}`, userId: 'collector' }));
        const started = performance.now();
        const response = await app.send('batch', { batch });
        const elapsedMs = performance.now() - started;
        expect(response.status).toBe(413);
        const error = await errorOf(response);
        expect(error.code).toBe('TOO_MANY_LINKS');
        expect(error.details?.[0]?.path).toBe(`batch[${MAX_LINKS_PER_REQUEST.server / 2}]`);
        expect(await (await app.store()).getLinks(['u:old-0'])).toEqual(new Map());
        expect(elapsedMs).toBeLessThan(1000);
      });

      it(`refuses a browser batch with more than ${MAX_LINKS_PER_REQUEST.browser} links`, async () => {
        const batch = Array.from({ length: MAX_LINKS_PER_REQUEST.browser + 1 }, (_, i) => ({ type: 'identify', anonymousId: `d-${i}`, userId: `u-${i}` }));
        const response = await browser(app, 'batch', { batch });
        expect(response.status).toBe(413);
        expect((await errorOf(response)).details?.[0]?.path).toBe(`batch[${MAX_LINKS_PER_REQUEST.browser}]`);
      });

      it.runIf(runtime.capabilities.bulkLinking)(`keeps at most ${MAX_LINKS_PER_SUBJECT} ids linked into one subject, and says so with 400`, async () => {
        const identify = (i: number) => ({ type: 'identify', anonymousId: `device-${i}`, userId: 'popular' });
        const full = await app.send('batch', { batch: Array.from({ length: MAX_LINKS_PER_SUBJECT }, (_, i) => identify(i)) });
        expect(full.status).toBe(200);
        // Repeating a link does not count twice.
        expect((await app.send('identify', identify(0))).status).toBe(200);
        const over = await app.send('batch', { batch: [{ type: 'track', anonymousId: 'x', event: 'X' }, identify(MAX_LINKS_PER_SUBJECT)] });
        expect(over.status).toBe(400);
        const error = await errorOf(over);
        expect(error.code).toBe('TOO_MANY_LINKS_PER_SUBJECT');
        expect(error.details?.[0]?.path).toBe('batch[1].userId');
        expect(await (await app.store()).getProfile('a:x')).toBeUndefined();
      });
    });
  });
}
