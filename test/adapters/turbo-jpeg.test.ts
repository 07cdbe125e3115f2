import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharpJpegEncoder, sharpPngEncoder } from '../../src/adapters/raster/sharp-png.ts';
import { turboJpegEncoder } from '../../src/adapters/raster/turbo-jpeg.ts';
import type { RawImage } from '../../src/core/ports.ts';
import { loadedTurboJpeg } from '../helpers/jpeg-encoders.ts';
import { photoLikePixels } from '../helpers/photo-like.ts';

/**
 * The TurboJPEG encoder the Node server sends photo blocks with: that it
 * is the one in use here, that its JPEGs look as good as sharp's, and
 * that the buffers it reuses never mix two images or bloat the cache.
 */
const turbo = loadedTurboJpeg;

/** A 1200×600 block-like image: three photo-like shots on a light background, with dark bars as text. */
function block(seed: number): RawImage {
  const width = 1200;
  const height = 600;
  const data = new Uint8Array(width * height * 3).fill(246);
  for (let slot = 0; slot < 3; slot++) {
    const shot = photoLikePixels(
      seed * 3 + slot + 1,
      [
        [200, 40, 40],
        [30, 120, 60],
        [40, 60, 200],
      ][slot] as [number, number, number],
      360,
    );
    for (let y = 0; y < 360; y++) data.set(shot.subarray(y * 360 * 3, (y + 1) * 360 * 3), ((128 + y) * width + 34 + slot * 386) * 3);
  }
  for (let y = 520; y < 540; y++) for (let x = 34; x < 34 + 200 + seed * 10; x++) data.set([17, 17, 17], (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

const pixelsOf = async (jpeg: Uint8Array) => new Uint8Array(await sharp(jpeg).raw().toBuffer());

/** Peak signal-to-noise ratio of decoded pixels against the exact ones, in dB. */
function psnr(exact: Uint8Array, decoded: Uint8Array): number {
  let squared = 0;
  for (let i = 0; i < exact.length; i++) squared += ((exact[i] as number) - (decoded[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (squared / exact.length));
}

describe('the TurboJPEG encoder', () => {
  it('loads on this machine, and is the one the server encodes JPEGs with', async () => {
    const image = block(0);
    const served = await (sharpPngEncoder().jpeg as NonNullable<ReturnType<typeof sharpPngEncoder>['jpeg']>)(image);
    expect(Buffer.from(served).equals(Buffer.from(await turbo(2)(image)))).toBe(true);
    expect(Buffer.from(served).equals(Buffer.from(await sharpJpegEncoder(2)(image)))).toBe(false);
  });

  it('is as faithful as sharp at the same quality, and as small', async () => {
    const image = block(1);
    const [ours, theirs] = await Promise.all([turbo(1)(image), sharpJpegEncoder(1)(image)]);
    const [a, b] = await Promise.all([pixelsOf(ours), pixelsOf(theirs)]);
    // The fast DCT loses a little: within a quarter of a decibel of sharp's, both well above what the eye sees at 2×.
    expect(psnr(image.data, a)).toBeGreaterThan(psnr(image.data, b) - 0.25);
    expect(psnr(image.data, a)).toBeGreaterThan(34);
    expect(Math.abs(ours.byteLength - theirs.byteLength) / theirs.byteLength).toBeLessThan(0.03);
    const meta = await sharp(ours).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1200, height: 600, chromaSubsampling: '4:4:4', isProgressive: false });
  });

  it('gives each of many images encoded at once its own pixels', async () => {
    const images = Array.from({ length: 8 }, (_, i) => block(i));
    const encode = turbo(2);
    const together = await Promise.all(images.map((image) => encode(image)));
    const alone = turbo(1);
    for (const [i, image] of images.entries()) {
      const [a, b] = await Promise.all([pixelsOf(together[i] as Uint8Array), alone(image).then(pixelsOf)]);
      expect(Buffer.compare(a, b), `image ${i}`).toBe(0);
    }
  });

  it('answers JPEGs that hold only their own bytes, not the worst-case buffer they were written into', async () => {
    const jpeg = await turbo(1)(block(2));
    expect(jpeg.byteLength).toBeLessThan(200 * 1024);
    expect(jpeg.buffer.byteLength).toBe(jpeg.byteLength);
  });

  it('is absent where the library does not load, and sharp encodes instead', () => {
    expect(turboJpegEncoder(2, () => undefined)).toBeUndefined();
  });
});
