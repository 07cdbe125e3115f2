import sharp from 'sharp';
import { pixels, type Pixels } from '../specs/harness.ts';

export type { Pixels } from '../specs/harness.ts';
export { slotBox } from '../specs/harness.ts';

/** Decodes an image with sharp into pixels a test can look at, as a subscriber would see them. */
export async function decode(bytes: Uint8Array): Promise<Pixels> {
  const image = sharp(bytes);
  const meta = await image.metadata();
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): [number, number, number] => {
    const i = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
    return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
  };
  return pixels(info.width, info.height, meta.format ?? 'unknown', at);
}

/**
 * Whether two PNGs show the same picture: the same size, and at most 0.5% of
 * pixels differing by more than 48 in a channel. The bytes of one render can
 * change while it is cached (a PNG encoded fast for its first open is
 * re-encoded smaller with a palette later), so tests that ask "is this the
 * same image?" compare what a subscriber would see, not bytes.
 */
export async function sameImage(a: Uint8Array, b: Uint8Array): Promise<boolean> {
  const [x, y] = await Promise.all([a, b].map((bytes) => sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  if (!x || !y || x.info.width !== y.info.width || x.info.height !== y.info.height) return false;
  let different = 0;
  for (let i = 0; i < x.data.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs((x.data[i + c] as number) - (y.data[i + c] as number)) > 48) {
        different++;
        break;
      }
    }
  }
  return different / (x.data.length / 3) <= 0.005;
}
