import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sharpPngEncoder } from '../../src/adapters/raster/sharp-png.ts';
import { chooseFormat, imageContentType, looksPhotographic } from '../../src/core/render/image-format.ts';
import { decode } from '../helpers/pixels.ts';
import { photoLikePixels } from '../helpers/photo-like.ts';

/** A 1200×600 block-like RGBA image: white, a flat coloured card per third, or a photo-like shot in each. */
function block(photos: boolean): Uint8Array {
  const width = 1200;
  const height = 600;
  const out = new Uint8Array(width * height * 4).fill(255);
  const shot = photoLikePixels(1, [30, 70, 220], 300);
  for (let card = 0; card < 3; card++) {
    for (let y = 0; y < 300; y++) {
      for (let x = 0; x < 300; x++) {
        const o = ((150 + y) * width + 50 + card * 400 + x) * 4;
        const i = (y * 300 + x) * 3;
        out.set(photos ? [shot[i] as number, shot[i + 1] as number, shot[i + 2] as number] : [30, 70, 220], o);
      }
    }
  }
  return out;
}

describe('choosing the format of a render', () => {
  it('is a JPEG for photos, a PNG for flat colours or transparency, and whatever a block forces', () => {
    const image = (data: Uint8Array) => ({ width: 1200, height: 600, channels: 4 as const, data });
    expect(chooseFormat(image(block(true)), 'auto')).toBe('jpeg');
    expect(chooseFormat(image(block(false)), 'auto')).toBe('png');
    const transparent = block(true);
    transparent[3] = 0;
    expect(chooseFormat(image(transparent), 'auto')).toBe('png');
    expect(chooseFormat(image(block(true)), 'png')).toBe('png');
    expect(chooseFormat(image(block(false)), 'jpeg')).toBe('jpeg');
  });

  it('finds the photos wherever they are in the block, and in a transparent frame', () => {
    // Photos in the bottom rows only, or the top rows only: the sample stops early either way, with the same answer.
    const width = 1200;
    const height = 600;
    const band = (top: boolean) => {
      const data = new Uint8Array(width * height * 4).fill(255);
      const shot = photoLikePixels(2, [200, 40, 40], 300);
      for (let y = 0; y < 360; y++) {
        for (let x = 0; x < width; x++) {
          const i = ((y % 300) * 300 + (x % 300)) * 3;
          data.set([shot[i] as number, shot[i + 1] as number, shot[i + 2] as number], ((top ? y : height - 1 - y) * width + x) * 4);
        }
      }
      return { width, height, channels: 4 as const, data };
    };
    expect(chooseFormat(band(true), 'auto')).toBe('jpeg');
    expect(chooseFormat(band(false), 'auto')).toBe('jpeg');
    // A photo with its transparent pixels around it counts only what is drawn.
    const framed = band(true);
    for (let i = 3; i < framed.data.length; i += 4) if (Math.floor(i / 4 / width) >= 360) framed.data[i] = 0;
    expect(looksPhotographic(framed)).toBe(true);
    for (let i = 3; i < framed.data.length; i += 4) if (Math.floor(i / 4 / width) < 300) framed.data[i] = 0; // a tenth of the block drawn
    expect(looksPhotographic(framed)).toBe(false);
  });

  it('sends the Content-Type of the bytes', async () => {
    const encoder = sharpPngEncoder();
    const image = { width: 1200, height: 600, channels: 4 as const, data: block(true) };
    expect(imageContentType(await encoder.jpeg!(image))).toBe('image/jpeg');
    expect(imageContentType(await encoder.png(image, 'fast'))).toBe('image/png');
    expect(
      imageContentType(
        new Uint8Array(
          await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } })
            .gif()
            .toBuffer(),
        ),
      ),
    ).toBe('image/gif');
  });

  it('encodes photos as a JPEG a fraction of the fast PNG, opaque, in their colours', async () => {
    const encoder = sharpPngEncoder();
    const image = { width: 1200, height: 600, channels: 4 as const, data: block(true) };
    const jpeg = await encoder.jpeg!(image);
    const png = await encoder.png(image, 'fast');
    expect(jpeg.byteLength).toBeLessThan(png.byteLength / 3);
    const seen = await decode(jpeg);
    expect([seen.format, seen.width, seen.height]).toEqual(['jpeg', 1200, 600]);
    for (const channel of seen.at(10, 10)) expect(channel).toBeGreaterThan(245); // the white around the cards
    const [r, g, b] = seen.at(200, 300); // the middle of the first photo: its blue
    expect(b).toBeGreaterThan(r + 100);
    expect(b).toBeGreaterThan(g + 80);
  });
});
