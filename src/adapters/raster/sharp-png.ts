import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { ImageEncoder, RawImage } from '../../core/ports.ts';
import { joinJpegStrips, stripRows } from '../../core/render/jpeg-strips.ts';

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
 * libjpeg-turbo at quality 78, about 4.5 ms for 1200×600. Huffman tables are
 * not optimised: that second pass doubles the time for 5% fewer bytes.
 * mozjpeg would be a fifth smaller but takes 40–60 ms, too slow for an
 * open waiting on it. 4:4:4 keeps colour at full resolution: with 4:2:0 a
 * red sale price or a red call to action gets dark, colour-bled edges at
 * 2×, for 15% fewer bytes (docs/performance.md).
 */
export const JPEG = { quality: 78, chromaSubsampling: '4:4:4', optimiseCoding: false } as const;

/**
 * A JPEG encoded while no other is, the one an open is waiting for when
 * the server is not busy, is cut into strips encoded at once on the
 * thread pool (jpeg-strips.ts): in the server, 4.7 ms instead of 5.3 ms
 * for 1200×600 on two cores. Each sharp call costs 0.3–0.6 ms of its own
 * (most of it on the main thread), so under load, with encodes already queued, images are encoded
 * whole: the cores are busy either way and whole costs less.
 */
export function sharpJpegEncoder(cores = availableParallelism()): (image: RawImage) => Promise<Uint8Array> {
  const strips = Math.min(cores, 2);
  let encoding = 0;
  const encode = async (image: RawImage, data: Uint8Array, height: number) => {
    const output = await sharp(data, { raw: { width: image.width, height, channels: image.channels } })
      .removeAlpha()
      .jpeg(JPEG)
      .toBuffer();
    return new Uint8Array(output.buffer, output.byteOffset, output.byteLength);
  };
  return async (image) => {
    const rows = encoding === 0 ? stripRows(image.width, image.height, strips) : undefined;
    encoding++;
    try {
      if (rows === undefined) return await encode(image, image.data, image.height);
      const rowBytes = image.width * image.channels;
      const parts: Promise<Uint8Array>[] = [];
      for (let y = 0; y < image.height; y += rows) {
        const height = Math.min(rows, image.height - y);
        parts.push(encode(image, image.data.subarray(y * rowBytes, (y + height) * rowBytes), height));
      }
      return joinJpegStrips(await Promise.all(parts), image.width, image.height, rows);
    } finally {
      encoding--;
    }
  };
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
    jpeg: sharpJpegEncoder(),
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
