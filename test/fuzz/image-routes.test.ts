import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seeded, testBlock, type TestApp } from '../helpers/app.ts';
import { startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { encodeLoosely, headers, nastyString, pathSegment, queryString, sendableHeaders } from './arbitraries.ts';

/**
 * Every image URL is public and sits in millions of emails: whatever
 * anyone puts into one, the answer is a 200 with an image of the block's
 * size (image proxies cache errors for weeks, and a broken image is what a
 * subscriber would see). The open pixel is always a 1×1 GIF; the tracking
 * pixel a 1×1 GIF whose status is the API's.
 */
const NO_CACHE = 'no-store, no-cache, must-revalidate, max-age=0';
/** Output pixels of each block (CSS size × 2); anything else is the blank 1200×600. */
const SIZES: Record<string, [number, number]> = {
  grid: [1200, 600],
  hero: [600, 300],
  countdown: [600, 200],
  banner: [600, 200],
  signed: [800, 400],
};
const BLANK: [number, number] = [1200, 600];

let photos: PhotoServer;
let app: TestApp;

beforeAll(async () => {
  photos = await startPhotoServer();
  app = await seeded(await createTestApp({ config: { rateLimits: { opensPerMinute: 30, eventsPerSecond: 1000 }, browserKeys: ['fuzz-browser-key-0123456789'] } }), photos);
  const blocks = [
    {
      id: 'hero',
      kind: 'hero',
      size: { width: 300, height: 150 },
      fallback: { url: 'https://shop.example.com/' },
      variants: [
        { id: 'cart', when: { '>': [{ var: 'profile.cart_count' }, 0] }, headline: 'Your cart', url: 'https://shop.example.com/cart', background: { color: '#1f2937' } },
        { id: 'vip', when: { '==': [{ var: 'params.tier' }, 'vip'] }, headline: 'VIP', url: 'https://shop.example.com/vip', background: { color: '#225522' } },
      ],
      default: { id: 'default', headline: 'New season', url: 'https://shop.example.com/', background: { color: '#faf0c8' } },
    },
    {
      id: 'countdown',
      kind: 'countdown',
      size: { width: 300, height: 100 },
      deadline: { query: 'ends', fallback: '2026-06-02T12:00:00Z' },
      frames: 3,
      url: 'https://shop.example.com/sale',
      fallback: { url: 'https://shop.example.com/sale' },
    },
    {
      id: 'banner',
      kind: 'banner',
      size: { width: 300, height: 100 },
      url: 'https://shop.example.com/shipping',
      params: { headline: 'Free shipping', subline: 'This weekend' },
      fallback: { url: 'https://shop.example.com/' },
    },
    testBlock({ id: 'signed', size: { width: 400, height: 200 }, require_signature: true } as Parameters<typeof testBlock>[0]),
  ];
  for (const block of blocks) {
    const put = await app.admin('PUT', `/v1/blocks/${block.id}`, block);
    if (put.status !== 200) throw new Error(`block ${block.id}: ${put.status} ${await put.text()}`);
  }
  expect((await app.send('track', { userId: 'alice', event: 'Product Added', properties: { product_id: 'p-red' } })).status).toBe(200);
  expect((await app.send('track', { userId: 'bob', event: 'Product Viewed', properties: { product_id: 'p-blue', category: 'bags' } })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await photos?.close();
});

/** Hono decodes a path parameter once; a malformed escape is left as it came. */
function decodedParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (match) => {
      try {
        return decodeURIComponent(match);
      } catch {
        return match;
      }
    });
  }
}

function expectedImage(segment: string): { format: 'png' | 'gif'; size: [number, number] } {
  const file = decodedParam(segment);
  const id = file.replace(/\.(?:png|gif)$/i, '');
  return { format: /\.gif$/i.test(file) ? 'gif' : 'png', size: Object.hasOwn(SIZES, id) ? (SIZES[id] as [number, number]) : BLANK };
}

