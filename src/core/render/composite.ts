import type { RgbaImage } from '../ports.ts';

/**
 * Drawing rasterized tiles over a layer (both straight-alpha RGBA). A tile
 * is scanned once, when it is drawn, into runs: opaque runs are copied
 * whole, fully transparent pixels skipped, and only the pixels in between
 * (antialiased corners and text) blended, so placing a tile costs little
 * more than copying its opaque rows.
 */
export interface TileImage extends RgbaImage {
  /** Runs as (row, first column, end column, opaque 1 | blend 0), four numbers each. */
  runs: Int32Array;
}

export function tileImage(image: RgbaImage): TileImage {
  const { width, height, data } = image;
  const runs: number[] = [];
  for (let row = 0; row < height; row++) {
    const base = row * width * 4 + 3;
    let column = 0;
    while (column < width) {
      const alpha = data[base + column * 4] as number;
      if (alpha === 0) {
        column++;
        continue;
      }
      const opaque = alpha === 255;
      let end = column + 1;
      while (end < width) {
        const next = data[base + end * 4] as number;
        if (next === 0 || (next === 255) !== opaque) break;
        end++;
      }
      runs.push(row, column, end, opaque ? 1 : 0);
      column = end;
    }
  }
  return { width, height, data, runs: Int32Array.from(runs) };
}

/** Draws `tile` over `base` with its top-left corner at (x, y), in place; what falls outside `base` is left out. */
export function drawOver(base: RgbaImage, tile: TileImage, x: number, y: number): void {
  const { data: out, width: baseWidth, height: baseHeight } = base;
  const { data: src, width, runs } = tile;
  for (let r = 0; r < runs.length; r += 4) {
    const row = runs[r] as number;
    const targetRow = y + row;
    if (targetRow < 0 || targetRow >= baseHeight) continue;
    const start = Math.max(runs[r + 1] as number, -x);
    const end = Math.min(runs[r + 2] as number, baseWidth - x);
    if (start >= end) continue;
    const from = (row * width + start) * 4;
    const to = (targetRow * baseWidth + x + start) * 4;
    if (runs[r + 3] === 1) {
      out.set(src.subarray(from, from + (end - start) * 4), to);
      continue;
    }
    for (let i = 0; i < (end - start) * 4; i += 4) blend(out, to + i, src, from + i);
  }
}

/** Source-over for one pixel, straight alpha in and out; over an opaque pixel (the usual layer) in integers. */
function blend(out: Uint8Array, o: number, src: Uint8Array, s: number): void {
  const alpha = src[s + 3] as number;
  if (out[o + 3] === 255) {
    const rest = 255 - alpha;
    out[o] = (((src[s] as number) * alpha + (out[o] as number) * rest + 127) / 255) | 0;
    out[o + 1] = (((src[s + 1] as number) * alpha + (out[o + 1] as number) * rest + 127) / 255) | 0;
    out[o + 2] = (((src[s + 2] as number) * alpha + (out[o + 2] as number) * rest + 127) / 255) | 0;
    return;
  }
  const a = alpha / 255;
  const b = ((out[o + 3] as number) / 255) * (1 - a);
  const total = a + b;
  out[o] = Math.round(((src[s] as number) * a + (out[o] as number) * b) / total);
  out[o + 1] = Math.round(((src[s + 1] as number) * a + (out[o + 1] as number) * b) / total);
  out[o + 2] = Math.round(((src[s + 2] as number) * a + (out[o + 2] as number) * b) / total);
  out[o + 3] = Math.round(total * 255);
}
