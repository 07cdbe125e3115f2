import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageFetchError } from '../../../src/core/images/fetch-error.ts';
import { checkImageResponse, imageSize, inspectPhoto, sniffPhotoType } from '../../../src/core/images/image-header.ts';

const url = new URL('https://cdn.example.com/photo');
const image = (channels: 3 | 4, width = 321, height = 123) => sharp({ create: { width, height, channels, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } });

/** The refusal's reason, or `ok`. */
function verdict(check: () => unknown): string {
  try {
    check();
    return 'ok';
  } catch (error) {
    if (error instanceof ImageFetchError) return error.reason;
    throw error;
  }
}

describe('photo headers', () => {
  it('reads the type and size of PNG, JPEG, GIF and every kind of WebP without decoding', async () => {
    const cases = [
      ['image/png', await image(3).png().toBuffer()],
      ['image/jpeg', await image(3).jpeg().toBuffer()],
      ['image/jpeg', await image(3).jpeg({ progressive: true }).toBuffer()],
      ['image/gif', await image(3).gif().toBuffer()],
      ['image/webp', await image(3).webp().toBuffer()], // VP8, lossy
      ['image/webp', await image(3).webp({ lossless: true }).toBuffer()], // VP8L
      ['image/webp', await image(4).webp().toBuffer()], // VP8X, with alpha
    ] as const;
    for (const [type, bytes] of cases) {
      expect(sniffPhotoType(bytes)).toBe(type);
      expect(imageSize(bytes), type).toEqual({ width: 321, height: 123 });
    }
  });

  it('knows SVG, HTML and text are not photos', () => {
    for (const text of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '<!doctype html><html>', 'GIF', '']) {
      expect(sniffPhotoType(new TextEncoder().encode(text))).toBeUndefined();
    }
  });

  it('refuses a PNG whose header claims 30000×30000 pixels, before anything decodes it', () => {
    const bomb = new Uint8Array(33);
    bomb.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(bomb.buffer).setUint32(16, 30_000);
    new DataView(bomb.buffer).setUint32(20, 30_000);
    expect(() => inspectPhoto(url, bomb, 40_000_000, ['image/png'])).toThrow('https://cdn.example.com/photo is 30000×30000 pixels; the limit is 40000000');
    expect(verdict(() => inspectPhoto(url, bomb, 40_000_000, ['image/png']))).toBe('pixels');
  });

  it('refuses types the runtime cannot draw, and bytes with no readable size', async () => {
    const webp = await image(3).webp().toBuffer();
    expect(() => inspectPhoto(url, webp, 1e6, ['image/png', 'image/jpeg', 'image/gif'])).toThrow('is not a PNG, JPEG or GIF by its first bytes');
    expect(verdict(() => inspectPhoto(url, webp, 1e6, ['image/png', 'image/jpeg', 'image/gif', 'image/webp']))).toBe('ok');
    const truncated = (await image(3).png().toBuffer()).subarray(0, 12);
    expect(verdict(() => inspectPhoto(url, truncated, 1e6, ['image/png']))).toBe('type');
  });

  it('accepts image/* responses within the length limit, and nothing else', () => {
    const headers = (values: Record<string, string>) => new Headers(values);
    expect(verdict(() => checkImageResponse(url, headers({ 'content-type': 'image/png' }), 100))).toBe('ok');
    expect(verdict(() => checkImageResponse(url, headers({ 'content-type': 'Image/JPEG; charset=binary', 'content-length': '100' }), 100))).toBe('ok');
    expect(verdict(() => checkImageResponse(url, headers({ 'content-type': 'text/html' }), 100))).toBe('type');
    expect(verdict(() => checkImageResponse(url, headers({ 'content-type': 'application/octet-stream' }), 100))).toBe('type');
    expect(verdict(() => checkImageResponse(url, headers({}), 100))).toBe('type');
    expect(verdict(() => checkImageResponse(url, headers({ 'content-type': 'image/png', 'content-length': '101' }), 100))).toBe('size');
  });
});