/** Real block ids in the shapes a template or a hand-edited URL gets them. */
const knownFile = fc
  .tuple(
    fc.constantFrom('grid', 'hero', 'countdown', 'banner', 'signed'),
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('.png', '.gif') }, { weight: 1, arbitrary: fc.constantFrom('.PNG', '.GiF', '', '.png.png', '.jpg', '.png%00', '%2Epng') }),
    fc.constantFrom('plain', 'plain', 'plain', 'plain', 'escaped', 'upper'),
  )
  .map(([id, ext, how]) => {
    if (how === 'escaped') return `${id.slice(0, 1)}%${id.charCodeAt(1).toString(16)}${id.slice(2)}${ext}`;
    if (how === 'upper') return `${id.toUpperCase()}${ext}`;
    return `${id}${ext}`;
  });
const imageFile = fc.oneof(
  { weight: 6, arbitrary: knownFile },
  { weight: 1, arbitrary: pathSegment },
  { weight: 1, arbitrary: pathSegment.map((s) => `${s}.png`) },
  { weight: 1, arbitrary: pathSegment.map((s) => `${s}.gif`) },
);

/** Decodes the whole image (every frame of a GIF): a truncated or corrupt body fails here. */
async function decodedImage(bytes: Uint8Array): Promise<{ format: string; width: number; height: number }> {
  const image = sharp(bytes, { animated: true });
  const meta = await image.metadata();
  await image.raw().toBuffer();
  return { format: meta.format ?? 'unknown', width: meta.width ?? 0, height: meta.pageHeight ?? meta.height ?? 0 };
}

async function request(path: string, init: RequestInit): Promise<Response> {
  return app.request(path, init);
}

