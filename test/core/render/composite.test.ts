import { describe, expect, it } from 'vitest';
import { drawFlat, drawOver, flatTile, tileImage, type Rgb } from '../../../src/core/render/composite.ts';
import type { RawImage, RgbaImage } from '../../../src/core/ports.ts';
import { seededUniform } from '../../../src/core/recommend/sampler.ts';

/**
 * A flat tile keeps only the pixels that differ from the colour under it:
 * placed on a layer, it must give exactly the pixels the tile with its alpha
 * gives drawn over that colour, whether the layer already has the colour
 * there or not, and wherever the layer's edge cuts it.
 */

/** A card-like tile: a noisy photo on top, text-like strokes with antialiased edges below, the rest transparent or in the card's colour. */
function card(width: number, height: number, under: Rgb, seed: number): RgbaImage {
  const next = seededUniform(seed);
  const data = new Uint8Array(width * height * 4);
  const photo = Math.floor(height * 0.6);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (y < photo) {
        const corner = (x < 6 || x >= width - 6) && (y < 6 || y >= photo - 6);
        data.set([next() * 256, next() * 256, next() * 256, corner ? Math.floor(next() * 256) : 255], i);
      } else if (next() < 0.15) {
        // A stroke: opaque ink, an antialiased edge, or a pixel of exactly the colour under the tile.
        const kind = next();
        if (kind < 0.4) data.set([20, 20, 30, 255], i);
        else if (kind < 0.8) data.set([20, 20, 30, 1 + Math.floor(next() * 254)], i);
        else data.set([...under, 255], i);
      } else if (next() < 0.5) data.set([...under, 255], i);
      // else: transparent
    }
  }
  return { width, height, data };
}

function layer(width: number, height: number, fill: (x: number, y: number) => Rgb): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

const copy = (image: RawImage): RawImage => ({ ...image, data: new Uint8Array(image.data) });

describe('flat tiles', () => {
  const under: Rgb = [255, 255, 255];

  it('composite to exactly the pixels of the tile with its alpha drawn over their colour', () => {
    for (const [seed, width, height] of [
      [1, 37, 23],
      [2, 120, 90],
      [3, 8, 8],
      [4, 1, 5],
    ] as const) {
      const tile = card(width, height, under, seed);
      const flat = flatTile(tile, under);
      // Over a layer with the colour under the tile (and something else around it).
      const base = layer(width + 40, height + 30, (x, y) => (x >= 20 && x < 20 + width && y >= 10 && y < 10 + height ? under : [(x * 7) % 256, (y * 5) % 256, 90]));
      const expected = copy(base);
      drawOver(expected, tileImage(tile), 20, 10);
      const filled = copy(base);
      drawFlat(filled, flat, 20, 10, true);
      expect(Buffer.from(filled.data).equals(Buffer.from(expected.data))).toBe(true);
      // Over a layer of another colour: the tile's box is filled with its colour first.
      const other = layer(width + 40, height + 30, (x, y) => [(x * 3) % 256, (y * 11) % 256, 17]);
      const reference = layer(width + 40, height + 30, (x, y) => (x >= 20 && x < 20 + width && y >= 10 && y < 10 + height ? under : [(x * 3) % 256, (y * 11) % 256, 17]));
      drawOver(reference, tileImage(tile), 20, 10);
      const unfilled = copy(other);
      drawFlat(unfilled, flat, 20, 10, false);
      expect(Buffer.from(unfilled.data).equals(Buffer.from(reference.data))).toBe(true);
    }
  });

  it('keep fewer bytes than the whole tile where it has its colour, and none of a tile that is only that colour', () => {
    const tile = card(200, 150, [250, 248, 240], 9);
    const flat = flatTile(tile, [250, 248, 240]);
    expect(flat.rgb.byteLength).toBeLessThan(200 * 150 * 3 * 0.8);
    const blank = flatTile({ width: 50, height: 40, data: new Uint8Array(50 * 40 * 4) }, [1, 2, 3]);
    expect(blank.rgb.byteLength).toBe(0);
    expect(blank.spans.length).toBe(0);
  });

  it('are cut at the layer’s edges as the tile with its alpha is', () => {
    const tile = card(64, 48, under, 5);
    const flat = flatTile(tile, under);
    for (const [x, y] of [
      [-10, -7],
      [30, 20],
      [-70, 0],
      [50, -40],
      [0, 60],
    ] as const) {
      const base = layer(80, 60, (px, py) => [(px * 13) % 256, (py * 17) % 256, 200]);
      const expected = copy(base);
      // The reference: the tile's box filled with its colour, within the layer, then the tile over it.
      for (let row = Math.max(0, y); row < Math.min(60, y + 48); row++) {
        for (let column = Math.max(0, x); column < Math.min(80, x + 64); column++) expected.data.set(under, (row * 80 + column) * 3);
      }
      drawOver(expected, tileImage(tile), x, y);
      const placed = copy(base);
      drawFlat(placed, flat, x, y, false);
      expect(Buffer.from(placed.data).equals(Buffer.from(expected.data))).toBe(true);
    }
  });
});
