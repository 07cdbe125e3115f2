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
