import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import type { BlockInput } from '../../src/core/blocks/schema.ts';
import type { Store } from '../../src/core/ports.ts';
import { PERSONAL_RENDERS_BYTES } from '../../src/core/open/render-once.ts';
import { START, createTestApp, testBlock, type TestApp } from '../helpers/app.ts';
import { decodeFrames, diffBox, parseGif, type FramePixels } from '../helpers/gif.ts';

let app: TestApp;
beforeEach(async () => {
  app = await createTestApp();
});
afterEach(async () => {
  await app.close();
});

const HOUR = 3_600_000;
const BACKGROUND: [number, number, number] = [0xff, 0xf7, 0xed];
const BOX: [number, number, number] = [0xb9, 0x1c, 0x1c];

function countdown(fields: Record<string, unknown> = {}): BlockInput {
  return {
    id: 'sale-timer',
    kind: 'countdown',
    size: { width: 600, height: 150 },
    deadline: new Date(START + 3 * 24 * HOUR + 4 * HOUR + 5 * 60_000 + 30_000).toISOString(),
    url: 'https://shop.example.com/sale',
    params: { headline: 'The sale ends in', background: '#fff7ed', box: '#b91c1c' },
    expired: { text: 'The sale has ended' },
    fallback: { url: 'https://shop.example.com/', text: 'Shop the sale →' },
    ...fields,
  } as BlockInput;
}

async function put(block: BlockInput): Promise<void> {
  const response = await app.admin('PUT', `/v1/blocks/${block.id}`, block);
  if (response.status !== 200) throw new Error(`block: ${response.status} ${await response.text()}`);
}

