import { describe, expect, it } from 'vitest';
import { cropImage, outputRect, partRects, sliceLayout } from '../../../src/core/render/slices.ts';

const size = { width: 600, height: 300 };
const card = (left: number, top: number, width = 180, height = 220) => ({ left, top, width, height });

describe('sliceLayout: where a block is cut into parts', () => {
  it('cuts a row of cards into a head, one cell per card (cut half way between cards) and a foot', () => {
    const layout = sliceLayout([card(16, 60), card(210, 60), card(404, 60)], size);
    expect(partRects(layout ?? { width: 0, height: 0, rows: [] })).toEqual([
      { part: 'head', slot: undefined, x: 0, y: 0, width: 600, height: 60 },
      { part: '0', slot: 0, x: 0, y: 60, width: 203, height: 220 },
      { part: '1', slot: 1, x: 203, y: 60, width: 194, height: 220 },
      { part: '2', slot: 2, x: 397, y: 60, width: 203, height: 220 },
      { part: 'foot', slot: undefined, x: 0, y: 280, width: 600, height: 20 },
    ]);
  });

  it('cuts a 2×2 grid by row and column, the rows half way between them', () => {
    const rects = partRects(
      sliceLayout([card(20, 50, 270, 240), card(310, 50, 270, 240), card(20, 310, 270, 240), card(310, 310, 270, 240)], { width: 600, height: 600 }) ?? {
        width: 0,
        height: 0,
        rows: [],
      },
    );
    expect(rects.map((r) => [r.part, r.x, r.y, r.width, r.height])).toEqual([
      ['head', 0, 0, 600, 50],
      ['0', 0, 50, 300, 250],
      ['1', 300, 50, 300, 250],
      ['2', 0, 300, 300, 250],
      ['3', 300, 300, 300, 250],
      ['foot', 0, 550, 600, 50],
    ]);
  });

  it('splits the one card of a wide block into its product and its text', () => {
    const rects = partRects(sliceLayout([card(20, 60, 560, 180)], { width: 600, height: 260 }, { at: 20 + 190 }) ?? { width: 0, height: 0, rows: [] });
    expect(rects.map((r) => [r.part, r.slot, r.x, r.width])).toEqual([
      ['head', undefined, 0, 600],
      ['0', 0, 0, 210],
      ['text', 0, 210, 390],
      ['foot', undefined, 0, 600],
    ]);
  });

  it('does not cut cards that overlap', () => {
    expect(sliceLayout([card(16, 60), card(100, 60)], size)).toBeUndefined();
    expect(sliceLayout([card(16, 60), card(16, 200)], size)).toBeUndefined();
    expect(sliceLayout([], size)).toBeUndefined();
  });
});

describe('outputRect and cropImage', () => {
  it('rounds the edges of neighbouring parts alike, so that they meet exactly at any scale', () => {
    const left = outputRect({ part: '0', slot: 0, x: 0, y: 0, width: 203, height: 10 }, 1.5);
    const right = outputRect({ part: '1', slot: 1, x: 203, y: 0, width: 194, height: 10 }, 1.5);
    expect(left.x + left.width).toBe(right.x);
  });

  it('copies one rectangle of an image', () => {
    const data = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => i);
    const crop = cropImage({ width: 4, height: 3, channels: 3, data }, { x: 1, y: 1, width: 2, height: 2 });
    expect([crop.width, crop.height]).toEqual([2, 2]);
    expect(Array.from(crop.data)).toEqual([15, 16, 17, 18, 19, 20, 27, 28, 29, 30, 31, 32]);
  });
});
