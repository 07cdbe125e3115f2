import sharp from 'sharp';

/**
 * GIFs read two ways: the structure by hand (where each frame sits, its
 * delay, disposal and transparency, whether a loop extension is there), and
 * the pixels of every frame as a viewer shows them, decoded by libvips.
 */
export interface GifFrameInfo {
  x: number;
  y: number;
  width: number;
  height: number;
  delayCs: number;
  disposal: number;
  transparentIndex: number | undefined;
  localPalette: number;
}

export interface GifStructure {
  width: number;
  height: number;
  globalPalette: number;
  /** The NETSCAPE2.0 loop count, or undefined when there is no loop extension (play once). */
  loop: number | undefined;
  frames: GifFrameInfo[];
}

function skipSubBlocks(bytes: Uint8Array, at: number): number {
  let i = at;
  while (bytes[i] !== 0) {
    if (i >= bytes.length) throw new Error('GIF ends inside a data block');
    i += (bytes[i] as number) + 1;
  }
  return i + 1;
}

export function parseGif(bytes: Uint8Array): GifStructure {
  const text = String.fromCharCode(...bytes.subarray(0, 6));
  if (text !== 'GIF89a' && text !== 'GIF87a') throw new Error(`not a GIF: ${JSON.stringify(text)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  const packed = bytes[10] as number;
  const globalPalette = packed & 0x80 ? 1 << ((packed & 7) + 1) : 0;
  let i = 13 + globalPalette * 3;
  let loop: number | undefined;
  let pending: Pick<GifFrameInfo, 'delayCs' | 'disposal' | 'transparentIndex'> = { delayCs: 0, disposal: 0, transparentIndex: undefined };
  const frames: GifFrameInfo[] = [];
  for (;;) {
    const marker = bytes[i];
    if (marker === 0x3b) break;
    if (marker === 0x21) {
      const label = bytes[i + 1];
      if (label === 0xf9) {
        const flags = bytes[i + 3] as number;
        pending = { delayCs: view.getUint16(i + 4, true), disposal: (flags >> 2) & 7, transparentIndex: flags & 1 ? bytes[i + 6] : undefined };
        i += 8;
        continue;
      }
      if (label === 0xff && String.fromCharCode(...bytes.subarray(i + 3, i + 14)) === 'NETSCAPE2.0') loop = view.getUint16(i + 16, true);
      i = skipSubBlocks(bytes, i + 2);
      continue;
    }
    if (marker === 0x2c) {
      const flags = bytes[i + 9] as number;
      const localPalette = flags & 0x80 ? 1 << ((flags & 7) + 1) : 0;
      frames.push({
        x: view.getUint16(i + 1, true),
        y: view.getUint16(i + 3, true),
        width: view.getUint16(i + 5, true),
        height: view.getUint16(i + 7, true),
        localPalette,
        ...pending,
      });
      pending = { delayCs: 0, disposal: 0, transparentIndex: undefined };
      i = skipSubBlocks(bytes, i + 10 + localPalette * 3 + 1);
      continue;
    }
    throw new Error(`unexpected byte 0x${(marker ?? 0).toString(16)} at ${i}`);
  }
  return { width, height, globalPalette, loop, frames };
}

/** One frame as shown (earlier frames composited under it), RGB. */
export interface FramePixels {
  width: number;
  height: number;
  data: Uint8Array;
  at(x: number, y: number): [number, number, number];
}

/** Every frame of an animated GIF as a viewer shows it, with libvips' metadata (pages, delays in ms, loop). */
export async function decodeFrames(bytes: Uint8Array): Promise<{ frames: FramePixels[]; delaysMs: number[]; loop: number | undefined }> {
  const meta = await sharp(bytes, { animated: true }).metadata();
  const { data, info } = await sharp(bytes, { animated: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pages = meta.pages ?? 1;
  const height = meta.pageHeight ?? info.height;
  const size = info.width * height * info.channels;
  const frames = Array.from({ length: pages }, (_, p) => {
    const frame = new Uint8Array(data.subarray(p * size, (p + 1) * size));
    return {
      width: info.width,
      height,
      data: frame,
      at: (x: number, y: number): [number, number, number] => {
        const i = (y * info.width + x) * info.channels;
        return [frame[i] as number, frame[i + 1] as number, frame[i + 2] as number];
      },
    };
  });
  return { frames, delaysMs: meta.delay ?? [], loop: meta.loop };
}

/** The bounding box of the pixels that differ between two frames, or undefined when they are identical. */
export function diffBox(a: FramePixels, b: FramePixels): { x: number; y: number; width: number; height: number } | undefined {
  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 3;
      if (a.data[i] === b.data[i] && a.data[i + 1] === b.data[i + 1] && a.data[i + 2] === b.data[i + 2]) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? undefined : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}
