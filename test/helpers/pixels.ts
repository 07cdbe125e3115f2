import sharp from 'sharp';

/** A decoded image: real pixels, so tests look at what a subscriber would see. */
export interface Pixels {
  width: number;
  height: number;
  format: string;
  at(x: number, y: number): [number, number, number];
  /** Share of pixels in the rectangle within `tolerance` of `rgb` (0–1). */
  share(rgb: readonly [number, number, number], box?: { x: number; y: number; width: number; height: number }, tolerance?: number): number;
}

export async function decode(bytes: Uint8Array): Promise<Pixels> {
  const image = sharp(bytes);
  const meta = await image.metadata();
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): [number, number, number] => {
    const i = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
    return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
  };
  return {
    width: info.width,
    height: info.height,
    format: meta.format ?? 'unknown',
    at,
    share(rgb, box = { x: 0, y: 0, width: info.width, height: info.height }, tolerance = 12) {
      let hits = 0;
      let total = 0;
      for (let y = box.y; y < box.y + box.height; y += 2) {
        for (let x = box.x; x < box.x + box.width; x += 2) {
          const [r, g, b] = at(x, y);
          total++;
          if (Math.abs(r - rgb[0]) <= tolerance && Math.abs(g - rgb[1]) <= tolerance && Math.abs(b - rgb[2]) <= tolerance) hits++;
        }
      }
      return total === 0 ? 0 : hits / total;
    },
  };
}

/** The horizontal thirds of a 3-slot block's product row, in output pixels. */
export function slotBox(pixels: Pixels, slot: number, slots = 3): { x: number; y: number; width: number; height: number } {
  const width = Math.floor(pixels.width / slots);
  return { x: slot * width, y: Math.floor(pixels.height * 0.2), width, height: Math.floor(pixels.height * 0.6) };
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
