import { sharpJpegEncoder } from '../../src/adapters/raster/sharp-png.ts';
import { turboJpegEncoder } from '../../src/adapters/raster/turbo-jpeg.ts';
import type { RawImage } from '../../src/core/ports.ts';

type JpegEncoder = (image: RawImage) => Promise<Uint8Array>;

/** The TurboJPEG encoder, which must load here: `npm ci` installs its package, and the server would otherwise fall back to sharp unseen. */
export function loadedTurboJpeg(cores: number): JpegEncoder {
  const encoder = turboJpegEncoder(cores);
  if (!encoder) throw new Error('@julusian/jpeg-turbo did not load (npm ci installs it)');
  return encoder;
}

/** Both JPEG encoders of the Node server, by name, for the tests both must pass. */
export const jpegEncoders: Array<[string, (cores: number) => JpegEncoder]> = [
  ['sharp', (cores) => sharpJpegEncoder(cores)],
  ['TurboJPEG', loadedTurboJpeg],
];
