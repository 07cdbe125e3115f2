import decodeJpeg, { init as initJpegDecode } from '@jsquash/jpeg/decode.js';
import mozjpegDecWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageContentType } from '../../src/core/render/image-format.ts';
import { catalogWithPhotos, testBlock } from '../helpers/fixtures.ts';
import { pixels, type Pixels } from '../specs/harness.ts';
import { workerApp, type WorkerApp } from './helpers/app.ts';
import { decodePng, slotBox } from './helpers/png.ts';
import { PHOTO_COLORS, PHOTO_ORIGIN } from './photo-server.ts';

/**
 * On Workers as on Node (test/routes/render-format.test.ts): a block of
 * photo-like product photos is sent as a JPEG under 100 KB (mozjpeg-wasm
 * inside workerd), its photos in their colours and its text crisp at 2×;
 * the block forced to PNG is the exact render to compare with.
 */
let app: WorkerApp;
const CART = ['p-green', 'p-red', 'p-blue'];

async function decodeJpegPixels(bytes: Uint8Array): Promise<Pixels> {
  const image = await decodeJpeg(bytes.slice().buffer);
  const at = (x: number, y: number): [number, number, number] => {
    const i = (Math.floor(y) * image.width + Math.floor(x)) * 4;
    return [image.data[i] as number, image.data[i + 1] as number, image.data[i + 2] as number];
  };
  return pixels(image.width, image.height, 'jpeg', at);
}

function meanColor(p: Pixels, box: { x: number; y: number; width: number; height: number }): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = box.y + box.height * 0.35; y < box.y + box.height * 0.65; y += 2) {
    for (let x = box.x + box.width * 0.35; x < box.x + box.width * 0.65; x += 2) {
      const rgb = p.at(x, y);
      for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (rgb[c] as number);
      n++;
    }
  }
  return sum.map((s) => s / n) as [number, number, number];
}
const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(...a.map((v, i) => v - (b[i] as number)));
const TEXT = [17, 17, 17] as const;
const ACCENT = [0xd3, 0x3c, 0x3c] as const;

beforeAll(async () => {
  await initJpegDecode(mozjpegDecWasm);
  app = workerApp();
  const catalog = await app.admin(
    'PUT',
    '/v1/catalog/products',
    catalogWithPhotos((color) => `${PHOTO_ORIGIN}/photo-like-${color}.jpg`),
  );
  expect(catalog.status, await catalog.clone().text()).toBe(200);
  for (const block of [testBlock(), testBlock({ id: 'grid-png', image_format: 'png' })]) {
    const put = await app.admin('PUT', `/v1/blocks/${block.id}`, block);
    expect(put.status, await put.clone().text()).toBe(200);
  }
  for (const id of CART) await app.send('track', { userId: 'shopper', event: 'Product Added', properties: { product_id: id } });
});
afterAll(async () => {
  await app.settle();
});

describe('a block of photos on Workers', () => {
  it('is a JPEG under 100 KB, its photos in their colours and its text crisp at 2×', async () => {
    const open = async (block: string) => {
      const response = await app.request(`/i/${block}.png?u=shopper&m=m1`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { response, bytes };
    };
    const jpeg = await open('grid');
    expect(jpeg.response.status).toBe(200);
    expect(jpeg.response.headers.get('content-type')).toBe('image/jpeg');
    expect(imageContentType(jpeg.bytes)).toBe('image/jpeg');
    expect(jpeg.bytes.byteLength).toBeLessThan(100 * 1024);
    const seen = await decodeJpegPixels(jpeg.bytes);
    expect([seen.width, seen.height]).toEqual([1200, 600]);

    const png = await open('grid-png');
    expect(png.response.headers.get('content-type')).toBe('image/png');
    const exact = await decodePng(png.bytes);
    expect(jpeg.bytes.byteLength).toBeLessThan(png.bytes.byteLength / 3);
    console.log(
      `photo-like block on Workers: JPEG ${(jpeg.bytes.byteLength / 1024).toFixed(0)} KB at its first open, the same block as PNG ${(png.bytes.byteLength / 1024).toFixed(0)} KB`,
    );

    for (const [slot, color] of (['blue', 'red', 'green'] as const).entries()) {
      const mean = meanColor(seen, slotBox(seen, slot));
      expect(distance(mean, PHOTO_COLORS[color]), `slot ${slot} (${color}) is ${mean.map(Math.round)}`).toBeLessThan(60);
      expect(distance(mean, meanColor(exact, slotBox(exact, slot)))).toBeLessThan(8);
    }
    const headline = { x: 0, y: 0, width: exact.width, height: Math.floor(exact.height * 0.18) };
    const priceAndCta = { x: 0, y: Math.floor(exact.height * 0.8), width: exact.width, height: Math.floor(exact.height * 0.2) };
    const dark = exact.share(TEXT, headline, 24);
    const red = exact.share(ACCENT, priceAndCta, 24);
    expect(dark).toBeGreaterThan(0.03);
    expect(red).toBeGreaterThan(0.005);
    expect(seen.share(TEXT, headline, 24)).toBeGreaterThan(dark * 0.85);
    expect(seen.share(ACCENT, priceAndCta, 24)).toBeGreaterThan(red * 0.85);
  });
});
