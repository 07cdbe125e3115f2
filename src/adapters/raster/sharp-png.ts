import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { ImageEncoder, RawImage } from '../../core/ports.ts';
import { JPEG_QUALITY, stripedJpeg } from './striped-jpeg.ts';
import { turboJpegEncoder } from './turbo-jpeg.ts';

/**
 * PNG encoding with sharp (libspng and libimagequant, on libuv's thread
 * pool, so encoding does not hold up the event loop). `fast` is zlib level
 * 1 with no row filters: a 1200×600 block (RGB) in about 4.5 ms, at 150–200 KB. The
 * small encodings take 60–140 ms, so they are made off the request path:
 * `recompress` quantises a served PNG to a 256-colour palette at the
 * highest zlib level, which brings the same block under 100 KB. Dithered at
 * half strength: enough that photos and gradients do not band, where full
 * dithering leaves faint grey speckles on white beside coloured areas (and
 * costs more bytes and time).
 */
const PALETTE = { palette: true, quality: 90, effort: 1, compressionLevel: 9, dither: 0.5 } as const;
/**
 * JPEG for blocks that hold photos, encoded on the request path:
 * libjpeg-turbo at quality 78, about 4.5 ms for 1200×600 by sharp. Huffman tables are
 * not optimised: that second pass doubles the time for 5% fewer bytes.
 * mozjpeg would be a fifth smaller but takes 40–60 ms, too slow for an
 * open waiting on it. 4:4:4 keeps colour at full resolution: with 4:2:0 a
 * red sale price or a red call to action gets dark, colour-bled edges at
 * 2×, for 15% fewer bytes (docs/performance.md).
 */
export const JPEG = { quality: JPEG_QUALITY, chromaSubsampling: '4:4:4', optimiseCoding: false } as const;

/**
 * JPEG by sharp (libvips' pipeline), in strips when the server is idle
 * (striped-jpeg.ts): in the server, 4.7 ms instead of 5.3 ms for 1200×600
 * on two cores. Each sharp call costs 0.6–0.9 ms whatever its size, half
 * of it on the main thread (its options crossing into C++), so the
 * TurboJPEG encoder (turbo-jpeg.ts) is used where it loads.
 */
export function sharpJpegEncoder(cores = availableParallelism()): (image: RawImage) => Promise<Uint8Array> {
  return stripedJpeg(async (image) => {
    const output = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .removeAlpha()
      .jpeg(JPEG)
      .toBuffer();
    return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  }, cores);
}

export function sharpPngEncoder(): ImageEncoder {
  return {
    name: 'sharp',
    async png(image, effort) {
      const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
      // Fast keeps an alpha channel it is given: dropping it costs more time than its bytes (runs of 255) cost size.
      const small = image.channels === 4 && isOpaque(image.data) ? input.removeAlpha() : input;
      const output = await (effort === 'fast' ? input.png({ compressionLevel: 1, adaptiveFiltering: false }) : small.png(PALETTE)).toBuffer();
      return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
    },
    jpeg: turboJpegEncoder() ?? sharpJpegEncoder(),
    async recompress(png) {
      const output = await sharp(png).png(PALETTE).toBuffer();
      return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
    },
  };
}

/** An image with no transparent pixel is written as RGB: a quarter less to compress and send. */
function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
