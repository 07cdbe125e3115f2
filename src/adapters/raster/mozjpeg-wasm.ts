import encode, { init } from '@jsquash/jpeg/encode.js';
import type { ImageEncoder, RawImage } from '../../core/ports.ts';

/**
 * JPEG for blocks that hold photos where sharp cannot run (Cloudflare
 * Workers): mozjpeg compiled to WebAssembly (@jsquash/jpeg), the module
 * handed over by the caller as with resvg-wasm. The same choices as sharp's
 * encoder on Node (sharp-png.ts): quality 78, colour at full resolution
 * (4:4:4, so a red price keeps crisp edges at 2×), baseline, Huffman tables
 * not optimised (a second pass over the image for a few percent fewer
 * bytes), so that the bytes of a photo block at its first open are alike
 * on both platforms.
 */
export const WASM_JPEG = {
  quality: 78,
  baseline: true,
  progressive: false,
  optimize_coding: false,
  auto_subsample: false,
  chroma_subsample: 1,
  trellis_multipass: false,
  trellis_opt_zero: false,
  trellis_opt_table: false,
  trellis_loops: 1,
} as const;

let ready: Promise<void> | undefined;

export function initMozjpegWasm(module: WebAssembly.Module): Promise<void> {
  const starting =
    ready ??
    init(module).catch((error: unknown) => {
      ready = undefined;
      throw new Error('[opentime] [mozjpeg-wasm] could not load mozjpeg_enc.wasm', { cause: error });
    });
  ready = starting;
  return starting;
}

/** mozjpeg takes RGBA: three-channel pixels (composited blocks) are widened first. */
function rgba(image: RawImage): Uint8ClampedArray {
  if (image.channels === 4) return new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const out = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; i < image.data.length; i += 3, j += 4) {
    out[j] = image.data[i] as number;
    out[j + 1] = image.data[i + 1] as number;
    out[j + 2] = image.data[i + 2] as number;
    out[j + 3] = 255;
  }
  return out;
}

export async function encodeJpegWasm(image: RawImage): Promise<Uint8Array> {
  if (!ready) throw new Error('[opentime] [mozjpeg-wasm] initMozjpegWasm() was not called before encoding');
  await ready;
  // encode() reads only these fields of the ImageData it is typed to take (not every runtime has ImageData).
  const pixels = { data: rgba(image), width: image.width, height: image.height, colorSpace: 'srgb' } as unknown as Parameters<typeof encode>[0];
  return new Uint8Array(await encode(pixels, WASM_JPEG));
}

/** An encoder with mozjpeg-wasm's JPEG added, for blocks that hold photos. */
export function withWasmJpeg(encoder: ImageEncoder): ImageEncoder {
  return { ...encoder, name: `${encoder.name}+mozjpeg-wasm`, jpeg: encodeJpegWasm };
}
