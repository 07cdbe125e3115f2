import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeJpeg } from '../../../src/core/render/jpeg.ts';
import { photoLikePixels } from '../../helpers/photo-like.ts';

/**
 * The core's baseline JPEG encoder (Workers' JPEG): what it writes is read
 * back by libjpeg (sharp) at the size and with the pixels given, at the
 * fidelity of libjpeg's own encoder with the same settings, and smaller
 * (its Huffman tables are built per image).
 */
async function decoded(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

/** Peak signal-to-noise ratio of `seen` against the RGB `original`, in dB. */
function psnr(original: Uint8Array, seen: Uint8Array): number {
  let squared = 0;
  for (let i = 0; i < original.length; i++) squared += ((original[i] as number) - (seen[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (squared / original.length));
}

/** A product photo on a pale card with dark text and a red price, as a block holds. */
function blockPixels(width: number, height: number): Uint8Array {
  const photo = photoLikePixels(3, [200, 60, 60], 240);
  const out = new Uint8Array(width * height * 3).fill(250);
  for (let y = 0; y < Math.min(240, height); y++)
    for (let x = 0; x < Math.min(240, width); x++) out.set(photo.subarray((y * 240 + x) * 3, (y * 240 + x) * 3 + 3), (y * width + x) * 3);
  for (let y = 250; y < Math.min(262, height); y++)
    for (let x = 10; x < width - 10; x++) if ((x >> 2) % 3 !== 0) out.set(x > width / 2 ? [211, 60, 60] : [17, 17, 17], (y * width + x) * 3);
  return out;
}

describe('the portable JPEG encoder', () => {
  it('writes a baseline JPEG that libjpeg decodes to the pixels, as faithful as libjpeg at the same quality and smaller', async () => {
    const [width, height] = [600, 300];
    const rgb = blockPixels(width, height);
    const bytes = encodeJpeg({ width, height, channels: 3, data: rgb });
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
    expect([bytes[bytes.length - 2], bytes[bytes.length - 1]]).toEqual([0xff, 0xd9]);
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width, height, channels: 3, chromaSubsampling: '4:4:4', isProgressive: false });
    // No resolution: Outlook scales images by their DPI.
    expect(meta.density ?? 72).toBe(72);
    const seen = await decoded(bytes);
    const reference = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 78, chromaSubsampling: '4:4:4', optimiseCoding: false })
      .toBuffer();
    const ours = psnr(rgb, seen.data);
    const libjpeg = psnr(rgb, (await decoded(reference)).data);
    expect(ours).toBeGreaterThan(32);
    expect(Math.abs(ours - libjpeg)).toBeLessThan(0.3);
    expect(bytes.byteLength).toBeLessThan(reference.byteLength);
  });

  it('reads RGBA (ignoring alpha), keeps a flat colour exact, and pads sizes that are not a multiple of 8', async () => {
    const [width, height] = [37, 21];
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) rgba.set([0xd3, 0x3c, 0x3c, p % 2 ? 255 : 0], p * 4);
    const seen = await decoded(encodeJpeg({ width, height, channels: 4, data: rgba }));
    expect([seen.width, seen.height]).toEqual([width, height]);
    for (const p of [0, 5, width * height - 1]) {
      const pixel = Array.from(seen.data.subarray(p * 3, p * 3 + 3));
      for (const [c, value] of pixel.entries()) expect(Math.abs(value - ([0xd3, 0x3c, 0x3c][c] as number))).toBeLessThanOrEqual(2);
    }
  });

  it('encodes high-contrast noise (long codes, every symbol) that libjpeg still reads', async () => {
    const [width, height] = [64, 48];
    const rgb = new Uint8Array(width * height * 3);
    let seed = 7;
    for (let i = 0; i < rgb.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      rgb[i] = seed >> 23;
    }
    for (const quality of [100, 78, 10]) {
      const seen = await decoded(encodeJpeg({ width, height, channels: 3, data: rgb }, quality));
      expect([seen.width, seen.height]).toEqual([width, height]);
      if (quality === 100) expect(psnr(rgb, seen.data)).toBeGreaterThan(30);
    }
  });

  it('rejects pixels that do not match the size', () => {
    expect(() => encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(10) })).toThrow(/expected 192 bytes/);
  });
});
