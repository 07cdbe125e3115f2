import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import type { Store } from '../../src/core/ports.ts';
import { ADMIN_KEY, WRITE_KEY, createTestApp, testBlock, type TestApp } from '../helpers/app.ts';
import { anyValue, bodies, gzipBomb, headers, nastyString, nested, pathSegment, queryString, segmentEvent, sendableHeaders, type Body } from './arbitraries.ts';

/**
 * The APIs under hostile input: whatever the body, the headers or the URL,
 * the answer is a 2xx or a 4xx with an error code, never a 5xx (a 503 only
 * when the store is down, so that senders retry).
 */
const BROWSER_KEY = 'fuzz-browser-key-0123456789';
const SHOP = 'https://shop.example.com';
const WEBHOOK_SECRET = 'fuzz-webhook-secret-0123456789';
const EVENT_PATHS = ['/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias', '/v1/batch'];
/** 64 MB of zeros in about 64 KB of gzip: far past every body limit once inflated. */
const BOMB = gzipBomb(64);

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({
    config: { browserKeys: [BROWSER_KEY], corsOrigins: [SHOP], webhookSecrets: [WEBHOOK_SECRET], rateLimits: { opensPerMinute: 60, eventsPerSecond: 100_000 } },
  });
  expect((await app.admin('PUT', '/v1/blocks/grid', testBlock({ source: [{ from: 'cart' }, { from: 'recently_viewed' }] }))).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

function init(method: string, body: Body | undefined, extra: Record<string, string>): RequestInit {
  const requestHeaders: Record<string, string> = { ...extra };
  if (body?.encoding !== undefined) requestHeaders['content-encoding'] = body.encoding;
  const result: RequestInit = { method, headers: requestHeaders };
  if (body !== undefined && method !== 'GET' && method !== 'HEAD') result.body = body.bytes as BodyInit;
  return result;
}

/** A 4xx from the API names what was wrong: `{"error": {"code", "message"}}`. */
async function expectApiAnswer(response: Response): Promise<void> {
  expect(
    response.status,
    await response
      .clone()
      .text()
      .then((t) => t.slice(0, 300)),
  ).toBeLessThan(500);
  if (response.status >= 400 && response.headers.get('content-type')?.startsWith('application/json')) {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
  } else {
    await response.arrayBuffer();
  }
}

const auth = fc.oneof(
  fc.constant<Record<string, string>>({ authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` }),
  fc.constant<Record<string, string>>({ authorization: `Basic ${btoa(`${WRITE_KEY}:password`)}` }),
  fc.constant<Record<string, string>>({ authorization: `Basic ${btoa(`${BROWSER_KEY}:`)}`, origin: SHOP }),
  fc.constant<Record<string, string>>({ authorization: `Basic ${btoa(`${BROWSER_KEY}:`)}`, origin: 'https://evil.example' }),
  fc.constant<Record<string, string>>({ authorization: `Bearer ${ADMIN_KEY}` }),
  fc.constant<Record<string, string>>({}),
  headers,
);

/** A body carrying the key inside, as the snippet sends it, with anything else around it. */
const keyedBody = fc.tuple(segmentEvent, fc.constantFrom(WRITE_KEY, BROWSER_KEY, 'nope')).map(([event, key]): Body => ({ bytes: JSON.stringify({ ...event, writeKey: key }) }));

describe('events API under hostile input', () => {
  it('answers every body, header and encoding with a 2xx or a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EVENT_PATHS), fc.oneof(bodies(BOMB), keyedBody), auth, headers, async (path, body, authHeaders, other) => {
        const response = await app.request(path, init('POST', body, sendableHeaders({ 'content-type': 'application/json', ...other, ...authHeaders })));
        await expectApiAnswer(response);
      }),
      { numRuns: 1500 },
    );
  }, 180_000);

  it('refuses a gzip bomb as too large without inflating it whole, and deep nesting as a 400', async () => {
    const basic = { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` };
    const bomb = await app.request('/v1/batch', init('POST', { bytes: BOMB, encoding: 'gzip' }, basic));
    expect(bomb.status).toBe(413);
    // 5,000 levels fit in an event's 32 KB, and used to overflow the stack when the event was measured (a 500).
    for (const depth of [65, 5000]) {
      const deep = await app.request('/v1/track', init('POST', { bytes: `{"userId":"a","event":"x","properties":${nested(depth)}}` }, basic));
      expect(deep.status).toBe(400);
      expect((await deep.json()).error.code).toBe('INVALID_JSON');
    }
    const batch = await app.request('/v1/batch', init('POST', { bytes: nested(100_000, 'array') }, basic));
    expect(batch.status).toBe(400);
  });

  it('the webhook answers 2xx or 4xx, signed or not', async () => {
    const signature = fc.oneof(fc.constant('sign'), fc.constant('sign-upper'), headerless(), fc.string({ maxLength: 50 }), fc.stringMatching(/^[0-9a-f]{40}$/));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          bodies(BOMB),
          fc.array(segmentEvent, { maxLength: 10 }).map((events): Body => ({ bytes: JSON.stringify(events) })),
        ),
        signature,
        headers,
        async (body, how, other) => {
          const bytes = typeof body.bytes === 'string' ? new TextEncoder().encode(body.bytes) : body.bytes;
          const extra: Record<string, string> = sendableHeaders({ 'content-type': 'application/json', ...other });
          const mac = createHmac('sha1', WEBHOOK_SECRET).update(bytes).digest('hex');
          if (how === 'sign') extra['x-signature'] = mac;
          else if (how === 'sign-upper') extra['x-signature'] = ` ${mac.toUpperCase()} `;
          else if (how !== '') extra['x-signature'] = how.replace(/[^\x20-\x7e]/g, '');
          const response = await app.request('/v1/webhooks/segment', init('POST', { bytes, ...(body.encoding ? { encoding: body.encoding } : {}) }, extra));
          await expectApiAnswer(response);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);
});

