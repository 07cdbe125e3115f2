import { createHmac } from 'node:crypto';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SDK_SCRIPT } from '../../src/sdk/script.ts';
import { WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';
import { profileOf as profileIn } from '../specs/harness.ts';

const BROWSER_KEY = 'test-browser-key-0123456789';
const SHOP = 'https://shop.example.com';
const SECRET = 'segment-shared-secret-0123';
const OLD_SECRET = 'segment-previous-secret-0123';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ config: { browserKeys: [BROWSER_KEY], corsOrigins: [SHOP], webhookSecrets: [SECRET, OLD_SECRET] } });
});
afterEach(async () => {
  await app.close();
});

const profileOf = (id: string) => profileIn(app, id);
const errorOf = async (response: Response) => (await response.json()).error as { code: string; message: string };
/** A real 1×1 GIF with a transparent pixel, as an <img> needs. */
const isGif = async (response: Response) => {
  if (response.headers.get('content-type') !== 'image/gif') return false;
  const meta = await sharp(new Uint8Array(await response.arrayBuffer())).metadata();
  return meta.format === 'gif' && meta.width === 1 && meta.height === 1 && meta.hasAlpha === true;
};
const beacon = (body: unknown, origin?: string) =>
  app.request('/v1/batch', {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...(origin ? { origin } : {}) },
    body: JSON.stringify(body),
  });
const viewedBatch = (key: string, id = 'anon-1') => ({
  writeKey: key,
  sentAt: '2026-06-01T12:00:00.000Z',
  batch: [{ type: 'track', anonymousId: id, event: 'Product Viewed', properties: { product_id: 'p-red' }, timestamp: '2026-06-01T11:59:59.000Z' }],
});

