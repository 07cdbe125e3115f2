import { Analytics } from '@segment/analytics-node';
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';
import { profileOf as profileIn } from '../specs/harness.ts';

/**
 * Partial batches, as Segment answers them: a bad item is listed, the good
 * ones are stored, and the answer is 200, because Segment's libraries drop
 * a batch answered 400 without retrying it.
 */
let app: TestApp;
beforeEach(async () => {
  app = await createTestApp();
});
afterEach(async () => {
  await app.close();
});

const profileOf = (id: string) => profileIn(app, id);
const viewedIds = async (id: string) => ((await profileOf(id))?.viewed ?? []).map((v: { id: string }) => v.id);

describe('POST /v1/batch with bad items', () => {
  it('stores the valid events, answers 200 and lists each bad item by index, path and reason', async () => {
    const response = await app.send('batch', {
      batch: [
        { type: 'track', userId: 'u1', event: 'Product Viewed', properties: { product_id: 'a' } },
        { type: 'track', userId: 'u1', event: 'Product Viewed', timestamp: 'yesterday-ish', messageId: 'bad-time' },
        { type: 'bogus', userId: 'u1' },
        { type: 'track', userId: 'u1', event: 'Product Viewed', properties: { product_id: 'b' } },
        'not an event',
      ],
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ success: true, applied: 2, duplicates: 0 });
    expect(body.rejected).toEqual([
      { index: 1, path: 'batch[1].timestamp', reason: 'expected an ISO-8601 date-time', messageId: 'bad-time' },
      { index: 2, path: 'batch[2].type', reason: 'expected one of track, identify, page, screen, group, alias' },
      { index: 4, path: 'batch[4]', reason: 'expected an event object, received string' },
    ]);
    expect(await viewedIds('u1')).toEqual(['b', 'a']);
  });

  it('sets aside an item over 32 KB and keeps the rest', async () => {
    const response = await app.send('batch', {
      batch: [
        { type: 'track', userId: 'big', event: 'Product Added', properties: { product_id: 'kept' } },
        { type: 'track', userId: 'big', event: 'Big', properties: { big: 'x'.repeat(40 * 1024) } },
      ],
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.rejected).toEqual([{ index: 1, path: 'batch[1]', reason: 'is 41 KB; the limit is 32 KB per event' }]);
    expect((await profileOf('big')).cart[0]?.id).toBe('kept');
  });

  it('answers 200 with every item rejected when none is valid, and stores nothing', async () => {
    const response = await app.send('batch', { batch: [{ type: 'track', event: 'No id' }] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ applied: 0, rejected: [{ index: 0, path: 'batch[0].userId', reason: 'userId or anonymousId is required' }] });
  });

  it('answers a clean batch with an empty rejected list', async () => {
    const response = await app.send('batch', { batch: [{ type: 'track', userId: 'u2', event: 'Product Viewed', properties: { product_id: 'a' } }] });
    expect(await response.json()).toEqual({ success: true, applied: 1, ignored: 0, duplicates: 0, dropped: 0, rejected: [] });
  });

  it('keeps 400 for a body that is not JSON or not a batch', async () => {
    const notJson = await app.send('batch', '{"batch": [');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe('INVALID_JSON');
    const notBatch = await app.send('batch', { events: [] });
    expect(notBatch.status).toBe(400);
    expect((await notBatch.json()).error.details).toEqual([{ path: 'batch', message: 'is required (expected array)' }]);
    const empty = await app.send('batch', { batch: [] });
    expect(empty.status).toBe(400);
  });

  it('counts rejected items in the stats', async () => {
    await app.send('batch', {
      batch: [
        { type: 'track', userId: 'u3', event: 'A' },
        { type: 'track', userId: 'u3' },
      ],
    });
    const stats = await (await app.admin('GET', '/v1/stats')).json();
    expect(JSON.stringify(stats)).toMatch(/"events\.rejected":1/);
  });
});

describe('POST /v1/import', () => {
  it('takes a batch as analytics-ruby sends it, the same as /v1/batch', async () => {
    const response = await app.send('import', {
      batch: [
        {
          type: 'identify',
          userId: 'ruby-1',
          anonymousId: 'ruby-anon',
          traits: { plan: 'gold' },
          messageId: 'r1',
          timestamp: new Date(app.clock.now()).toISOString(),
          context: { library: { name: 'analytics-ruby', version: '2.4.0' } },
        },
        {
          type: 'track',
          userId: 'ruby-1',
          event: 'Product Added',
          properties: { product_id: 'rb' },
          messageId: 'r2',
          context: { library: { name: 'analytics-ruby', version: '2.4.0' } },
        },
        { type: 'track', event: 'Orphan', messageId: 'r3' },
      ],
      sentAt: new Date(app.clock.now()).toISOString(),
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ success: true, applied: 2, rejected: [{ index: 2, path: 'batch[2].userId', messageId: 'r3' }] });
    const profile = await profileOf('ruby-1');
    expect(profile.cart[0]?.id).toBe('rb');
    expect(profile.traits).toEqual({ plan: 'gold' });
  });

  it("takes analytics-java's path, /v1/import/ with a slash", async () => {
    const response = await app.send('import/', {
      batch: [{ type: 'track', userId: 'java-1', event: 'Product Viewed', properties: { product_id: 'j' } }],
      context: { library: { name: 'analytics-java' } },
    });
    expect(response.status).toBe(200);
    expect((await profileOf('java-1')).viewed[0]?.id).toBe('j');
  });

  it('needs the write key like every other endpoint', async () => {
    const response = await app.request('/v1/import', { method: 'POST', body: JSON.stringify({ batch: [{ type: 'track', userId: 'x', event: 'A' }] }) });
    expect(response.status).toBe(401);
  });
});

describe('POST /v1/webhooks/segment with a batch', () => {
  it('stores the valid events of a delivery and lists the bad one', async () => {
    const secret = 'segment-shared-secret-0123';
    const hooked = await createTestApp({ config: { webhookSecrets: [secret] } });
    try {
      const body = JSON.stringify([
        { type: 'track', userId: 'wh-1', event: 'Product Added', properties: { product_id: 'w' }, messageId: 'w1', timestamp: new Date(hooked.clock.now()).toISOString() },
        { type: 'track', event: 'No id', messageId: 'w2' },
      ]);
      const response = await hooked.request('/v1/webhooks/segment', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha1', secret).update(body).digest('hex') },
        body,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ applied: 1, rejected: [{ index: 1, path: 'batch[1].userId', messageId: 'w2' }] });
      const profile = await (await hooked.admin('GET', '/v1/profiles/wh-1')).json();
      expect(profile.profile.cart[0]?.id).toBe('w');
    } finally {
      await hooked.close();
    }
  });
});

