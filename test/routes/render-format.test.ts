import sharp from 'sharp';
import { JPEG } from '../../src/adapters/raster/sharp-png.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWithPhotos } from '../helpers/fixtures.ts';
import { createTestApp, seeded, testBlock, type TestApp } from '../helpers/app.ts';
import { PHOTO_COLORS, startPhotoServer, type PhotoServer } from '../helpers/photo-server.ts';
import { slotBox, type Pixels } from '../helpers/pixels.ts';

/**
 * The format a block is sent in: a block holding photo-like product photos
 * is a JPEG (a tenth of the PNG's bytes) whose text stays crisp at 2×; a
 * flat one stays a PNG; a block can force either. At the same `.png` URL,
 * with the Content-Type of the bytes.
 */
let photos: PhotoServer;
let flat: TestApp;
let photoLike: TestApp;

/** Put in the cart in this order: shown most recent first (blue, red, green). */
const CART = ['p-green', 'p-red', 'p-blue'];

beforeAll(async () => {
  photos = await startPhotoServer();
  flat = await seeded(await createTestApp(), photos);
  photoLike = await createTestApp();
  const catalog = await photoLike.admin(
    'PUT',
    '/v1/catalog/products',
    catalogWithPhotos((color) => photos.url(`photo-${color}`)),
  );
  expect(catalog.status).toBe(200);
  for (const block of [testBlock(), testBlock({ id: 'grid-png', image_format: 'png' })]) expect((await photoLike.admin('PUT', `/v1/blocks/${block.id}`, block)).status).toBe(200);
  for (const app of [flat, photoLike]) for (const id of CART) await app.send('track', { userId: 'shopper', event: 'Product Added', properties: { product_id: id } });
});
afterAll(async () => {
  await flat.close();
  await photoLike.close();
  await photos.close();
});

/** The mean colour of the middle of a box. */
function meanColor(pixels: Pixels, box: { x: number; y: number; width: number; height: number }): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = box.y + box.height * 0.35; y < box.y + box.height * 0.65; y += 2) {
    for (let x = box.x + box.width * 0.35; x < box.x + box.width * 0.65; x += 2) {
      const rgb = pixels.at(x, y);
      for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (rgb[c] as number);
      n++;
    }
  }
  return sum.map((s) => s / n) as [number, number, number];
}

const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, i) => v - (b[i] as number)));

/** The headline (top) and the prices and call to action (bottom) of a 1200×600 grid. */
const headline = (p: Pixels) => ({ x: 0, y: 0, width: p.width, height: Math.floor(p.height * 0.18) });
const priceAndCta = (p: Pixels) => ({ x: 0, y: Math.floor(p.height * 0.8), width: p.width, height: Math.floor(p.height * 0.2) });
const TEXT = [17, 17, 17] as const;
const ACCENT = [0xd3, 0x3c, 0x3c] as const;

