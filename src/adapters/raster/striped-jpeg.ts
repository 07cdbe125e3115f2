import type { RawImage } from '../../core/ports.ts';
import { joinJpegStrips, stripRows } from '../../core/render/jpeg-strips.ts';

/** The JPEG quality of every encoder (sharp-png.ts has why). */
export const JPEG_QUALITY = 78;

/** Encodes one image (or a strip of one) as a baseline JPEG, with the same tables every time. */
export type JpegStripEncoder = (image: RawImage) => Promise<Uint8Array>;

/**
 * A JPEG encoded while no other is, the one an open is waiting for when
 * the server is not busy, is cut into strips encoded at once on the
 * thread pool and joined (jpeg-strips.ts). Under load, with encodes
 * already queued, images are encoded whole: the cores are busy either way,
 * and whole costs less (each call has a cost of its own).
 */
export function stripedJpeg(encodeStrip: JpegStripEncoder, cores: number): (image: RawImage) => Promise<Uint8Array> {
  const strips = Math.min(cores, 2);
  let encoding = 0;
  return async (image) => {
    const rows = encoding === 0 ? stripRows(image.width, image.height, strips) : undefined;
    encoding++;
    try {
      if (rows === undefined) return await encodeStrip(image);
      const rowBytes = image.width * image.channels;
      const parts: Promise<Uint8Array>[] = [];
      for (let y = 0; y < image.height; y += rows) {
        const height = Math.min(rows, image.height - y);
        parts.push(encodeStrip({ ...image, height, data: image.data.subarray(y * rowBytes, (y + height) * rowBytes) }));
      }
      return joinJpegStrips(await Promise.all(parts), image.width, image.height, rows);
    } finally {
      encoding--;
    }
  };
}
