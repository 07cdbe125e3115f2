import type { ImageEncoder } from '../../core/ports.ts';
import { encodePng } from '../../core/render/png.ts';

/**
 * PNG encoding with the core's encoder (CompressionStream's deflate at its
 * default level, one row filter): for runtimes without sharp (Cloudflare
 * Workers). There is no quantiser here, so `small` is the same encoding and
 * nothing is recompressed: bytes stay as first encoded (a 1200×600 product
 * block is about 110 KB). It costs more CPU than sharp's fast setting
 * (about 35 ms for 1200×600 in Node, of which the row filter in JavaScript
 * is a third), which on Workers is billed CPU time.
 */
export function portablePngEncoder(): ImageEncoder {
  return {
    name: 'portable-png',
    png(image) {
      return encodePng(image.width, image.height, image.data, image.channels);
    },
  };
}