describe('the real @segment/analytics-node client', () => {
  it('loses no valid event of a batch that carries one invalid event', async () => {
    const failures: unknown[] = [];
    const analytics = new Analytics({
      writeKey: WRITE_KEY,
      host: 'http://opentime.test',
      flushAt: 3,
      maxRetries: 0,
      httpClient: (url, init) => app.request(new URL(url).pathname, init),
    });
    analytics.on('error', (error) => failures.push(error));
    analytics.track({ userId: 'node-1', event: 'Product Viewed', properties: { product_id: 'first' } });
    // The client sends any event name; opentime takes 200 characters at most: the one bad event.
    analytics.track({ userId: 'node-1', event: 'x'.repeat(300) });
    analytics.track({ userId: 'node-1', event: 'Product Added', properties: { product_id: 'second' } });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    const profile = await profileOf('node-1');
    expect(profile.viewed.map((v: { id: string }) => v.id)).toEqual(['first']);
    expect(profile.cart[0]?.id).toBe('second');
  });
});

describe("analytics.js's paths", () => {
  const SHOP = 'https://shop.example.com';
  const BROWSER_KEY = 'test-browser-key-0123456789';

  it('takes /v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a and the batch at /v1/b, as text/plain from an allowed origin', async () => {
    const browser = await createTestApp({ config: { browserKeys: [BROWSER_KEY], corsOrigins: [SHOP] } });
    try {
      // analytics.js sends text/plain (no preflight), the write key in the body.
      const post = (path: string, body: unknown) =>
        browser.request(path, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', origin: SHOP },
          body: JSON.stringify({ writeKey: BROWSER_KEY, anonymousId: 'ajs-1', ...(body as object) }),
        });
      for (const [path, body] of [
        ['/v1/t', { type: 'track', event: 'Product Viewed', properties: { product_id: 'ajs-viewed' } }],
        ['/v1/p', { type: 'page', name: 'Home' }],
        ['/v1/s', { type: 'screen', name: 'Home' }],
        ['/v1/i', { type: 'identify', traits: { plan: 'gold' } }],
        ['/v1/g', { type: 'group', groupId: 'g-1' }],
      ] as const) {
        const response = await post(path, body);
        expect(response.status, path).toBe(200);
        expect(response.headers.get('access-control-allow-origin'), path).toBe(SHOP);
      }
      const batch = await post('/v1/b', { batch: [{ type: 'track', anonymousId: 'ajs-1', event: 'Product Added', properties: { product_id: 'ajs-added' } }] });
      expect(await batch.json()).toMatchObject({ applied: 1, rejected: [] });
      const profile = await browser.deps.store.getProfile('a:ajs-1');
      expect(profile?.viewed[0]?.id).toBe('ajs-viewed');
      expect(profile?.cart[0]?.id).toBe('ajs-added');
      expect(profile?.traits).toEqual({ plan: 'gold' });
      const alias = await browser.request('/v1/a', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ writeKey: WRITE_KEY, type: 'alias', previousId: 'ajs-old', userId: 'ajs-new' }),
      });
      expect(alias.status).toBe(200);
    } finally {
      await browser.close();
    }
  });
});