describe('GET /sdk.js', () => {
  it('serves the snippet: JavaScript, small, cacheable with an ETag, loadable from any page', async () => {
    const response = await app.request('/sdk.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('set-cookie')).toBeNull();
    const source = await response.text();
    expect(source).toBe(SDK_SCRIPT);
    // A few KB: no dependencies, no build step.
    expect(source.length).toBeLessThan(16 * 1024);
    // It parses (it runs only in a page: it needs window and document).
    expect(() => new Function(source)).not.toThrow();

    const again = await app.request('/sdk.js', { headers: { 'if-none-match': response.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });
});

describe('CORS for the events API', () => {
  it('answers a preflight from an allowed origin, without credentials', async () => {
    const response = await app.request('/v1/batch', {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('refuses a preflight from another origin, and never answers one for the admin API', async () => {
    const denied = await app.request('/v1/batch', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const admin = await app.request('/v1/catalog/products', { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'PUT' } });
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed origin read answers, errors included, and not another origin', async () => {
    const ok = await beacon(viewedBatch(BROWSER_KEY), SHOP);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);

    const bad = await beacon({ writeKey: BROWSER_KEY, batch: [] }, SHOP);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(SHOP);

    const other = await beacon(viewedBatch(WRITE_KEY), 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with *', async () => {
    const open = await createTestApp({ config: { browserKeys: [BROWSER_KEY], corsOrigins: ['*'] } });
    try {
      const response = await open.request('/v1/batch', { method: 'OPTIONS', headers: { origin: 'https://anything.example', 'access-control-request-method': 'POST' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await open.close();
    }
  });
});

describe('the browser key', () => {
  it('is accepted in a text/plain beacon body from an allowed origin', async () => {
    expect((await beacon(viewedBatch(BROWSER_KEY), SHOP)).status).toBe(200);
    expect(await app.deps.store.getProfile('a:anon-1')).toBeDefined();
  });

  it('is refused from a page on another origin, and nothing is stored', async () => {
    const response = await beacon(viewedBatch(BROWSER_KEY, 'anon-evil'), 'https://evil.example');
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe('ORIGIN_NOT_ALLOWED');
    expect(await app.deps.store.getProfile('a:anon-evil')).toBeUndefined();
  });

  it('does not make the write key origin-bound (servers and same-origin pages keep working)', async () => {
    expect((await beacon(viewedBatch(WRITE_KEY), 'https://evil.example')).status).toBe(200);
  });
});

describe('GET /v1/p.gif', () => {
  it('records a track event from flat parameters and answers a 1×1 GIF that is never cached', async () => {
    const query = new URLSearchParams({ writeKey: BROWSER_KEY, event: 'Product Added', userId: 'pix-1', 'properties.product_id': 'p-red', 'properties.quantity': '2', _: '12345' });
    const response = await app.request(`/v1/p.gif?${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
    expect(await isGif(response)).toBe(true);
    expect((await profileOf('pix-1')).cart).toEqual([expect.objectContaining({ id: 'p-red', quantity: 2 })]);
  });

  it("takes properties as JSON, and Segment's data= (base64 JSON)", async () => {
    const json = new URLSearchParams({
      writeKey: WRITE_KEY,
      event: 'Product Viewed',
      anonymousId: 'pix-anon',
      properties: JSON.stringify({ product_id: 'p-blue', category: 'bags' }),
    });
    expect((await app.request(`/v1/p.gif?${json}`)).status).toBe(200);
    expect((await app.deps.store.getProfile('a:pix-anon'))?.lastCategory?.name).toBe('bags');

    const data = Buffer.from(JSON.stringify({ writeKey: WRITE_KEY, userId: 'pix-2', event: 'Product Viewed', properties: { product_id: 'p-teal' } })).toString('base64url');
    expect((await app.request(`/v1/p.gif?data=${data}`)).status).toBe(200);
    expect((await profileOf('pix-2')).viewed[0]?.id).toBe('p-teal');
  });

  it('validates like the API: the status says what is wrong, the body is still a GIF, nothing is stored', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ writeKey: WRITE_KEY, userId: 'pix-3' }, 400, 'VALIDATION_FAILED'],
      [{ writeKey: WRITE_KEY, event: 'Product Viewed' }, 400, 'VALIDATION_FAILED'],
      [{ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-3', properties: '[1,2]' }, 400, 'VALIDATION_FAILED'],
      [{ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-3', 'properties.__proto__.polluted': 'yes' }, 400, 'VALIDATION_FAILED'],
      [{ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-3', timestamp: 'yesterday-ish' }, 400, 'VALIDATION_FAILED'],
      [{ data: 'not%base64%or%json' }, 400, 'VALIDATION_FAILED'],
      [{ event: 'Product Viewed', userId: 'pix-3' }, 401, 'UNAUTHORIZED'],
      [{ writeKey: 'not-a-key-at-all-000', event: 'Product Viewed', userId: 'pix-3' }, 401, 'UNAUTHORIZED'],
      [{ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-3', 'properties.blob': 'x'.repeat(33 * 1024) }, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [params, status, code] of cases) {
      const response = await app.request(`/v1/p.gif?${new URLSearchParams(params)}`);
      expect(response.status, JSON.stringify(params).slice(0, 80)).toBe(status);
      expect(response.headers.get('x-opentime-error')).toBe(code);
      expect(response.headers.get('x-opentime-error-message')).toMatch(/\S/);
      expect(await isGif(response)).toBe(true);
    }
    expect(await profileOf('pix-3')).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('says which field is wrong in the message header', async () => {
    const response = await app.request(`/v1/p.gif?${new URLSearchParams({ writeKey: WRITE_KEY, userId: 'pix-4' })}`);
    expect(response.headers.get('x-opentime-error-message')).toContain('event');
  });

  it('answers 503 with Retry-After (and a GIF) when the store cannot write', async () => {
    await app.deps.store.close();
    const response = await app.request(`/v1/p.gif?${new URLSearchParams({ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-5' })}`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await isGif(response)).toBe(true);
  });

  it('records nothing for HEAD (a prefetch)', async () => {
    const response = await app.request(`/v1/p.gif?${new URLSearchParams({ writeKey: WRITE_KEY, event: 'Product Viewed', userId: 'pix-6' })}`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await profileOf('pix-6')).toBeUndefined();
  });
});

describe('GET /o/:message.gif', () => {
  const person = { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' };

  it('records Email Opened for the subscriber and answers a GIF with no-cache headers', async () => {
    const response = await app.request('/o/spring-sale.gif?u=reader-1', { headers: person });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('expires')).toBe('0');
    expect(await isGif(response)).toBe(true);
    await app.settle();
    const profile = await profileOf('reader-1');
    expect(profile.lastEventAt['Email Opened']).toBe(app.clock.now());
  });

  it('counts a re-open of the same email on the same day once', async () => {
    await app.request('/o/spring-sale.gif?u=reader-2', { headers: person });
    await app.settle();
    const first = (await profileOf('reader-2')).lastEventAt['Email Opened'] as number;
    app.clock.advance(60_000);
    await app.request('/o/spring-sale.gif?u=reader-2', { headers: person });
    await app.request('/o/summer-sale.gif?u=reader-2', { headers: person });
    await app.settle();
    // The summer email is another open; the spring one again is not.
    expect((await profileOf('reader-2')).lastEventAt['Email Opened']).toBe(first + 60_000);
  });

  it('does not count machines (HEAD, link scanners) as opens', async () => {
    await app.request('/o/m1.gif?u=reader-3', { method: 'HEAD', headers: person });
    await app.request('/o/m1.gif?u=reader-3', { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel scanner)' } });
    await app.settle();
    expect(await profileOf('reader-3')).toBeUndefined();
  });

  it('never answers an error: no subscriber, a bad name, a closed store', async () => {
    for (const path of ['/o/m1.gif', '/o/m1.png?u=reader-4', `/o/${'x'.repeat(200)}.gif?u=reader-4`, `/o/m1.gif?u=${'y'.repeat(300)}`]) {
      const response = await app.request(path, { headers: person });
      expect(response.status, path).toBe(200);
      expect(await isGif(response)).toBe(true);
    }
    await app.deps.store.close();
    const closed = await app.request('/o/m1.gif?u=reader-4', { headers: person });
    expect(closed.status).toBe(200);
    expect(await isGif(closed)).toBe(true);
    await app.settle();
  });

  it('feeds hero rules: a recent opener gets the variant for openers', async () => {
    const put = await app.admin('PUT', '/v1/blocks/winback', {
      kind: 'hero',
      size: { width: 600, height: 300 },
      fallback: { url: 'https://shop.example.com/' },
      variants: [
        // Never opened is null, and JSONLogic reads null < 30 as true: the rule says "has opened" first.
        {
          id: 'opener',
          when: { and: [{ '!=': [{ var: 'profile.days_since_last_open' }, null] }, { '<': [{ var: 'profile.days_since_last_open' }, 30] }] },
          headline: 'Thanks for reading',
          url: 'https://shop.example.com/new',
          background: { color: '#1ea03c' },
        },
      ],
      default: { id: 'lapsed', headline: 'We miss you', url: 'https://shop.example.com/comeback', background: { color: '#1e46dc' } },
    });
    expect(put.status).toBe(200);
    await app.request('/o/m9.gif?u=reader-5', { headers: person });
    await app.settle();
    // Opened through a scanner, so that looking at the image records no open of its own.
    const scanner = { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel scanner)' } };
    const opener = await app.open('winback', { u: 'reader-5' }, scanner);
    const lapsed = await app.open('winback', { u: 'reader-6' }, scanner);
    expect(opener.pixels.share([0x1e, 0xa0, 0x3c])).toBeGreaterThan(0.5);
    expect(lapsed.pixels.share([0x1e, 0x46, 0xdc])).toBeGreaterThan(0.5);
  });
});

describe('POST /v1/webhooks/segment', () => {
  const sign = (body: string, secret = SECRET) => createHmac('sha1', secret).update(body).digest('hex');
  const deliver = (body: string, signature?: string) =>
    app.request('/v1/webhooks/segment', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'x-signature': signature }) },
      body,
    });
  const added = (userId: string, product: string, extra: object = {}) => ({
    type: 'track',
    userId,
    event: 'Product Added',
    properties: { product_id: product },
    messageId: `m-${userId}-${product}`,
    ...extra,
  });

  it('ingests a single event signed with the shared secret', async () => {
    const body = JSON.stringify(added('wh-1', 'p-red'));
    const response = await deliver(body, sign(body));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, applied: 1 });
    expect((await profileOf('wh-1')).cart[0]?.id).toBe('p-red');
  });

  it('ingests a batch, as an array (Webhooks Actions) or as {"batch": […]}, and a secret being rotated out', async () => {
    const array = JSON.stringify([added('wh-2', 'p-red'), added('wh-2', 'p-blue')]);
    expect((await deliver(array, sign(array))).status).toBe(200);
    const envelope = JSON.stringify({ batch: [added('wh-3', 'p-green')] });
    expect((await deliver(envelope, sign(envelope, OLD_SECRET).toUpperCase())).status).toBe(200);
    expect((await profileOf('wh-2')).cart.map((l: { id: string }) => l.id).sort()).toEqual(['p-blue', 'p-red']);
    expect((await profileOf('wh-3')).cart[0]?.id).toBe('p-green');
  });

  it('refuses a wrong signature, a body signed with another secret, a replay with a changed body, and no signature: 401, nothing stored', async () => {
    const body = JSON.stringify(added('wh-4', 'p-red'));
    const tampered = JSON.stringify(added('wh-4', 'p-purple'));
    for (const [payload, signature] of [
      [body, 'f'.repeat(40)],
      [body, sign(body, 'someone-elses-secret-0123')],
      [tampered, sign(body)],
      [body, undefined],
      [body, ''],
      [body, `sha256=${sign(body)}`],
    ] as Array<[string, string | undefined]>) {
      const response = await deliver(payload, signature);
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe('WEBHOOK_BAD_SIGNATURE');
    }
    expect(await profileOf('wh-4')).toBeUndefined();
  });

  it('is off (401) until a secret is configured', async () => {
    const off = await createTestApp();
    try {
      const body = JSON.stringify(added('wh-5', 'p-red'));
      const response = await off.request('/v1/webhooks/segment', { method: 'POST', headers: { 'x-signature': sign(body) }, body });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).message).toContain('OPENTIME_WEBHOOK_SECRET');
    } finally {
      await off.close();
    }
  });

  it('validates signed events like the API', async () => {
    const body = JSON.stringify({ type: 'track', event: 'No one' });
    const response = await deliver(body, sign(body));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('VALIDATION_FAILED');
  });

  it('keeps the time Segment gave an event it delivers late', async () => {
    const happened = new Date(app.clock.now() - 10 * 60_000).toISOString();
    const body = JSON.stringify(added('wh-6', 'p-red', { timestamp: happened, sentAt: happened, originalTimestamp: happened }));
    expect((await deliver(body, sign(body))).status).toBe(200);
    expect((await profileOf('wh-6')).cart[0]?.at).toBe(Date.parse(happened));
  });
});
