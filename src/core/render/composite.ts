import type { RawImage, RgbaImage } from '../ports.ts';

/**
 * Drawing rasterized tiles over a layer. A layer with no transparent pixel
 * (the usual: a block has a background) is kept as RGB, a quarter less to
 * copy and to encode; a tile keeps its colours and its alpha apart, and is
 * scanned once, when it is drawn, into runs: opaque runs are copied whole,
 * fully transparent pixels skipped, and only the pixels in between
 * (antialiased corners and text) blended, so placing a tile costs little
 * more than copying its opaque rows.
 */
export interface TileImage {
  width: number;
  height: number;
  rgb: Uint8Array;
  alpha: Uint8Array;
  /** Runs as (row, first column, end column, opaque 1 | blend 0), four numbers each. */
  runs: Int32Array;
}

/**
 * A tile already drawn over the one colour its box has in the layer (the
 * usual: cards on the block's background): opaque RGB, and only the pixels
 * that differ from that colour are kept. A row's runs of the colour at its
 * ends, and of `GAP` pixels or more within it, are left out (the layer
 * has that colour there); what is left is kept as spans, their pixels
 * packed one after another. A product card's text area is mostly its
 * background: the standard block's card, with photo-like photos, takes a
 * third less than its whole rows (330 KB for 481 KB), and is placed with a
 * copy per span.
 */
export interface FlatTile {
  width: number;
  height: number;
  /** The colour every pixel outside the spans has. */
  under: Rgb;
  /** The spans' pixels, span after span. */
  rgb: Uint8Array;
  /** Spans as (row, first column, end column), three numbers each, rows in order. */
  spans: Int32Array;
  flat: true;
}

export type Rgb = readonly [number, number, number];

/** Runs of a flat tile's colour inside a row shorter than this are kept with the pixels around them: a span costs 12 bytes and a copy. */
const GAP = 8;

/** A tile drawn over a colour, with the same arithmetic as `drawOver` uses over an opaque layer. */
export function flatTile(image: RgbaImage, under: Rgb): FlatTile {
  const { width, height, data } = image;
  const [ur, ug, ub] = under;
  const full = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const a = data[p * 4 + 3] as number;
    const rest = 255 - a;
    for (let c = 0; c < 3; c++) full[p * 3 + c] = (((data[p * 4 + c] as number) * a + (under[c] as number) * rest + 127) / 255) | 0;
  }
  const isUnder = (p: number) => full[p * 3] === ur && full[p * 3 + 1] === ug && full[p * 3 + 2] === ub;
  const spans: number[] = [];
  let kept = 0;
  for (let row = 0; row < height; row++) {
    const base = row * width;
    let column = 0;
    while (column < width && isUnder(base + column)) column++;
    while (column < width) {
      const start = column;
      // A span ends where a long enough run of the colour starts, or at the row's last other pixel.
      let end = column;
      while (column < width) {
        if (!isUnder(base + column)) {
          column++;
          end = column;
          continue;
        }
        let run = column;
        while (run < width && isUnder(base + run)) run++;
        if (run === width || run - column >= GAP) {
          column = run;
          break;
        }
        column = run;
        end = column;
      }
      spans.push(row, start, end);
      kept += end - start;
      while (column < width && isUnder(base + column)) column++;
    }
  }
  const rgb = new Uint8Array(kept * 3);
  for (let s = 0, at = 0; s < spans.length; s += 3) {
    const from = ((spans[s] as number) * width + (spans[s + 1] as number)) * 3;
    const to = from + ((spans[s + 2] as number) - (spans[s + 1] as number)) * 3;
    rgb.set(full.subarray(from, to), at);
    at += to - from;
  }
  return { width, height, under, rgb, spans: Int32Array.from(spans), flat: true };
}

/** The one colour of a rectangle of an RGB layer, or undefined when it has more than one. */
export function uniformColor(layer: RawImage, x: number, y: number, width: number, height: number): Rgb | undefined {
  if (layer.channels !== 3 || x < 0 || y < 0 || x + width > layer.width || y + height > layer.height) return undefined;
  const { data } = layer;
  const first = (y * layer.width + x) * 3;
  const r = data[first] as number;
  const g = data[first + 1] as number;
  const b = data[first + 2] as number;
  for (let row = y; row < y + height; row++) {
    for (let i = (row * layer.width + x) * 3, end = i + width * 3; i < end; i += 3) {
      if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) return undefined;
    }
  }
  return [r, g, b];
}

/**
 * Places a flat tile on an RGB layer with its top-left corner at (x, y):
 * a copy per span; what falls outside the layer is left out. `filled`: the
 * layer already has the tile's colour under the whole tile (the box it was
 * drawn for); otherwise the box is filled with it first.
 */