describe('image routes under hostile input', () => {
  it("/i/:block answers 200 with a decodable image of the block's size (or the blank), whatever the URL and headers", async () => {
    await fc.assert(
      fc.asyncProperty(imageFile, queryString, headers, fc.constantFrom('GET', 'GET', 'GET', 'HEAD'), async (file, query, rawHeaders, method) => {
        const response = await request(`/i/${file}?${query}`, { method, headers: sendableHeaders(rawHeaders) });
        const expected = expectedImage(file);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe(`image/${expected.format}`);
        expect(response.headers.get('cache-control')).toBe(NO_CACHE);
        expect(response.headers.get('set-cookie')).toBeNull();
        if (method === 'HEAD') return;
        const image = await decodedImage(new Uint8Array(await response.arrayBuffer()));
        expect(image.format).toBe(expected.format);
        expect([image.width, image.height]).toEqual(expected.size);
      }),
      { numRuns: 800 },
    );
  }, 180_000);

  it('/i/:block/:part answers 200 with a decodable image, whatever the part, URL and headers', async () => {
    const part = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('head', '0', '1', '2', 'foot') },
      { weight: 1, arbitrary: fc.constantFrom('text', '3', '99', '-1', 'HEAD', '%00', '..', '0.png', '', '%2e%2e') },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
    );
    const block = fc.constantFrom('grid', 'grid', 'hero', 'countdown', 'nope', '%00');
    await fc.assert(
      fc.asyncProperty(block, part, fc.constantFrom('.png', '.gif', '.PNG'), queryString, headers, async (b, name, extension, query, rawHeaders) => {
        const response = await request(`/i/${b}/${name}${extension}?${query}`, { headers: sendableHeaders(rawHeaders) });
        if (response.status === 404) {
          // Only an empty part name is no part at all (the app's 404, never from the image route).
          expect(name).toBe('');
          return;
        }
        expect(response.status).toBe(200);
        // A part asked for as a GIF (only countdowns move) is a GIF: the type matches the extension.
        expect(response.headers.get('content-type')).toMatch(extension === '.gif' ? /^image\/gif$/ : /^image\/(png|jpeg)$/);
        expect(response.headers.get('cache-control')).toBe(NO_CACHE);
        const image = await decodedImage(new Uint8Array(await response.arrayBuffer()));
        expect(image.width).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('/o/:message.gif answers 200 with a 1×1 GIF, whatever the URL and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          pathSegment,
          pathSegment.map((s) => `${s}.gif`),
        ),
        queryString,
        headers,
        async (file, query, rawHeaders) => {
          const response = await request(`/o/${file}?${query}`, { headers: sendableHeaders(rawHeaders) });
          expect(response.status).toBe(200);
          expect(response.headers.get('content-type')).toBe('image/gif');
          const image = await decodedImage(new Uint8Array(await response.arrayBuffer()));
          expect([image.format, image.width, image.height]).toEqual(['gif', 1, 1]);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it("/v1/p.gif answers a 1×1 GIF with the API's status, never a 5xx", async () => {
    const pixelQuery = fc.oneof(
      queryString,
      fc
        .tuple(fc.constantFrom('test-write-key-0123456789', 'fuzz-browser-key-0123456789', 'wrong'), queryString)
        .map(([key, rest]) => `writeKey=${key}&event=Product%20Viewed&userId=alice&${rest}`),
      fc.tuple(fc.jsonValue(), fc.boolean()).map(([value, base64]) => {
        const json = JSON.stringify({ writeKey: 'test-write-key-0123456789', event: 'Product Viewed', userId: 'bob', properties: value });
        return `data=${encodeURIComponent(base64 ? btoa(unescape(encodeURIComponent(json))) : json)}`;
      }),
      fc
        .integer({ min: 60, max: 3000 })
        .map((depth) => `writeKey=test-write-key-0123456789&event=x&userId=a&properties=${encodeURIComponent(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)}`),
      nastyString.map((s) => `writeKey=test-write-key-0123456789&event=x&userId=a&properties.${encodeLoosely(s)}=1`),
    );
    await fc.assert(
      fc.asyncProperty(pixelQuery, headers, async (query, rawHeaders) => {
        const response = await request(`/v1/p.gif?${query}`, { headers: sendableHeaders(rawHeaders) });
        expect([200, 400, 401, 403, 413, 429]).toContain(response.status);
        expect(response.headers.get('content-type')).toBe('image/gif');
        const image = await decodedImage(new Uint8Array(await response.arrayBuffer()));
        expect([image.format, image.width, image.height]).toEqual(['gif', 1, 1]);
      }),
      { numRuns: 500 },
    );
  }, 120_000);

  it('any path, any method, any headers: never a 5xx, and anything under /i/ or /o/ is still an image', async () => {
    const path = fc.oneof(
      fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      fc
        .tuple(fc.constantFrom('/i/', '/o/', '/c/', '/v1/', '/v1/blocks/', '/v1/profiles/', '/v1/p.gif/', '/i/../v1/', '/i/%2e%2e/', '//i//'), pathSegment)
        .map(([a, b]) => `${a}${b}`),
      fc.constantFrom('/i/', '/i//x.png', '/o/', '/c/grid/', '/c/grid/0/extra', '/healthz', '/sdk.js', '/', '/%', '/%00', '/i/%00.png', '/i/..%2f..%2fetc%2fpasswd.png'),
    );
    await fc.assert(
      fc.asyncProperty(path, queryString, headers, fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), async (p, query, rawHeaders, method) => {
        const response = await request(`${p}?${query}`, { method, headers: sendableHeaders(rawHeaders) });
        expect(response.status).toBeLessThan(500);
        const pathname = new URL(`${p}?${query}`, 'http://localhost').pathname;
        if (method === 'GET' && /^\/[io]\/[^/]+$/.test(pathname)) {
          expect(response.status).toBe(200);
          expect(response.headers.get('content-type')).toMatch(/^image\/(png|gif)$/);
        }
        await response.arrayBuffer();
      }),
      { numRuns: 800 },
    );
  }, 120_000);

  it('still answers a real subscriber with their own image afterwards', async () => {
    expect((await app.send('track', { userId: 'zara', event: 'Product Added', properties: { product_id: 'p-green' } })).status).toBe(200);
    const { response, pixels } = await app.open('hero', { u: 'zara' });
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(pixels.share([0x1f, 0x29, 0x37])).toBeGreaterThan(0.5);
  });
});
