import { describe, expect, it } from 'vitest';
import { sharpPngEncoder } from '../../src/adapters/raster/sharp-png.ts';
import { decode } from '../helpers/pixels.ts';
import sharp from 'sharp';

/** A block-like image: white, with three cards of soft radial gradients (as product photos on tinted backgrounds). */
function cardsOnWhite(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3).fill(255);
  const tints: Array<[number, number, number]> = [
    [236, 228, 250],
    [252, 232, 230],
    [252, 244, 220],
  ];
  const cardWidth = Math.floor(width * 0.3);
  const cardHeight = Math.floor(height * 0.45);
  tints.forEach((tint, card) => {
    const left = Math.floor(width * 0.03) + card * Math.floor(width * 0.32);
    const top = Math.floor(height * 0.2);
    for (let y = 0; y < cardHeight; y++) {
      for (let x = 0; x < cardWidth; x++) {
        const dx = (x - cardWidth / 2) / cardWidth;
        const dy = (y - cardHeight / 2) / cardHeight;
        const glow = Math.max(0, 1 - Math.sqrt(dx * dx + dy * dy) * 1.6);
        const i = ((top + y) * width + left + x) * 3;
        for (let c = 0; c < 3; c++) data[i + c] = Math.round((tint[c] as number) + (255 - (tint[c] as number)) * glow * 0.8);
      }
    }
  });
  return data;
}

describe('the sharp PNG encoder', () => {
  it('re-encodes a served block smaller, without speckles on its white and without banding its gradients', async () => {
    const width = 1200;
    const height = 600;
    const raw = cardsOnWhite(width, height);
    const encoder = sharpPngEncoder();
    const fast = await encoder.png({ width, height, channels: 3, data: raw }, 'fast');
    const small = await encoder.recompress!(fast);
    expect(small.byteLength).toBeLessThan(fast.byteLength / 2);

    const before = await sharp(fast).raw().toBuffer();
    const after = await sharp(small).raw().toBuffer();
    const channels = before.byteLength / (width * height);
    let white = 0;
    let speckled = 0;
    let worst = 0;
    for (let p = 0; p < width * height; p++) {
      const i = p * channels;
      const diff = Math.max(...[0, 1, 2].map((c) => Math.abs((before[i + c] as number) - (after[i + c] as number))));
      worst = Math.max(worst, diff);
      if (before[i] === 255 && before[i + 1] === 255 && before[i + 2] === 255) {
        white++;
        if (diff > 3) speckled++;
      }
    }
    // Full-strength dithering left about 0.16% of the demo block's white speckled; half strength, under 0.03%.
    expect(speckled / white).toBeLessThan(0.0005);
    // No colour moves far: the gradients keep their look.
    expect(worst).toBeLessThan(24);
    expect((await decode(small)).width).toBe(width);
  });
});
