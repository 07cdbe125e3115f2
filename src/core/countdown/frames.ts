import { encodePng } from '../render/png.ts';
import type { Art, Face } from './art.ts';
import { encodeFrame, encodeGif, type GifFrame } from './gif.ts';
import type { Plane } from './pixels.ts';
import { digitsOf, split } from './units.ts';

/**
 * Frames from pre-rendered parts: the face with digit tiles pasted in. The
 * first frame is complete (it is all Outlook shows); every later frame is
 * only the rectangle around the pixels that changed, with the pixels inside
 * it that did not change marked transparent, so a ticking second costs a
 * few hundred bytes, and is encoded once and reused.
 */
export const FRAME_DELAY_CS = 100;

/** The digit in each cell, unit by unit, for `seconds` left. */
function digitsFor(face: Face, seconds: number): number[][] {
  const values = split(seconds, face.units);
  return face.cells.map((cells, u) => Array.from(digitsOf(values[u] ?? 0, cells.length).slice(-cells.length), Number));
}

function paintDigits(face: Face, target: Plane, digits: number[][], kind: 'index' | 'rgba'): void {
  face.cells.forEach((cells, u) => {
    cells.forEach((corner, c) => {
      const tile = face.digits[digits[u]?.[c] ?? 0];
      if (!tile) return;
      const plane = tile[kind];
      const { channels } = target;
      for (let row = 0; row < plane.height; row++) {
        const from = row * plane.width * channels;
        target.data.set(plane.data.subarray(from, from + plane.width * channels), ((corner.y + row) * target.width + corner.x) * channels);
      }
    });
  });
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
 * Encoded frames by the digits they change ("3.1:5>4" = unit 3, cell 1,
 * from 5 to 4), per face. A frame is a pure function of that change: the
 * cells only ever hold digit tiles. Sixty seconds of one countdown reuse a
 * handful of them, and the next second's GIF reuses them all.
 */
const frameMemo = new WeakMap<Face, Map<string, Uint8Array>>();
/** Distinct changes are few (digit pairs per cell); the bound only guards memory. */
const MAX_MEMO_FRAMES = 4096;

function memoOf(face: Face): Map<string, Uint8Array> {
  let memo = frameMemo.get(face);
  if (!memo) {
    memo = new Map();
    frameMemo.set(face, memo);
  }
  return memo;
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
  const first: Plane = { ...face.index, data: face.index.data.slice() };
  let shown = digitsFor(face, seconds);
  paintDigits(face, first, shown, 'index');
  const out: Array<GifFrame | Uint8Array> = [{ x: 0, y: 0, width, height, indices: first.data, delayCs: FRAME_DELAY_CS }];
  const memo = memoOf(face);

  let ended = false;
  for (let k = 1; k < frames; k++) {
    const left = seconds - k;
    if (left <= 0) {
      if (ended) {
        out.push(frameFor(face, memo, []));
        continue;
      }
      ended = true;
      const art = expired();
      out.push({ x: 0, y: 0, width, height, indices: art.index.data, delayCs: FRAME_DELAY_CS, palette: art.palette });
      continue;
    }
    const next = digitsFor(face, left);
    const changes: Change[] = [];
    face.cells.forEach((cells, u) => {
      cells.forEach((corner, c) => {
        const from = shown[u]?.[c] ?? 0;
        const to = next[u]?.[c] ?? 0;
        if (from !== to) changes.push({ key: `${u}.${c}:${from}>${to}`, corner, from, to });
      });
    });
    out.push(frameFor(face, memo, changes));
    shown = next;
  }
  return encodeGif(width, height, face.palette, out);
}

interface Change {
  key: string;
  corner: { x: number; y: number };
  from: number;
  to: number;
}

function frameFor(face: Face, memo: Map<string, Uint8Array>, changes: readonly Change[]): Uint8Array {
  const key = changes.map((c) => c.key).join(';');
  let bytes = memo.get(key);
  if (!bytes) {
    bytes = encodeFrame(changedRect(face, changes), face.palette.length);
    if (memo.size < MAX_MEMO_FRAMES) memo.set(key, bytes);
  }
  return bytes;
}

/**
 * The smallest rectangle holding every pixel that differs between the old
 * and the new digit tiles, with the pixels inside it that stay the same
 * transparent; a 1×1 transparent frame when nothing changes.
 */
function changedRect(face: Face, changes: readonly Change[]): GifFrame {
  const T = face.transparentIndex;
  const tile = (digit: number) => (face.digits[digit] as Face['digits'][number]).index;
  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  for (const { corner, from, to } of changes) {
    const a = tile(from);
    const b = tile(to);
    for (let row = 0; row < b.height; row++) {
      for (let col = 0; col < b.width; col++) {
        const i = row * b.width + col;
        if (a.data[i] === b.data[i]) continue;
        left = Math.min(left, corner.x + col);
        right = Math.max(right, corner.x + col);
        top = Math.min(top, corner.y + row);
        bottom = Math.max(bottom, corner.y + row);
      }
    }
  }
  if (right < 0) return { x: 0, y: 0, width: 1, height: 1, indices: new Uint8Array([T]), delayCs: FRAME_DELAY_CS, transparentIndex: T };

  const width = right - left + 1;
  const height = bottom - top + 1;
  const indices = new Uint8Array(width * height).fill(T);
  for (const { corner, from, to } of changes) {
    const a = tile(from);
    const b = tile(to);
    for (let row = 0; row < b.height; row++) {
      for (let col = 0; col < b.width; col++) {
        const i = row * b.width + col;
        if (a.data[i] !== b.data[i]) indices[(corner.y + row - top) * width + (corner.x + col - left)] = b.data[i] as number;
      }
    }
  }
  return { x: left, y: top, width, height, indices, delayCs: FRAME_DELAY_CS, transparentIndex: T };
}
