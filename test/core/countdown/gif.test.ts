import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeGif, type Color } from '../../../src/core/countdown/gif.ts';
import { decodeFrames, parseGif } from '../../helpers/gif.ts';

const RED: Color = [220, 40, 40];
const WHITE: Color = [255, 255, 255];
const BLUE: Color = [30, 60, 200];

describe('encodeGif', () => {
  it('writes frames as rectangles at their position, over what was there', async () => {
    // 4×2 white; then a red 2×1 at (1, 1); then a blue pixel at (3, 0) with a transparent neighbour.
    const gif = encodeGif(
      4,
      2,
      [WHITE, RED, BLUE, WHITE],
      [
        { x: 0, y: 0, width: 4, height: 2, indices: new Uint8Array(8), delayCs: 100 },
        { x: 1, y: 1, width: 2, height: 1, indices: new Uint8Array([1, 1]), delayCs: 100, transparentIndex: 3 },
        { x: 2, y: 0, width: 2, height: 1, indices: new Uint8Array([3, 2]), delayCs: 100, transparentIndex: 3 },
      ],
    );
    const { frames, delaysMs, loop } = await decodeFrames(gif);
    expect(frames).toHaveLength(3);
    expect(delaysMs).toEqual([1000, 1000, 1000]);
    expect(loop).toBe(1);
    const row = (f: number, y: number) => [0, 1, 2, 3].map((x) => frames[f]?.at(x, y));
    expect(row(0, 1)).toEqual([WHITE, WHITE, WHITE, WHITE]);
    expect(row(1, 1)).toEqual([WHITE, RED, RED, WHITE]);
    expect(row(2, 0)).toEqual([WHITE, WHITE, WHITE, BLUE]);
    expect(row(2, 1)).toEqual([WHITE, RED, RED, WHITE]);
  });

  it('plays once: no loop extension, disposal "leave in place", the delays given', () => {
    const gif = encodeGif(
      2,
      2,
      [WHITE, RED],
      [
        { x: 0, y: 0, width: 2, height: 2, indices: new Uint8Array(4), delayCs: 100 },
        { x: 1, y: 1, width: 1, height: 1, indices: new Uint8Array([1]), delayCs: 50, transparentIndex: 0 },
      ],
    );
    const parsed = parseGif(gif);
    expect(parsed.loop).toBeUndefined();
    expect(parsed.globalPalette).toBe(2);
    expect(parsed.frames.map((f) => [f.x, f.y, f.width, f.height, f.delayCs, f.disposal, f.transparentIndex])).toEqual([
      [0, 0, 2, 2, 100, 1, undefined],
      [1, 1, 1, 1, 50, 1, 0],
    ]);
  });

  it('gives a frame its own palette when it has one', async () => {
    const gif = encodeGif(
      2,
      1,
      [WHITE],
      [
        { x: 0, y: 0, width: 2, height: 1, indices: new Uint8Array(2), delayCs: 100 },
        { x: 0, y: 0, width: 2, height: 1, indices: new Uint8Array([0, 1]), delayCs: 100, palette: [BLUE, RED, WHITE] },
      ],
    );
    expect(parseGif(gif).frames.map((f) => f.localPalette)).toEqual([0, 4]);
    const { frames } = await decodeFrames(gif);
    expect([frames[1]?.at(0, 0), frames[1]?.at(1, 0)]).toEqual([BLUE, RED]);
  });

  it('encodes a large frame that libvips reads back exactly', async () => {
    const width = 1200;
    const height = 300;
    const indices = new Uint8Array(width * height);
    for (let i = 0; i < indices.length; i++) indices[i] = (i % width) % 7 === 0 ? 1 : 0;
    const gif = encodeGif(width, height, [WHITE, RED], [{ x: 0, y: 0, width, height, indices, delayCs: 100 }]);
    const { data, info } = await sharp(gif).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([width, height]);
    let wrong = 0;
    for (let i = 0; i < indices.length; i++) if (data[i * 3 + 1] !== (indices[i] ? 40 : 255)) wrong++;
    expect(wrong).toBe(0);
  });

  it('refuses a palette it cannot write and frames whose size does not match', () => {
    expect(() => encodeGif(1, 1, [], [])).toThrow(/1–256 palette colours, received 0/);
    expect(() => encodeGif(2, 2, [WHITE], [{ x: 0, y: 0, width: 2, height: 2, indices: new Uint8Array(3), delayCs: 0 }])).toThrow(/2×2 has 3 indices/);
  });
});