export function drawFlat(base: RawImage, tile: FlatTile, x: number, y: number, filled: boolean): void {
  const { data: out, width: baseWidth, height: baseHeight } = base;
  const { rgb, spans, width, height } = tile;
  const left = Math.max(0, -x);
  const right = Math.min(width, baseWidth - x);
  if (left >= right) return;
  if (!filled) {
    const line = new Uint8Array((right - left) * 3);
    for (let i = 0; i < line.length; i += 3) {
      line[i] = tile.under[0];
      line[i + 1] = tile.under[1];
      line[i + 2] = tile.under[2];
    }
    for (let row = Math.max(0, -y); row < height && y + row < baseHeight; row++) out.set(line, ((y + row) * baseWidth + x + left) * 3);
  }
  for (let s = 0, at = 0; s < spans.length; s += 3) {
    const row = spans[s] as number;
    const first = spans[s + 1] as number;
    const end = spans[s + 2] as number;
    const from = at;
    at += (end - first) * 3;
    const targetRow = y + row;
    if (targetRow < 0 || targetRow >= baseHeight) continue;
    const start = Math.max(first, left);
    const stop = Math.min(end, right);
    if (start >= stop) continue;
    const source = from + (start - first) * 3;
    const count = (stop - start) * 3;
    const target = (targetRow * baseWidth + x + start) * 3;
    if (count > 48) out.set(rgb.subarray(source, source + count), target);
    else for (let i = 0; i < count; i++) out[target + i] = rgb[source + i] as number;
  }
}

/** A rasterized layer as RGB when it is opaque, else as it is. */
export function layerImage(image: RgbaImage): RawImage {
  const { width, height, data } = image;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return { width, height, channels: 4, data };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    rgb[j] = data[i] as number;
    rgb[j + 1] = data[i + 1] as number;
    rgb[j + 2] = data[i + 2] as number;
  }
  return { width, height, channels: 3, data: rgb };
}

export function tileImage(image: RgbaImage): TileImage {
  const { width, height, data } = image;
  const rgb = new Uint8Array(width * height * 3);
  const alpha = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = data[p * 4] as number;
    rgb[p * 3 + 1] = data[p * 4 + 1] as number;
    rgb[p * 3 + 2] = data[p * 4 + 2] as number;
    alpha[p] = data[p * 4 + 3] as number;
  }
  const runs: number[] = [];
  for (let row = 0; row < height; row++) {
    const base = row * width;
    let column = 0;
    while (column < width) {
      const a = alpha[base + column] as number;
      if (a === 0) {
        column++;
        continue;
      }
      const opaque = a === 255;
      let end = column + 1;
      while (end < width) {
        const next = alpha[base + end] as number;
        if (next === 0 || (next === 255) !== opaque) break;
        end++;
      }
      runs.push(row, column, end, opaque ? 1 : 0);
      column = end;
    }
  }
  return { width, height, rgb, alpha, runs: Int32Array.from(runs) };
}

/** Draws `tile` over `base` with its top-left corner at (x, y), in place; what falls outside `base` is left out. */
export function drawOver(base: RawImage, tile: TileImage, x: number, y: number): void {
  const { data: out, width: baseWidth, height: baseHeight, channels } = base;
  const { rgb, alpha, width, runs } = tile;
  for (let r = 0; r < runs.length; r += 4) {
    const row = runs[r] as number;
    const targetRow = y + row;
    if (targetRow < 0 || targetRow >= baseHeight) continue;
    const start = Math.max(runs[r + 1] as number, -x);
    const end = Math.min(runs[r + 2] as number, baseWidth - x);
    if (start >= end) continue;
    const from = row * width + start;
    const to = targetRow * baseWidth + x + start;
    const opaque = runs[r + 3] === 1;
    if (opaque && channels === 3) {
      out.set(rgb.subarray(from * 3, (from + end - start) * 3), to * 3);
      continue;
    }
    for (let i = 0; i < end - start; i++) {
      const s = from + i;
      const o = (to + i) * channels;
      const a = alpha[s] as number;
      if (channels === 3 || out[o + 3] === 255) {
        // Over an opaque pixel (the usual layer), in integers.
        const rest = 255 - a;
        out[o] = (((rgb[s * 3] as number) * a + (out[o] as number) * rest + 127) / 255) | 0;
        out[o + 1] = (((rgb[s * 3 + 1] as number) * a + (out[o + 1] as number) * rest + 127) / 255) | 0;
        out[o + 2] = (((rgb[s * 3 + 2] as number) * a + (out[o + 2] as number) * rest + 127) / 255) | 0;
        continue;
      }
      const sa = a / 255;
      const da = ((out[o + 3] as number) / 255) * (1 - sa);
      const total = sa + da;
      out[o] = Math.round(((rgb[s * 3] as number) * sa + (out[o] as number) * da) / total);
      out[o + 1] = Math.round(((rgb[s * 3 + 1] as number) * sa + (out[o + 1] as number) * da) / total);
      out[o + 2] = Math.round(((rgb[s * 3 + 2] as number) * sa + (out[o + 2] as number) * da) / total);
      out[o + 3] = Math.round(total * 255);
    }
  }
}