/** No header at all. */
function headerless(): fc.Arbitrary<string> {
  return fc.constant('');
}

const productish = fc.record(
  {
    id: fc.oneof(fc.constantFrom('p-1', 'p-2', 'p-red'), nastyString, anyValue),
    title: fc.oneof(fc.constant('A product'), nastyString, anyValue),
    price: fc.oneof(fc.double(), fc.integer(), anyValue),
    sale_price: anyValue,
    currency: fc.oneof(fc.constantFrom('USD', 'EUR', 'XXX', 'usd'), nastyString),
    url: fc.oneof(fc.constantFrom('https://shop.example.com/p/1', 'javascript:alert(1)', 'http://169.254.169.254/'), nastyString),
    image_url: fc.oneof(fc.constantFrom('https://cdn.example.com/1.jpg', 'file:///etc/passwd', 'data:image/png;base64,AAAA'), nastyString),
    category: anyValue,
    in_stock: anyValue,
  },
  { requiredKeys: [] },
);

/** A real block of each kind with some fields replaced by anything at all. */
const blockish = fc
  .tuple(
    fc.constantFrom<Record<string, unknown>>(
      testBlock() as unknown as Record<string, unknown>,
      {
        kind: 'hero',
        size: { width: 600, height: 300 },
        fallback: { url: 'https://shop.example.com/' },
        variants: [{ id: 'a', when: { '==': [1, 1] }, headline: 'A', url: 'https://shop.example.com/a' }],
        default: { id: 'd', headline: 'D', url: 'https://shop.example.com/' },
      },
      {
        kind: 'countdown',
        size: { width: 600, height: 150 },
        deadline: '2026-12-24T23:59:00Z',
        frames: 10,
        url: 'https://shop.example.com/sale',
        fallback: { url: 'https://shop.example.com/' },
      },
    ),
    fc.dictionary(
      fc.constantFrom(
        'id',
        'kind',
        'template',
        'size',
        'slots',
        'source',
        'params',
        'link',
        'fallback',
        'lock',
        'variants',
        'default',
        'deadline',
        'frames',
        'format',
        'expired',
        'prefetch',
        'require_signature',
        'unknown_field',
      ),
      anyValue,
      { maxKeys: 3 },
    ),
  )
  .map(([base, patch]) => ({ ...base, ...patch }));

const templateText = fc.oneof(
  nastyString,
  fc.constantFrom(
    '<div style="display:flex">{{ products[0].title }}</div>',
    '<div>{% for p in products %}{{ p.title | money }}{% endfor %}</div>',
    '{% include "x" %}',
    '{{ "now" | datetime: "weekday-time", "Nowhere/Zone" }}',
    '<img src="https://evil.example/x.png">',
    '<div style="background:url(https://evil.example)">x</div>',
    '{% for i in (1..100000000) %}x{% endfor %}',
  ),
  fc.integer({ min: 10, max: 3000 }).map((n) => `${'<div style="display:flex">'.repeat(n)}x${'</div>'.repeat(n)}`),
  fc.integer({ min: 10, max: 3000 }).map((n) => `<div>${'{% if true %}'.repeat(n)}x${'{% endif %}'.repeat(n)}</div>`),
  fc.constant('x'.repeat(70 * 1024)),
);

