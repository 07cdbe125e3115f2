/**
 * A PNG decoder for tests inside workerd, where sharp does not run: chunks
 * with their CRCs checked, IDAT inflated with DecompressionStream, the five
 * row filters undone. Enough for what resvg and the core write (8-bit
 * grey, RGB, palette, grey+alpha, RGBA; not interlaced), and strict: anything
 * else throws, so "decodes" means "is a valid PNG".
 */
import { crc32 } from '../../../src/core/render/png.ts';
import { pixels, type Pixels } from '../../specs/harness.ts';

export type { Box, Pixels } from '../../specs/harness.ts';
export { slotBox } from '../../specs/harness.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export async function decodePng(bytes: Uint8Array): Promise<Pixels> {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG: bad signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let header: { width: number; height: number; depth: number; type: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (offset + 12 <= bytes.length && !ended) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) throw new Error(`not a PNG: bad CRC in ${type}`);
    if (type === 'IHDR')
      header = { width: view.getUint32(offset + 8), height: view.getUint32(offset + 12), depth: data[8] as number, type: data[9] as number, interlace: data[12] as number };
    else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  if (!header || !ended || idat.length === 0) throw new Error('not a PNG: IHDR, IDAT or IEND missing');
  const channels = CHANNELS[header.type];
  if (header.depth !== 8 || channels === undefined || header.interlace !== 0)
    throw new Error(`unsupported PNG: depth ${header.depth}, colour type ${header.type}, interlace ${header.interlace}`);
  const { width, height } = header;

  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of idat) {
    compressed.set(c, at);
    at += c.length;
  }
  const raw = await inflate(compressed);
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`not a PNG: ${raw.length} bytes of image data for ${width}×${height}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? (out[row + x - channels] as number) : 0;
      const up = y > 0 ? (out[row - stride + x] as number) : 0;
      const upLeft = y > 0 && x >= channels ? (out[row - stride + x - channels] as number) : 0;
      const value = line[x] as number;
      const predicted = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predicted === undefined) throw new Error(`not a PNG: filter ${filter} in row ${y}`);
      out[row + x] = (value + predicted) & 0xff;
    }
  }

  const rgb = (x: number, y: number): [number, number, number] => {
    const i = (Math.floor(y) * width + Math.floor(x)) * channels;
    if (header.type === 3) {
      const p = (out[i] as number) * 3;
      return [palette?.[p] ?? 0, palette?.[p + 1] ?? 0, palette?.[p + 2] ?? 0];
    }
    if (channels <= 2) return [out[i] as number, out[i] as number, out[i] as number];
    return [out[i] as number, out[i + 1] as number, out[i + 2] as number];
  };
  return pixels(width, height, 'png', rgb);
}