async function get(path: string): Promise<{ response: Response; bytes: Uint8Array }> {
  const response = await app.request(path);
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const firstFrame = async (bytes: Uint8Array) => (await decodeFrames(bytes)).frames[0] as FramePixels;
const share = (frame: FramePixels, rgb: readonly number[]) => {
  let hits = 0;
  for (let i = 0; i < frame.data.length; i += 3) if (frame.data[i] === rgb[0] && frame.data[i + 1] === rgb[1] && frame.data[i + 2] === rgb[2]) hits++;
  return hits / (frame.data.length / 3);
};
/** The seconds box of a 600×150 four-unit countdown lies in the right quarter, below the headline. */
const inSecondsBox = (box: { x: number; y: number; width: number } | undefined) => box !== undefined && box.x > 1200 * 0.72 && box.y > 300 * 0.3;

describe('GET /i/:block.gif for a countdown', () => {
  it('answers a 60-frame 1200×300 GIF with the headers of every image', async () => {
    await put(countdown());
    const { response, bytes } = await get('/i/sale-timer.gif?u=alice&m=welcome');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, max-age=0');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('expires')).toBe('0');
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('x-opentime-cache')).toBe('miss');
    const structure = parseGif(bytes);
    expect([structure.width, structure.height, structure.frames.length, structure.loop]).toEqual([1200, 300, 60, undefined]);
    const { delaysMs, loop } = await decodeFrames(bytes);
    expect(new Set(delaysMs)).toEqual(new Set([1000]));
    expect(loop).toBe(1);
    expect(bytes.length).toBeLessThan(150 * 1024);
  });

  it('moves its first frame on by a second, one second later: only the seconds change', async () => {
    await put(countdown());
    const now = await firstFrame((await get('/i/sale-timer.gif')).bytes);
    app.clock.advance(1000);
    const later = await get('/i/sale-timer.gif');
    expect(later.response.headers.get('x-opentime-cache')).toBe('miss');
    const changed = diffBox(now, await firstFrame(later.bytes));
    expect(inSecondsBox(changed)).toBe(true);
  });

  it('renders once for fifty opens in the same second', async () => {
    await put(countdown());
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => get(`/i/sale-timer.gif?u=user-${i}`)));
    const outcomes = responses.map((r) => r.response.headers.get('x-opentime-cache'));
    expect(outcomes.filter((o) => o === 'miss')).toHaveLength(1);
    expect(outcomes.every((o) => o === 'miss' || o === 'coalesced' || o === 'hit')).toBe(true);
    expect(new Set(responses.map((r) => Buffer.from(r.bytes).toString('base64'))).size).toBe(1);
    expect((await get('/i/sale-timer.gif')).response.headers.get('x-opentime-cache')).toBe('hit');
    await app.settle();
    const { counters } = await (await app.admin('GET', '/v1/stats')).json();
    expect(counters['renders.countdown']).toBe(1);
    expect(counters['block.sale-timer.opens']).toBe(51);
  });

  it('switches to the expired state inside the window when the deadline comes', async () => {
    await put(countdown({ deadline: new Date(START + 10_000).toISOString() }));
    const { bytes } = await get('/i/sale-timer.gif');
    const { frames } = await decodeFrames(bytes);
    expect(frames).toHaveLength(60);
    expect(share(frames[9] as FramePixels, BOX)).toBeGreaterThan(0.1);
    for (const k of [10, 30, 59]) expect(share(frames[k] as FramePixels, BOX), `frame ${k}`).toBe(0);
  });

  it('is the expired state alone once the deadline has passed, never negative numbers', async () => {
    await put(countdown({ deadline: new Date(START - 1000).toISOString() }));
    for (const ext of ['gif', 'png']) {
      const { response, bytes } = await get(`/i/sale-timer.${ext}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(`image/${ext}`);
      expect(response.headers.get('x-opentime-fallback')).toBe('expired');
      const meta = await sharp(bytes, { animated: true }).metadata();
      expect([meta.pages ?? 1, meta.width, meta.height]).toEqual([1, 1200, 300]);
      const frame = await firstFrame(bytes);
      expect(share(frame, BOX)).toBe(0);
      // The message is drawn: more than the background is on it.
      expect(share(frame, BACKGROUND)).toBeLessThan(0.97);
    }
  });

  it('shows the configured expired image, or the default text when it cannot be loaded', async () => {
    await put(countdown({ id: 'ended-missing', deadline: new Date(START - 1000).toISOString(), expired: { image: 'no-such-file.png' } }));
    const { response, bytes } = await get('/i/ended-missing.gif');
    expect(response.status).toBe(200);
    expect(parseGif(bytes).frames).toHaveLength(1);
    expect(share(await firstFrame(bytes), BACKGROUND)).toBeLessThan(0.97);
  });
});

describe('GET /i/:block.png for a countdown', () => {
  it('answers the same moment as a 1200×300 PNG still', async () => {
    await put(countdown());
    const { response, bytes } = await get('/i/sale-timer.png?u=alice');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.pages ?? 1]).toEqual(['png', 1200, 300, 1]);
    const still = await sharp(bytes).removeAlpha().raw().toBuffer();
    const gifFirst = await firstFrame((await get('/i/sale-timer.gif')).bytes);
    let off = 0;
    for (let i = 0; i < still.length; i++) off += Math.abs((still[i] as number) - (gifFirst.data[i] as number));
    expect(off / still.length).toBeLessThan(2);
  });
});

describe('countdown deadlines per recipient', () => {
  it('counts to the deadline in the URL parameter the block names, ISO or epoch seconds', async () => {
    await put(countdown({ id: 'mine', deadline: { query: 'ends' } }));
    const at = START + 2 * HOUR;
    const iso = await get(`/i/mine.gif?ends=${encodeURIComponent(new Date(at).toISOString())}`);
    const epoch = await get(`/i/mine.gif?ends=${at / 1000}`);
    expect(iso.response.headers.get('x-opentime-fallback')).toBeNull();
    expect(Buffer.from(iso.bytes).equals(Buffer.from(epoch.bytes))).toBe(true);
    expect(epoch.response.headers.get('x-opentime-cache')).toBe('hit');
    const other = await get(`/i/mine.gif?ends=${at / 1000 + 3600}`);
    expect(Buffer.from(other.bytes).equals(Buffer.from(iso.bytes))).toBe(false);
  });

  it('keeps renders for per-recipient deadlines out of the shared render cache, in a bounded one of their own', async () => {
    await put(countdown({ id: 'mine', deadline: { query: 'ends' } }));
    await put(countdown({ id: 'everyone', deadline: new Date(START + 2 * HOUR).toISOString() }));
    const shared: string[] = [];
    const cache = app.deps.renderCache;
    const set = cache.set.bind(cache);
    cache.set = async (key, bytes) => {
      shared.push(key);
      await set(key, bytes);
    };
    let largest = 0;
    for (let i = 0; i < 30; i++) {
      const { response, bytes } = await get(`/i/mine.gif?ends=${START / 1000 + 2 * 3600 + i * 61}`);
      expect(response.headers.get('x-opentime-fallback')).toBeNull();
      largest = Math.max(largest, bytes.byteLength);
    }
    expect(shared).toEqual([]);
    const { opens } = app.opentime.services;
    expect(opens.personalRenderBytes).toBeGreaterThan(0);
    expect(opens.personalRenderBytes).toBeLessThanOrEqual(PERSONAL_RENDERS_BYTES);
    expect(opens.personalRenderBytes).toBeLessThanOrEqual(30 * largest);
    // The same recipient's re-open in the same second shares the render; the shared countdown still uses the shared cache.
    expect((await get(`/i/mine.gif?ends=${START / 1000 + 2 * 3600}`)).response.headers.get('x-opentime-cache')).toBe('hit');
    await get('/i/everyone.gif');
    expect(shared).toHaveLength(1);
  });

  it('draws the same image for the same deadline, however it is given', async () => {
    const at = new Date(START + 5 * HOUR + 17_000).toISOString();
    await put(countdown({ id: 'fixed', deadline: at }));
    await put(countdown({ id: 'from-url', deadline: { query: 'ends' } }));
    const fixed = await firstFrame((await get('/i/fixed.gif')).bytes);
    const fromUrl = await firstFrame((await get(`/i/from-url.gif?ends=${encodeURIComponent(at)}`)).bytes);
    expect(diffBox(fixed, fromUrl)).toBeUndefined();
  });

  it('uses the fallback deadline without a usable parameter, and the static image without one', async () => {
    const fallback = new Date(START + HOUR).toISOString();
    await put(countdown({ id: 'with-fallback', deadline: { query: 'ends', fallback } }));
    await put(countdown({ id: 'fixed', deadline: fallback }));
    await put(countdown({ id: 'bare', deadline: { query: 'ends' } }));
    const fixed = await firstFrame((await get('/i/fixed.gif')).bytes);
    for (const query of ['', '?ends=', '?ends=someday', '?ends=2026-06-01T13:00']) {
      const { bytes } = await get(`/i/with-fallback.gif${query}`);
      expect(diffBox(fixed, await firstFrame(bytes)), query).toBeUndefined();
      const bare = await get(`/i/bare.gif${query}`);
      expect(bare.response.status).toBe(200);
      expect(bare.response.headers.get('x-opentime-fallback')).toBe('static');
      expect(parseGif(bare.bytes).frames).toHaveLength(1);
    }
  });

  it('counts 48 hours from the subscriber’s Checkout Started, sent through the events API', async () => {
    const checkout = START - 5 * HOUR;
    const sent = await app.send('track', { userId: 'carol', event: 'Checkout Started', timestamp: new Date(checkout).toISOString(), properties: { products: [] } });
    expect(sent.status).toBe(200);
    await put(countdown({ id: 'checkout', deadline: { after: 'Checkout Started', hours: 48 } }));
    await put(countdown({ id: 'fixed', deadline: new Date(checkout + 48 * HOUR).toISOString() }));
    const fixed = await firstFrame((await get('/i/fixed.gif')).bytes);
    const { response, bytes } = await get('/i/checkout.gif?u=carol&m=reminder');
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(diffBox(fixed, await firstFrame(bytes))).toBeUndefined();

    // A later checkout moves the deadline.
    await app.send('track', { userId: 'carol', event: 'Checkout Started', timestamp: new Date(START - HOUR).toISOString(), properties: { products: [] } });
    expect(diffBox(fixed, await firstFrame((await get('/i/checkout.gif?u=carol')).bytes))).toBeDefined();
  });

  it('gives someone who never started a checkout the fallback deadline, or the static image', async () => {
    const fallback = new Date(START + HOUR).toISOString();
    await put(countdown({ id: 'checkout', deadline: { after: 'Checkout Started', hours: 48, fallback } }));
    await put(countdown({ id: 'checkout-bare', deadline: { after: 'Checkout Started', hours: 48 } }));
    await put(countdown({ id: 'fixed', deadline: fallback }));
    await app.send('track', { userId: 'dave', event: 'Product Viewed', properties: { product_id: 'p-1' } });
    const fixed = await firstFrame((await get('/i/fixed.gif')).bytes);
    for (const query of ['?u=dave', '?u=nobody', '']) {
      expect(diffBox(fixed, await firstFrame((await get(`/i/checkout.gif${query}`)).bytes)), query).toBeUndefined();
      expect((await get(`/i/checkout-bare.png${query}`)).response.headers.get('x-opentime-fallback')).toBe('static');
    }
  });

  it('does not count from the events of a suppressed subscriber', async () => {
    await app.send('track', { userId: 'erin', event: 'Checkout Started', properties: { products: [] } });
    await put(countdown({ id: 'checkout', deadline: { after: 'Checkout Started', hours: 48 } }));
    expect((await get('/i/checkout.gif?u=erin')).response.headers.get('x-opentime-fallback')).toBeNull();
    expect((await app.admin('POST', '/v1/suppressions', { ids: ['erin'] })).status).toBe(200);
    expect((await get('/i/checkout.gif?u=erin')).response.headers.get('x-opentime-fallback')).toBe('static');
  });
});

describe('countdown labels', () => {
  it('names the units in the block locale, and only the labels change', async () => {
    await put(countdown({ id: 'en' }));
    await put(countdown({ id: 'de', params: { headline: 'The sale ends in', background: '#fff7ed', box: '#b91c1c', locale: 'de-DE' } }));
    const de = await get('/i/de.png');
    await writeFile('/tmp/opentime-countdown-de.png', de.bytes);
    const en = await sharp((await get('/i/en.png')).bytes)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const deRaw = await sharp(de.bytes).removeAlpha().raw().toBuffer();
    const frame = (data: Buffer): FramePixels => ({ width: 1200, height: 300, data: new Uint8Array(data), at: () => [0, 0, 0] });
    const changed = diffBox(frame(en.data), frame(deRaw));
    // "TAGE", "STUNDEN", … sit in a band under the digits; the headline and the digits are the same.
    expect(changed).toBeDefined();
    expect(changed!.y).toBeGreaterThan(300 * 0.7);
  });
});

describe('failures still answer an image of the requested type', () => {
  it('answers a .gif for a product grid with its static image as a GIF, and leaves its .png alone', async () => {
    await put(testBlock() as BlockInput);
    const gif = await get('/i/grid.gif');
    expect(gif.response.status).toBe(200);
    expect(gif.response.headers.get('content-type')).toBe('image/gif');
    expect(gif.response.headers.get('x-opentime-fallback')).toBe('static');
    expect(gif.response.headers.get('x-opentime-error')).toBe('NOT_FOUND');
    expect(parseGif(gif.bytes)).toMatchObject({ width: 1200, height: 600 });
    const png = await get('/i/grid.png');
    expect(png.response.headers.get('content-type')).toBe('image/png');
    expect(png.response.headers.get('x-opentime-error')).not.toBe('NOT_FOUND');
  });

  it('answers an unknown block with a blank GIF', async () => {
    const { response, bytes } = await get('/i/no-such-block.gif');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('x-opentime-error')).toBe('BLOCK_NOT_FOUND');
    expect(parseGif(bytes).frames).toHaveLength(1);
  });

  it('answers a flat image of the block colour when nothing can be drawn', async () => {
    await put(countdown());
    const rasterizer = app.deps.rasterizer;
    rasterizer.rasterizeRgba = () => Promise.reject(new Error('resvg is gone'));
    for (const ext of ['gif', 'png']) {
      const { response, bytes } = await get(`/i/sale-timer.${ext}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(`image/${ext}`);
      expect(response.headers.get('x-opentime-error')).toBe('RENDER_FAILED');
      const frame = await firstFrame(bytes);
      expect([frame.width, frame.height]).toEqual([1200, 300]);
      expect(share(frame, BACKGROUND)).toBe(1);
    }
  });

  it('answers the block’s static image when the store fails after the block was seen', async () => {
    let failing = false;
    const store = memoryStore();
    const flaky: Store = { ...store, getBlock: (id) => (failing ? Promise.reject(new Error('store is down')) : store.getBlock(id)) };
    await app.close();
    app = await createTestApp({ store: flaky });
    await put(countdown());
    expect((await get('/i/sale-timer.gif')).response.headers.get('x-opentime-fallback')).toBeNull();
    failing = true;
    for (const ext of ['gif', 'png']) {
      const { response, bytes } = await get(`/i/sale-timer.${ext}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(`image/${ext}`);
      expect(response.headers.get('x-opentime-fallback')).toBe('static');
      expect(share(await firstFrame(bytes), BOX)).toBe(0);
    }
  });
});

describe('Apple Mail’s privacy proxy', () => {
  it('gets a still with the deadline itself, not a clock that will be wrong when the email is read', async () => {
    await put(countdown({ deadline: { at: '2026-06-05T23:59', zone: 'America/New_York' }, prefetch: {} }));
    const apple = await app.request('/i/sale-timer.gif?u=alice', { headers: { 'user-agent': 'Mozilla/5.0' } });
    const bytes = new Uint8Array(await apple.arrayBuffer());
    expect(apple.headers.get('content-type')).toBe('image/gif');
    expect((await decodeFrames(bytes)).frames).toHaveLength(1);
    const person = await app.request('/i/sale-timer.gif?u=alice', { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } });
    expect((await decodeFrames(new Uint8Array(await person.arrayBuffer()))).frames.length).toBeGreaterThan(1);
  });

  it('gets the clock like everyone else when the block declares nothing for it', async () => {
    await put(countdown());
    const apple = await app.request('/i/sale-timer.gif?u=alice', { headers: { 'user-agent': 'Mozilla/5.0' } });
    expect((await decodeFrames(new Uint8Array(await apple.arrayBuffer()))).frames.length).toBeGreaterThan(1);
  });
});
