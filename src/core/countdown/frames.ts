import { encodePng } from '../render/png.ts';
import type { Art, Face } from './art.ts';
import { encodeGif, type GifFrame } from './gif.ts';
import type { Plane } from './pixels.ts';
import { digitsOf, split } from './units.ts';

/**
 * Frames from pre-rendered parts: the face with digit tiles pasted in. The
 * first frame is complete (it is all Outlook shows); every later frame is
 * only the rectangle around the pixels that changed, with the pixels inside
 * it that did not change marked transparent, so a ticking second costs a
 * few hundred bytes.
 */
export const FRAME_DELAY_CS = 100;

/** The digit in each cell, unit by unit, for `seconds` left. */
function digitsFor(face: Face, seconds: number): number[][] {
  const values = split(seconds, face.units);
  return face.cells.map((cells, u) => Array.from(digitsOf(values[u] ?? 0, cells.length).slice(-cells.length), Number));
}

function paintDigits(face: Face, target: Plane, digits: number[][], kind: 'index' | 'rgba'): void {
  face.cells.forEach((cells, u) =>
    cells.forEach((corner, c) => {
      const tile = face.digits[digits[u]?.[c] ?? 0];
      if (!tile) return;
      const plane = tile[kind];
      const { channels } = target;
      for (let row = 0; row < plane.height; row++) {
        const from = row * plane.width * channels;
        target.data.set(plane.data.subarray(from, from + plane.width * channels), ((corner.y + row) * target.width + corner.x) * channels);
      }
    }),
  );
}

/** The still: the face with the digits for `seconds` left, as a PNG. */
export function countdownPng(face: Face, seconds: number): Promise<Uint8Array> {
  const frame: Plane = { ...face.rgba, data: face.rgba.data.slice() };
  paintDigits(face, frame, digitsFor(face, seconds), 'rgba');
  return encodePng(frame.width, frame.height, frame.data);
}

export function artPng(art: Art): Promise<Uint8Array> {
  return encodePng(art.rgba.width, art.rgba.height, art.rgba.data);
}

/** A one-frame GIF of a finished image (the expired state, the static fallback). */
export function artGif(art: Art): Uint8Array {
  const { width, height } = art.index;
  return encodeGif(width, height, art.palette, [{ x: 0, y: 0, width, height, indices: art.index.data, delayCs: FRAME_DELAY_CS }]);
}

/**
 * The animation: `frames` seconds from `seconds` left. Seconds at or past
 * the deadline show `expired` (the frame where it starts carries its own
 * palette); the GIF always has `frames` frames, so it runs for the same
 * time whatever it shows. With no time left at all, the expired state alone.
 */
export function countdownGif(face: Face, seconds: number, frames: number, expired: () => Art): Uint8Array {
  if (seconds <= 0) return artGif(expired());
  const { width, height } = face.index;
  const current: Plane = { ...face.index, data: face.index.data.slice() };
  let shown = digitsFor(face, seconds);
  paintDigits(face, current, shown, 'index');
  const out: GifFrame[] = [{ x: 0, y: 0, width, height, indices: current.data.slice(), delayCs: FRAME_DELAY_CS }];
  const unchanged: GifFrame = { x: 0, y: 0, width: 1, height: 1, indices: new Uint8Array([face.transparentIndex]), delayCs: FRAME_DELAY_CS, transparentIndex: face.transparentIndex };

  let ended = false;
  for (let k = 1; k < frames; k++) {
    const left = seconds - k;
    if (left <= 0) {
      if (ended) {
        out.push(unchanged);
        continue;
      }
      ended = true;
      const art = expired();
      out.push({ x: 0, y: 0, width, height, indices: art.index.data, delayCs: FRAME_DELAY_CS, palette: art.palette });
      continue;
    }
    const next = digitsFor(face, left);
    out.push(changedRect(face, current, shown, next) ?? unchanged);
    shown = next;
  }
  return encodeGif(width, height, face.palette, out);
}

/**
 * The smallest rectangle holding every pixel that differs between the
 * digits shown and the next ones, updating `current` as it goes; undefined
 * when nothing changes (the seconds are not shown, say).
 */
function changedRect(face: Face, current: Plane, shown: number[][], next: number[][]): GifFrame | undefined {
  const changes: Array<{ x: number; y: number; tile: Plane }> = [];
  face.cells.forEach((cells, u) =>
    cells.forEach((corner, c) => {
      const digit = next[u]?.[c] ?? 0;
      if (digit !== shown[u]?.[c]) changes.push({ ...corner, tile: (face.digits[digit] as Face['digits'][number]).index });
    }),
  );
  if (changes.length === 0) return undefined;

  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  for (const { x, y, tile } of changes) {
    for (let row = 0; row < tile.height; row++) {
      const base = (y + row) * current.width + x;
      for (let col = 0; col < tile.width; col++) {
        if (current.data[base + col] === tile.data[row * tile.width + col]) continue;
        if (x + col < left) left = x + col;
        if (x + col > right) right = x + col;
        if (y + row < top) top = y + row;
        if (y + row > bottom) bottom = y + row;
      }
    }
  }
  if (right < 0) return undefined; // digits changed, but to identical pixels

  const width = right - left + 1;
  const height = bottom - top + 1;
  const indices = new Uint8Array(width * height).fill(face.transparentIndex);
  for (const { x, y, tile } of changes) {
    for (let row = 0; row < tile.height; row++) {
      const base = (y + row) * current.width + x;
      for (let col = 0; col < tile.width; col++) {
        const value = tile.data[row * tile.width + col] as number;
        if (current.data[base + col] === value) continue;
        current.data[base + col] = value;
        indices[(y + row - top) * width + (x + col - left)] = value;
      }
    }
  }
  return { x: left, y: top, width, height, indices, delayCs: FRAME_DELAY_CS, transparentIndex: face.transparentIndex };
}
