import lzwEncode from 'gifenc/src/lzwEncode.js';
import createStream, { type ByteStream } from 'gifenc/src/stream.js';

/**
 * A GIF89a writer for countdowns: one global palette, then frames that are
 * only the rectangle that changed since the previous one (disposal "leave
 * in place", unchanged pixels inside it transparent), so 60 frames of
 * ticking seconds cost little more than the first. gifenc does the LZW
 * compression; its own frame writer always places frames at (0, 0), so the
 * container is written here.
 *
 * No NETSCAPE2.0 loop extension is written: without one, clients play the
 * animation once and stay on its last frame, which is what a countdown
 * window needs (a loop would jump back to a stale time).
 */
export type Color = readonly [number, number, number];

export interface GifFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Palette indices, width × height. */
  indices: Uint8Array;
  /** Hundredths of a second. */
  delayCs: number;
  /** Pixels with this index are left as they were (the rectangle's unchanged pixels). */
  transparentIndex?: number;
  /** A palette for this frame only (an expired state with colours of its own). */
  palette?: readonly Color[];
}

const HSIZE = 5003;

/** Bits per index for a palette of this many colours (GIF tables have 2^n entries, n ≥ 1). */
function tableBits(colors: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(2, colors))));
}

function u16(out: ByteStream, value: number): void {
  out.writeByte(value & 0xff);
  out.writeByte((value >> 8) & 0xff);
}

function colorTable(out: ByteStream, palette: readonly Color[], bits: number): void {
  for (let i = 0; i < 1 << bits; i++) {
    const c = palette[i] ?? palette[0] ?? [0, 0, 0];
    out.writeByte(c[0]);
    out.writeByte(c[1]);
    out.writeByte(c[2]);
  }
}

// LZW scratch space, shared: encoding is synchronous, so no two encodes use it at once.
const accum = new Uint8Array(256);
const htab = new Int32Array(HSIZE);
const codetab = new Int32Array(HSIZE);

function writeFrame(out: ByteStream, frame: GifFrame, globalBits: number): void {
  if (frame.indices.length !== frame.width * frame.height) throw new Error(`[opentime] [gif] frame of ${frame.width}×${frame.height} has ${frame.indices.length} indices`);
  // Graphic control: disposal 1 (leave the frame in place), optional transparency, delay.
  const transparent = frame.transparentIndex !== undefined;
  out.writeBytes([0x21, 0xf9, 4, (1 << 2) | (transparent ? 1 : 0)]);
  u16(out, frame.delayCs);
  out.writeBytes([frame.transparentIndex ?? 0, 0]);

  const bits = frame.palette ? tableBits(frame.palette.length) : globalBits;
  out.writeByte(0x2c);
  u16(out, frame.x);
  u16(out, frame.y);
  u16(out, frame.width);
  u16(out, frame.height);
  out.writeByte(frame.palette ? 0x80 | (bits - 1) : 0);
  if (frame.palette) colorTable(out, frame.palette, bits);
  // LZW's minimum code size is at least 2, even for two-colour tables.
  lzwEncode(frame.width, frame.height, frame.indices, Math.max(2, bits), out, accum, htab, codetab);
}

/**
 * One frame, encoded on its own for a GIF whose global palette has
 * `paletteSize` colours: a frame that recurs (the same digit turning into
 * the same next one) is encoded once and its bytes reused.
 */
export function encodeFrame(frame: GifFrame, paletteSize: number): Uint8Array {
  const out = createStream(1024);
  writeFrame(out, frame, tableBits(paletteSize));
  return out.bytes();
}

/** A whole GIF; a frame given as bytes comes from `encodeFrame` with the same palette size. */
export function encodeGif(width: number, height: number, palette: readonly Color[], frames: ReadonlyArray<GifFrame | Uint8Array>): Uint8Array {
  if (palette.length === 0 || palette.length > 256) throw new Error(`[opentime] [gif] expected 1–256 palette colours, received ${palette.length}`);
  const out = createStream(64 * 1024);
  const globalBits = tableBits(palette.length);

  for (const ch of 'GIF89a') out.writeByte(ch.charCodeAt(0));
  u16(out, width);
  u16(out, height);
  // Global table present, 8-bit colour resolution, table size 2^globalBits; background index 0, square pixels.
  out.writeBytes([0x80 | (7 << 4) | (globalBits - 1), 0, 0]);
  colorTable(out, palette, globalBits);

  for (const frame of frames) {
    if (frame instanceof Uint8Array) out.writeBytesView(frame);
    else writeFrame(out, frame, globalBits);
  }
  out.writeByte(0x3b);
  return out.bytes();
}
