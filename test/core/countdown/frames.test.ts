import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { layoutWasm, loadFonts } from '../../../src/adapters/node/files.ts';
import { resvgNodeRasterizer } from '../../../src/adapters/raster/resvg-node.ts';
import { countdownBlockSchema, type CountdownBlock } from '../../../src/core/blocks/countdown.ts';
import { buildExpired, buildFace, type Art, type ArtDeps, type Face } from '../../../src/core/countdown/art.ts';
import { countdownGif, countdownPng } from '../../../src/core/countdown/frames.ts';
import type { Rect } from '../../../src/core/countdown/layout.ts';
import { initLayout } from '../../../src/core/render/layout.ts';
import { decodeFrames, diffBox, parseGif, type FramePixels } from '../../helpers/gif.ts';

const SCALE = 2;
let deps: ArtDeps;
let block: CountdownBlock;
let face: Face;
let expired: Art;

beforeAll(async () => {
  await initLayout(await layoutWasm());
  deps = { rasterizer: resvgNodeRasterizer(), fonts: await loadFonts(), scale: SCALE, loadImage: () => Promise.reject(new Error('no images here')) };
  block = countdownBlockSchema.parse({
    id: 'timer',
    kind: 'countdown',
    size: { width: 600, height: 150 },
    deadline: '2026-12-24T23:59:00Z',
    url: 'https://shop.example.com/sale',
    params: { headline: 'The sale ends in', background: '#fff7ed', box: '#b91c1c' },
    expired: { text: 'The sale has ended' },
    fallback: { url: 'https://shop.example.com/' },
  });
  face = await buildFace(deps, block, 2);
  expired = await buildExpired(deps, block);
});

const DAY = 86_400;
/** 3 days, 4 hours, 5 minutes and 30 seconds: the minutes do not roll over within 30 frames. */
const LEFT = 3 * DAY + 4 * 3600 + 5 * 60 + 30;
const never = () => {
  throw new Error('the deadline is not inside this window');
};

/** A unit's box in device pixels. */
function boxOf(unit: number): Rect {
  const box = face.layout.boxes[unit];
  if (!box) throw new Error(`no box ${unit}`);
  return { x: box.x * SCALE, y: box.y * SCALE, width: box.width * SCALE, height: box.height * SCALE };
}

const inside = (inner: Rect | undefined, outer: Rect) =>
  inner !== undefined && inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

function samePixels(a: FramePixels, b: { data: Uint8Array }): boolean {
  return Buffer.from(a.data).equals(Buffer.from(b.data));
}