describe('admin API under hostile input', () => {
  it('answers every admin request with a 2xx or a 4xx', async () => {
    const adminRequest = fc.oneof(
      fc.tuple(
        fc.constant('PUT'),
        fc.constant('/v1/catalog/products'),
        fc
          .oneof(fc.array(productish, { maxLength: 5 }), fc.record({ products: fc.array(productish, { maxLength: 5 }) }), anyValue)
          .map((v): Body => ({ bytes: JSON.stringify(v) })),
      ),
      fc.tuple(
        fc.constant('PUT'),
        fc.oneof(
          fc.constantFrom('/v1/blocks/fuzzed', '/v1/blocks/grid'),
          pathSegment.map((s) => `/v1/blocks/${s}`),
        ),
        blockish.map((v): Body => ({ bytes: JSON.stringify(v) })),
      ),
      fc.tuple(
        fc.constant('PUT'),
        fc.oneof(
          fc.constant('/v1/templates/fuzzed'),
          pathSegment.map((s) => `/v1/templates/${s}`),
        ),
        templateText.map((t): Body => ({ bytes: t })),
      ),
      fc.tuple(
        fc.constantFrom('POST'),
        fc.constantFrom('/v1/suppressions', '/v1/tokens', '/v1/sign'),
        fc
          .oneof(
            fc.record({ ids: fc.array(nastyString, { maxLength: 5 }), delete: anyValue }, { requiredKeys: [] }),
            fc.record({ urls: fc.array(fc.oneof(nastyString, fc.constant('/i/grid.png?u=1')), { maxLength: 5 }) }),
            anyValue,
          )
          .map((v): Body => ({ bytes: JSON.stringify(v) })),
      ),
      fc.tuple(
        fc.constantFrom('GET', 'DELETE'),
        fc
          .tuple(fc.constantFrom('/v1/profiles/', '/v1/subjects/', '/v1/suppressions/', '/v1/catalog/products/', '/v1/blocks/', '/v1/templates/'), pathSegment)
          .map(([a, b]) => a + b),
        fc.constant<Body | undefined>(undefined),
      ),
      fc.tuple(fc.constantFrom('GET'), fc.constantFrom('/v1/stats', '/v1/blocks', '/v1/templates', '/healthz', '/sdk.js'), fc.constant<Body | undefined>(undefined)),
      fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.constantFrom(...EVENT_PATHS, '/v1/webhooks/segment', '/v1/catalog/products', '/v1/blocks/grid', '/v1/stats'),
        fc.option(bodies(BOMB), { nil: undefined }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        adminRequest,
        fc.oneof(fc.constant<Record<string, string>>({ authorization: `Bearer ${ADMIN_KEY}` }), auth),
        fc.constantFrom('', '?suppress=1', '?suppress=%00'),
        async ([method, path, body], authHeaders, query) => {
          const response = await app.request(`${path}${query}`, init(method, body, sendableHeaders({ 'content-type': 'application/json', ...authHeaders })));
          await expectApiAnswer(response);
        },
      ),
      { numRuns: 1000 },
    );
  }, 180_000);

  it('answers clicks with a redirect or a not-found page, whatever the URL', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom('grid', 'nope'), pathSegment),
        fc.oneof(fc.constantFrom('0', '1', '99', '-1', '1e3', '00'), pathSegment),
        queryString,
        headers,
        fc.constantFrom('GET', 'HEAD'),
        async (block, slot, query, other, method) => {
          const response = await app.request(`/c/${block}/${slot}?${query}`, { method, redirect: 'manual', headers: sendableHeaders(other) });
          expect([302, 404]).toContain(response.status);
          if (response.status === 302) expect(response.headers.get('location')).toMatch(/^https:\/\/shop\.example\.com\//);
          await response.arrayBuffer();
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('still works afterwards: an event is stored and shown', async () => {
    expect((await app.send('track', { userId: 'after-fuzz', event: 'Product Viewed', properties: { product_id: 'p-1' } })).status).toBe(200);
    const profile = await app.admin('GET', '/v1/profiles/after-fuzz');
    expect(profile.status).toBe(200);
  });
});

/** A store whose every call fails, as a Redis that went away. */
function downStore(): Store {
  const real = memoryStore();
  return new Proxy(real, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close' || property === 'name') return value;
      return () => Promise.reject(new Error('connection refused'));
    },
  });
}

describe('with the store down', () => {
  let down: TestApp;
  beforeAll(async () => {
    down = await createTestApp({ store: downStore(), config: { storeTimeoutMs: 50 } });
  });
  afterAll(async () => {
    await down?.close();
  });

  it('answers events 503 with Retry-After (or 4xx for what is wrong anyway) and images 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EVENT_PATHS), bodies(BOMB), fc.oneof(fc.constantFrom('grid', 'x'), pathSegment), queryString, async (path, body, block, query) => {
        const response = await down.request(path, init('POST', body, { 'content-type': 'application/json', authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` }));
        expect(response.status === 503 || (response.status >= 200 && response.status < 500)).toBe(true);
        if (response.status === 503) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        await response.arrayBuffer();
        const image = await down.request(`/i/${block}.png?${query}`);
        expect(image.status).toBe(200);
        const meta = await sharp(new Uint8Array(await image.arrayBuffer())).metadata();
        expect(meta.format).toBe('png');
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
