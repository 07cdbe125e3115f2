/**
 * A PNG encoder with no dependencies beyond CompressionStream, so the core
 * can encode on every platform: one flat colour (the last resort when
 * nothing else can render: an email client must always get an image, never
 * a broken-image icon) and raw RGBA pixels (countdown stills, composited
 * in the core from pre-rendered parts).
 */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** PNG's chunk checksum (CRC-32, ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function parseHexColor(hex: string): [number, number, number] {
  const h = hex.replace('#', '');
  const full =
    h.length === 3
      ? h
          .split('')
          .map((c) => c + c)
          .join('')
      : h.padEnd(6, '0');
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) || 0) as [number, number, number];
}

export async function solidPng(width: number, height: number, color: string): Promise<Uint8Array> {
  const [r, g, b] = parseHexColor(color);
  const row = 1 + width * 3;
  const raw = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set([r, g, b], y * row + 1 + x * 3);
  }
  return pngFile(width, height, 2, raw);
}

/** PNG colour types used here: 2 is RGB, 6 is RGBA. */
async function pngFile(width: number, height: number, colorType: 2 | 6, raw: Uint8Array): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, colorType, 0, 0, 0], 8); // 8 bits per channel, no interlace
  // No pHYs chunk: Outlook rescales images by their DPI metadata, so none is given.
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', await zlib(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Encodes straight-alpha RGBA pixels (or RGB with `channels` 3). An image
 * with no transparent pixel is written as RGB (a quarter smaller before
 * compression). Every row uses the Sub filter: flat areas and text on them
 * become runs of zeros, which deflate well, at a fraction of the cost of
 * choosing a filter per row.
 */
export async function encodePng(width: number, height: number, pixels: Uint8Array, inChannels: 3 | 4 = 4): Promise<Uint8Array> {
  if (pixels.length !== width * height * inChannels)
    throw new Error(`[opentime] [png] expected ${width * height * inChannels} bytes of ${inChannels === 4 ? 'RGBA' : 'RGB'}, received ${pixels.length}`);
  let opaque = true;
  for (let i = 3; inChannels === 4 && i < pixels.length; i += 4) {
    if (pixels[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const channels = opaque ? 3 : 4;
  const row = 1 + width * channels;
  const raw = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    const out = y * row;
    raw[out] = 1; // Sub
    let from = y * width * inChannels;
    let to = out + 1;
    for (let x = 0; x < width; x++, from += inChannels) {
      for (let c = 0; c < channels; c++, to++) {
        const value = pixels[from + c] as number;
        const left = x === 0 ? 0 : (pixels[from - inChannels + c] as number);
        raw[to] = (value - left) & 0xff;
      }
    }
  }
  return pngFile(width, height, channels === 3 ? 2 : 6, raw);
}