describe('countdown GIF', () => {
  it('has one frame per second, 100 cs each, and plays once', async () => {
    const gif = countdownGif(face, LEFT, 60, never);
    const structure = parseGif(gif);
    expect(structure.frames).toHaveLength(60);
    expect(structure.frames.every((f) => f.delayCs === 100)).toBe(true);
    expect(structure.loop).toBeUndefined();
    const { frames, delaysMs, loop } = await decodeFrames(gif);
    expect(frames).toHaveLength(60);
    expect(delaysMs.every((d) => d === 1000)).toBe(true);
    expect(loop).toBe(1);
    expect([structure.width, structure.height]).toEqual([1200, 300]);
  });

  it('draws the first frame whole and later frames as the rectangle that changed', () => {
    const structure = parseGif(countdownGif(face, LEFT, 30, never));
    expect(structure.frames[0]).toMatchObject({ x: 0, y: 0, width: 1200, height: 300, localPalette: 0 });
    const seconds = boxOf(3);
    for (const frame of structure.frames.slice(1)) {
      expect(inside(frame, seconds)).toBe(true);
      expect(frame.transparentIndex).toBe(face.transparentIndex);
      expect(frame.localPalette).toBe(0);
    }
    expect(structure.globalPalette).toBeLessThanOrEqual(256);
  });

  it('changes only the seconds from one frame to the next, until the minutes roll over', async () => {
    const { frames } = await decodeFrames(countdownGif(face, LEFT, 32, never));
    const seconds = boxOf(3);
    const minutesAndSeconds = { x: boxOf(2).x, y: seconds.y, width: seconds.x + seconds.width - boxOf(2).x, height: seconds.height };
    for (let k = 1; k < 32; k++) {
      const changed = diffBox(frames[k - 1] as FramePixels, frames[k] as FramePixels);
      // Frame 30 shows 05:00 after 05:01; frame 31 shows 04:59.
      expect(inside(changed, k === 31 ? minutesAndSeconds : seconds), `frame ${k}`).toBe(true);
    }
  });

  it('shows the same digit the same way in every frame', async () => {
    // 30 s left at frame 0 and 20 s left at frame 10: the ones digit is 0 in both, the tens digit differs.
    const { frames } = await decodeFrames(countdownGif(face, LEFT, 12, never));
    const cells = face.cells[3] ?? [];
    const cellPixels = (frame: FramePixels, cell: number) => {
      const corner = cells[cell] as { x: number; y: number };
      const out: number[] = [];
      for (let y = 0; y < face.digits[0]!.index.height; y++) for (let x = 0; x < face.digits[0]!.index.width; x++) out.push(...frame.at(corner.x + x, corner.y + y));
      return out;
    };
    expect(cellPixels(frames[0] as FramePixels, 1)).toEqual(cellPixels(frames[10] as FramePixels, 1));
    expect(cellPixels(frames[0] as FramePixels, 0)).not.toEqual(cellPixels(frames[10] as FramePixels, 0));
  });

  it('starts one second on in the next second: only the seconds of the first frame differ', async () => {
    const [now, later] = await Promise.all([countdownGif(face, LEFT, 60, never), countdownGif(face, LEFT - 1, 60, never)].map(decodeFrames));
    const changed = diffBox(now!.frames[0] as FramePixels, later!.frames[0] as FramePixels);
    expect(changed).toBeDefined();
    expect(inside(changed, boxOf(3))).toBe(true);
    // The GIF one second later is the same animation, one frame ahead.
    expect(samePixels(now!.frames[1] as FramePixels, later!.frames[0] as FramePixels)).toBe(true);
  });

  it('shows the expired state from the deadline on when it falls inside the window', async () => {
    const gif = countdownGif(face, 10, 60, () => expired);
    const structure = parseGif(gif);
    expect(structure.frames).toHaveLength(60);
    // The frame where it ends carries the expired state's own palette; after it nothing changes.
    expect(structure.frames[10]).toMatchObject({ x: 0, y: 0, width: 1200, height: 300 });
    expect(structure.frames[10]?.localPalette).toBeGreaterThan(0);
    expect(structure.frames.slice(11).every((f) => f.width === 1 && f.height === 1)).toBe(true);
    const { frames } = await decodeFrames(gif);
    const expiredFrame = await sharp(countdownExpiredGif()).removeAlpha().raw().toBuffer();
    for (const k of [10, 11, 59]) expect(samePixels(frames[k] as FramePixels, { data: new Uint8Array(expiredFrame) }), `frame ${k}`).toBe(true);
    expect(samePixels(frames[9] as FramePixels, { data: new Uint8Array(expiredFrame) })).toBe(false);
  });

  it('is the expired state alone, one frame, once the deadline has passed', async () => {
    for (const left of [0, -1, -90 * DAY]) {
      const gif = countdownGif(face, left, 60, () => expired);
      expect(parseGif(gif).frames).toHaveLength(1);
      expect(Buffer.from(gif).equals(Buffer.from(countdownExpiredGif()))).toBe(true);
    }
  });

  it('stays within the budget of 150 KB for 60 frames at 1200×300', () => {
    const sizes = [LEFT, 59, 3600 * 99 + 30].map((left) => countdownGif(face, left, 60, () => expired).length);
    for (const size of sizes) expect(size).toBeLessThan(150 * 1024);
  });
});

function countdownExpiredGif(): Uint8Array {
  return countdownGif(face, 0, 60, () => expired);
}

describe('countdown PNG still', () => {
  it('is the first frame at full colour, 1200×300', async () => {
    const png = await countdownPng(face, LEFT);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1200, 300]);
    const still = await sharp(png).removeAlpha().raw().toBuffer();
    const { frames } = await decodeFrames(countdownGif(face, LEFT, 1, never));
    const first = frames[0] as FramePixels;
    // The GIF's 255 colours are close to the PNG's; the digits are in the same places.
    let off = 0;
    for (let i = 0; i < still.length; i++) off += Math.abs((still[i] as number) - (first.data[i] as number));
    expect(off / still.length).toBeLessThan(2);
  });
});
