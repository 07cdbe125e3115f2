import type { ImageEncoder } from '../../core/ports.ts';
import { encodeJpeg } from '../../core/render/jpeg.ts';

/**
 * JPEG for blocks that hold photos where sharp cannot run (Cloudflare
 * Workers): the core's baseline encoder (src/core/render/jpeg.ts), with
 * sharp's choices on Node (quality 78, 4:4:4, standard Huffman tables), so
 * a photo block's first open is alike on both platforms. No WebAssembly
 * module to load; about a seventh of mozjpeg-wasm's CPU for the same
 * block (docs/workers.md).
 */
export function withPortableJpeg(encoder: ImageEncoder): ImageEncoder {
  return { ...encoder, name: `${encoder.name}+portable-jpeg`, jpeg: async (image) => encodeJpeg(image) };
}
