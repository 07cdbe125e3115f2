/**
 * Types for the parts of gifenc (MIT, no types of its own) that the
 * countdown uses. Its ES module sources are imported directly: the package's
 * CommonJS build gives Node only a default export, bundlers a different one,
 * and the sources are the same plain ES modules everywhere.
 */
declare module 'gifenc/src/index.js' {
  /** RGB triples (the formats used here have no alpha). */
  export type Palette = Array<[number, number, number]>;
  export type ColorFormat = 'rgb565' | 'rgb444' | 'rgba4444';
  /** A palette of at most `maxColors` colours for RGBA pixels (pairwise nearest-neighbour clustering). */
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: { format?: ColorFormat }): Palette;
  /** The nearest palette index of every RGBA pixel. */
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: ReadonlyArray<readonly number[]>, format?: ColorFormat): Uint8Array;
}

declare module 'gifenc/src/stream.js' {
  export interface ByteStream {
    writeByte(byte: number): void;
    writeBytes(data: ArrayLike<number>, offset?: number, byteLength?: number): void;
    writeBytesView(data: Uint8Array, offset?: number, byteLength?: number): void;
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
    reset(): void;
  }
  export default function createStream(initialCapacity?: number): ByteStream;
}

declare module 'gifenc/src/lzwEncode.js' {
  import type { ByteStream } from 'gifenc/src/stream.js';
  /** Writes one image's LZW data (code size byte, sub-blocks, terminator) to `out`. */
  export default function lzwEncode(
    width: number,
    height: number,
    pixels: Uint8Array,
    colorDepth: number,
    out: ByteStream,
    accum: Uint8Array,
    htab: Int32Array,
    codetab: Int32Array,
  ): Uint8Array;
}
