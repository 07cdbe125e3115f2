import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, createTestApp, type TestApp } from '../helpers/app.ts';
import { decode } from '../helpers/pixels.ts';

/**
 * Rate limits: per API key for the events API (429 with Retry-After and
 * X-RateLimit-*), per subscriber for opens (the generic image, never an
 * error). Never per IP: every request here comes from the same nowhere.
 */
const OTHER_WRITE_KEY = 'test-write-key-other-0123456789';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const DARK = [31, 41, 55] as const;
const LIGHT = [250, 240, 200] as const;
const hex = (rgb: readonly number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp({ config: { writeKeys: [WRITE_KEY, OTHER_WRITE_KEY], rateLimits: { opensPerMinute: 3, eventsPerSecond: 3 } } });
  const hero = {
    kind: 'hero',
    size: { width: 300, height: 100 },
    fallback: { url: 'https://shop.example.com/' },
    variants: [{ id: 'cart', when: { '>': [{ var: 'profile.cart_count' }, 0] }, headline: 'Your cart', url: 'https://shop.example.com/cart', background: { color: hex(DARK) } }],
    default: { id: 'default', headline: 'New season', url: 'https://shop.example.com/', background: { color: hex(LIGHT) } },
  };
  expect((await app.admin('PUT', '/v1/blocks/hero', hero)).status).toBe(200);
});
afterEach(async () => {
  await app.close();
});

const track = (key = WRITE_KEY, userId = 'alice') =>
  app.request('/v1/track', {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${key}:`)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, event: 'Product Added', properties: { product_id: 'p-1', quantity: 1 } }),
  });
const limitHeaders = (response: Response) => ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((h) => response.headers.get(h));
async function openHero(u: string) {
  const response = await app.request(`/i/hero.png?u=${u}&m=spring`, { headers: { 'user-agent': BROWSER } });
  const pixels = await decode(new Uint8Array(await response.arrayBuffer()));
  return { response, pixels, dark: pixels.share(DARK) > 0.5 };
}

describe('events API rate limit per key', () => {
  it('answers 429 with Retry-After once a key has spent its allowance, with X-RateLimit-* on every answer', async () => {
    const answers = [await track(), await track(), await track()];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answers.map((r) => limitHeaders(r)[1])).toEqual(['2', '1', '0']);
    expect(limitHeaders(answers[0] as Response)).toEqual(['3', '2', '1']);

    const refused = await track();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(limitHeaders(refused)).toEqual(['3', '0', '1']);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');

    app.clock.advance(1000);
    expect((await track()).status).toBe(200);
  });

  it("keeps each key apart, and a wrong key spends nobody's allowance", async () => {
    for (let i = 0; i < 3; i++) expect((await track()).status).toBe(200);
    expect((await track()).status).toBe(429);
    expect((await track(OTHER_WRITE_KEY)).status).toBe(200);
    const stranger = await track('not-a-key-at-all-0123456789');
    expect(stranger.status).toBe(401);
    expect(stranger.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('limits by key, not by subscriber or address: many subscribers behind one key share it', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await track(WRITE_KEY, `shopper-${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('answers the pixel past the limit with a 429 GIF and Retry-After', async () => {
    const pixel = () => app.request(`/v1/p.gif?writeKey=${WRITE_KEY}&event=Product%20Viewed&userId=bob&properties.product_id=p-1`);
    for (let i = 0; i < 3; i++) expect((await pixel()).status).toBe(200);
    const refused = await pixel();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('image/gif');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('x-opentime-error')).toBe('RATE_LIMITED');
    expect((await decode(new Uint8Array(await refused.arrayBuffer()))).width).toBe(1);
  });

  it('leaves the admin API alone', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await app.request('/v1/stats', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(response.status).toBe(200);
    }
  });
});

describe('opens rate limit per subscriber', () => {
  it('answers a subscriber past the limit with the generic image, then personal again once it refills', async () => {
    expect((await track(WRITE_KEY, 'carol')).status).toBe(200);
    await app.request('/i/hero.png'); // the generic image, as any earlier anonymous open leaves it in the render cache
    for (let i = 0; i < 3; i++) {
      const open = await openHero('carol');
      expect(open.dark).toBe(true);
      expect(open.response.headers.get('x-opentime-rate-limited')).toBeNull();
    }
    const limited = await openHero('carol');
    expect(limited.response.status).toBe(200);
    expect(limited.response.headers.get('content-type')).toBe('image/png');
    expect(limited.response.headers.get('x-opentime-rate-limited')).toBe('subscriber');
    expect(limited.dark).toBe(false);
    expect(limited.pixels.share(LIGHT)).toBeGreaterThan(0.5);
    expect([limited.pixels.width, limited.pixels.height]).toEqual([600, 200]);
    // Past the limit costs no render: the generic image comes from the render cache.
    expect(limited.response.headers.get('x-opentime-cache')).toBe('hit');

    // Someone else is not held back by carol.
    expect((await openHero('dave')).response.headers.get('x-opentime-rate-limited')).toBeNull();

    app.clock.advance(20_000);
    expect((await openHero('carol')).dark).toBe(true);
  });

  it('the open pixel shares the allowance, and past it records nothing', async () => {
    for (let i = 0; i < 3; i++) await openHero('erin');
    const pixel = await app.request('/o/spring.gif?u=erin', { headers: { 'user-agent': BROWSER } });
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    await app.settle();
    const counters = (await (await app.admin('GET', '/v1/stats')).json()).counters as Record<string, number>;
    expect(counters['pixel.opens'] ?? 0).toBe(0);
    expect(counters['opens.rate_limited']).toBe(1);
  });

  it('does not limit opens without a subscriber', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await app.request('/i/hero.png', { headers: { 'user-agent': BROWSER } });
      expect(response.headers.get('x-opentime-rate-limited')).toBeNull();
    }
  });
});