describe('the format of a rendered block', () => {
  it('is a JPEG under 100 KB for a block of photo-like product photos, its photos in their colours and its text crisp at 2×', async () => {
    const jpeg = await photoLike.open('grid', { u: 'shopper', m: 'm1' });
    expect(jpeg.response.status).toBe(200);
    expect(jpeg.response.headers.get('content-type')).toBe('image/jpeg');
    expect(jpeg.pixels.format).toBe('jpeg');
    expect([jpeg.pixels.width, jpeg.pixels.height]).toEqual([1200, 600]);
    expect(jpeg.bytes.byteLength).toBeLessThan(100 * 1024);

    // The same decision forced to PNG: the exact pixels, to compare with.
    const png = await photoLike.open('grid-png', { u: 'shopper', m: 'm1' });
    expect(png.response.headers.get('content-type')).toBe('image/png');
    expect(png.pixels.format).toBe('png');
    expect(jpeg.bytes.byteLength).toBeLessThan(png.bytes.byteLength / 4);

    for (const [slot, color] of (['blue', 'red', 'green'] as const).entries()) {
      const seen = meanColor(jpeg.pixels, slotBox(jpeg.pixels, slot));
      expect(distance(seen, PHOTO_COLORS[color]), `slot ${slot} (${color}) is ${seen.map(Math.round)}`).toBeLessThan(60);
      expect(distance(seen, meanColor(png.pixels, slotBox(png.pixels, slot)))).toBeLessThan(8);
    }
    // Crisp: the text's own colour survives at nearly every pixel the exact render has it (blurred or colour-bled edges do not).
    const dark = png.pixels.share(TEXT, headline(png.pixels), 24);
    const red = png.pixels.share(ACCENT, priceAndCta(png.pixels), 24);
    expect(dark).toBeGreaterThan(0.03);
    expect(red).toBeGreaterThan(0.005);
    expect(jpeg.pixels.share(TEXT, headline(jpeg.pixels), 24)).toBeGreaterThan(dark * 0.85);
    expect(jpeg.pixels.share(ACCENT, priceAndCta(jpeg.pixels), 24)).toBeGreaterThan(red * 0.85);
  });

  it('is served again as first encoded: a JPEG is not re-encoded as a palette PNG', async () => {
    const first = await photoLike.open('grid', { u: 'again', m: 'm1' });
    await photoLike.settle();
    const second = await photoLike.open('grid', { u: 'again', m: 'm2' });
    await photoLike.settle();
    const third = await photoLike.open('grid', { u: 'again', m: 'm3' });
    expect(second.response.headers.get('x-opentime-cache')).toBe('hit');
    expect(third.response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(third.bytes).equals(Buffer.from(first.bytes))).toBe(true);
  });

  it('is a PNG of about today’s size for a flat block, made smaller when served again', async () => {
    const first = await flat.open('grid', { u: 'shopper', m: 'm1' });
    expect(first.response.headers.get('content-type')).toBe('image/png');
    expect(first.pixels.format).toBe('png');
    expect(first.bytes.byteLength).toBeLessThan(150 * 1024);
    await flat.open('grid', { u: 'shopper', m: 'm2' });
    await flat.settle();
    const again = await flat.open('grid', { u: 'shopper', m: 'm3' });
    expect(again.response.headers.get('content-type')).toBe('image/png');
    expect(again.bytes.byteLength).toBeLessThan(first.bytes.byteLength);
  });

  it('is what the block forces: jpeg for a flat block', async () => {
    const put = await flat.admin('PUT', '/v1/blocks/grid-jpeg', testBlock({ id: 'grid-jpeg', image_format: 'jpeg' }));
    expect(put.status).toBe(200);
    const forced = await flat.open('grid-jpeg', { u: 'shopper', m: 'm1' });
    expect(forced.response.headers.get('content-type')).toBe('image/jpeg');
    expect(forced.pixels.format).toBe('jpeg');
    expect(forced.pixels.share(PHOTO_COLORS.blue, slotBox(forced.pixels, 0))).toBeGreaterThan(0.25);
  });

  it('is refused by name when a block asks for a format there is not', async () => {
    const put = await flat.admin('PUT', '/v1/blocks/grid-webp', testBlock({ id: 'grid-webp', image_format: 'webp' as 'png' }));
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('image_format');
  });
});

// A check of the bench's claim that 4:2:0 bleeds red text: the same pixels, encoded both ways.
describe('chroma subsampling of red text', () => {
  it('keeps a red call to action in its colour at 4:4:4, not at 4:2:0', async () => {
    const png = await photoLike.open('grid-png', { u: 'shopper', m: 'm1' });
    const share = async (chromaSubsampling: '4:2:0' | '4:4:4') => {
      const jpeg = await sharp(png.bytes)
        .removeAlpha()
        .jpeg({ ...JPEG, chromaSubsampling })
        .toBuffer();
      const { decode } = await import('../helpers/pixels.ts');
      const p = await decode(new Uint8Array(jpeg));
      return p.share(ACCENT, priceAndCta(p), 24);
    };
    const exact = png.pixels.share(ACCENT, priceAndCta(png.pixels), 24);
    expect(await share('4:4:4')).toBeGreaterThan(exact * 0.85);
    expect(await share('4:2:0')).toBeLessThan(exact * 0.85);
  });
});
