import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type { RawImage } from '../../core/ports.ts';
import { JPEG_QUALITY, stripedJpeg } from './striped-jpeg.ts';

/**
 * JPEG by libjpeg-turbo's TurboJPEG API, called straight from a thread of
 * libuv's pool (the optional package @julusian/jpeg-turbo, built for Linux,
 * macOS and Windows). A sharp call hands an image through libvips'
 * pipeline and its threads: 0.6–0.9 ms for an 8-row strip, 3.1–3.5 ms for
 * 1200×600 in two strips. Here the same strip costs 0.1 ms, and the block
 * 1.8–1.9 ms. The same quality and 4:4:4 as sharp's (`JPEG` in sharp-png.ts); TurboJPEG
 * uses the fast integer DCT, which moves a pixel by at most a few levels
 * at this quality, and the files are the same size. Where the package is
 * not installed or has no build for the machine, sharp encodes instead.
 */
interface TurboJpeg {
  FORMAT_RGB: number;
  FORMAT_RGBX: number;
  SAMP_444: number;
  bufferSize(options: { width: number; height: number; subsampling: number }): number;
  compress(raw: Uint8Array, out: Buffer, options: { format: number; width: number; height: number; subsampling: number; quality: number }): Promise<Buffer>;
}

/** Output buffers kept for reuse: the library writes into one of its worst-case size (2.2 MB for 1200×600), of which a block's JPEG takes 90 KB. */
const SPARE_OUTPUTS = 4;

function loadTurboJpeg(): TurboJpeg | undefined {
  try {
    return createRequire(import.meta.url)('@julusian/jpeg-turbo') as TurboJpeg;
  } catch {
    return undefined;
  }
}

/**
 * The TurboJPEG encoder, in strips when the server is idle (striped-jpeg.ts),
 * or undefined when the library does not load here. `load` stands in for
 * the package in tests of a machine without it.
 */
export function turboJpegEncoder(cores = availableParallelism(), load: () => TurboJpeg | undefined = loadTurboJpeg): ((image: RawImage) => Promise<Uint8Array>) | undefined {
  const turbo = load();
  if (!turbo) return undefined;
  const spare: Buffer[] = [];
  return stripedJpeg(async (image) => {
    const options = {
      format: image.channels === 4 ? turbo.FORMAT_RGBX : turbo.FORMAT_RGB,
      width: image.width,
      height: image.height,
      subsampling: turbo.SAMP_444,
      quality: JPEG_QUALITY,
    };
    const needed = turbo.bufferSize(options);
    const index = spare.findIndex((buffer) => buffer.byteLength >= needed);
    const out = index === -1 ? Buffer.allocUnsafeSlow(needed) : (spare.splice(index, 1)[0] as Buffer);
    try {
      // Copied out of the worst-case buffer: a cached image must not hold 2 MB for its 90 KB.
      return new Uint8Array(await turbo.compress(image.data, out, options));
    } finally {
      if (spare.length < SPARE_OUTPUTS) spare.push(out);
    }
  }, cores);
}
