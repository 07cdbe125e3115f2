import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { JPEG } from '../../src/adapters/raster/sharp-png.ts';
import type { RawImage } from '../../src/core/ports.ts';
import { joinJpegStrips, stripRows } from '../../src/core/render/jpeg-strips.ts';
import { jpegEncoders } from '../helpers/jpeg-encoders.ts';
import { photoLikePixels } from '../helpers/photo-like.ts';

/** A photo-like image `width` × `height` with `channels`: product shots tiled over it, so every strip differs. */
function photoImage(width: number, height: number, channels: 3 | 4): RawImage {
  const size = 200;
  const shots = [0, 1, 2].map((seed) =>
    photoLikePixels(
      seed + 1,
      [
        [200, 40, 40],
        [30, 120, 60],
        [40, 60, 200],
      ][seed] as [number, number, number],
      size,
    ),
  );
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shot = shots[(Math.floor(x / size) + Math.floor(y / size)) % 3] as Uint8Array;
      const s = ((y % size) * size + (x % size)) * 3;
      const o = (y * width + x) * channels;
      data.set([shot[s] as number, shot[s + 1] as number, shot[s + 2] as number], o);
      if (channels === 4) data[o + 3] = 255;
    }
  }
  return { width, height, channels, data };
}

const whole = async (image: RawImage) =>
  new Uint8Array(
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .removeAlpha()
      .jpeg(JPEG)
      .toBuffer(),
  );
const pixelsOf = async (jpeg: Uint8Array) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
/** Whether a JPEG declares a restart interval (a DRI segment before its scan): it was joined from strips. */
const restartInterval = (jpeg: Uint8Array): number | undefined => {
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at + 1] !== 0xda) {
    if (jpeg[at + 1] === 0xdd) return ((jpeg[at + 4] as number) << 8) | (jpeg[at + 5] as number);
    at += 2 + (((jpeg[at + 2] as number) << 8) | (jpeg[at + 3] as number));
  }
  return undefined;
};

for (const [name, encoder] of jpegEncoders) {
  describe(`a JPEG encoded in strips at once, by ${name}`, () => {
    for (const [width, height, channels] of [
      [1200, 600, 3],
      [1203, 613, 4],
      [640, 17, 3],
    ] as const) {
      it(`decodes to exactly the pixels of the same image encoded whole (${width}×${height}, ${channels} channels)`, async () => {
        const image = photoImage(width, height, channels);
        const joined = await encoder(2)(image);
        const alone = await encoder(1)(image);
        const rows = stripRows(width, height, 2) as number;
        expect(restartInterval(joined)).toBe(Math.ceil(width / 8) * (rows / 8));
        expect(restartInterval(alone)).toBeUndefined();
        const [a, b] = await Promise.all([pixelsOf(joined), pixelsOf(alone)]);
        expect(a.info).toMatchObject({ width, height, channels: 3 });
        expect(Buffer.compare(a.data, b.data)).toBe(0);
        // The DRI segment and a restart marker, a padded byte and a DC coded whole: a few bytes either way.
        expect(Math.abs(joined.byteLength - alone.byteLength)).toBeLessThan(40);
      });
    }

    it('encodes whole while another encode is under way, and on one core', async () => {
      const image = photoImage(1200, 600, 3);
      const encode = encoder(2);
      const [first, second] = await Promise.all([encode(image), encode(image)]);
      expect(restartInterval(first)).toBeDefined();
      expect(restartInterval(second)).toBeUndefined();
      expect(restartInterval(await encode(image))).toBeDefined();
      expect(restartInterval(await encoder(1)(image))).toBeUndefined();
    });
  });
}

describe('joining JPEG strips', () => {
  it('joins up to eight and more strips, restart markers cycling RST0–RST7, into one image', async () => {
    const image = photoImage(400, 800, 3);
    const rows = stripRows(image.width, image.height, 10) as number;
    expect(rows).toBe(80);
    const strips: Uint8Array[] = [];
    for (let y = 0; y < image.height; y += rows) {
      strips.push(await whole({ ...image, height: Math.min(rows, image.height - y), data: image.data.subarray(y * 1200, (y + rows) * 1200) }));
    }
    const joined = joinJpegStrips(strips, image.width, image.height, rows);
    const [a, b] = await Promise.all([pixelsOf(joined), pixelsOf(await whole(image))]);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
  });

  it('is not cut where a strip would be more MCUs than a restart interval counts, or smaller than one strip', () => {
    expect(stripRows(1200, 600, 2)).toBe(304);
    expect(stripRows(1200, 8, 2)).toBeUndefined();
    expect(stripRows(1200, 600, 1)).toBeUndefined();
    // 8,000 px wide is 1,000 MCUs a row: 66 rows of them would not fit in 16 bits.
    expect(stripRows(8000, 1056, 2)).toBeUndefined();
    expect(stripRows(8000, 1040, 2)).toBe(520);
  });

  it('refuses strips encoded with different tables', async () => {
    const image = photoImage(400, 160, 3);
    const top = await whole({ ...image, height: 80, data: image.data.subarray(0, 80 * 1200) });
    const bottom = new Uint8Array(
      await sharp(image.data.subarray(80 * 1200), { raw: { width: 400, height: 80, channels: 3 } })
        .jpeg({ ...JPEG, quality: 60 })
        .toBuffer(),
    );
    expect(() => joinJpegStrips([top, bottom], 400, 160, 80)).toThrow(/different tables/);
  });
});
