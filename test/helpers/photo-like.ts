import sharp from 'sharp';
import { seededUniform } from '../../src/core/recommend/sampler.ts';

/**
 * Photo-like product images, generated (no downloads) and deterministic:
 * a studio backdrop with a soft gradient and vignette, a shaded product
 * shape with a woven texture, and sensor grain, as real product
 * photography has. Flat illustrations compress to almost nothing as PNG;
 * these do not, so the bench and tests measure what a shop's photos cost.
 * The product's colour is `rgb` (on average), so a test can still find it.
 */
export const PHOTO_LIKE_SIZE = 600;

const clamp = (v: number) => Math.max(0, Math.min(255, v));

/** Raw RGB pixels of a photo-like product shot, size×size. */
export function photoLikePixels(seed: number, rgb: readonly [number, number, number], size = PHOTO_LIKE_SIZE): Uint8Array {
  const next = seededUniform(seed * 7919 + 1);
  const [r, g, b] = rgb;
  // Backdrop: a pale tint of the product's colour, lighter towards the top left.
  const backdrop = [r, g, b].map((c) => c + (255 - c) * 0.82) as [number, number, number];
  const cx = size * (0.45 + next() * 0.1);
  const cy = size * (0.5 + next() * 0.08);
  const rx = size * (0.28 + next() * 0.08);
  const ry = size * (0.22 + next() * 0.08);
  const weave = 6 + next() * 10;
  const angle = next() * Math.PI;
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size - 0.5;
      const v = y / size - 0.5;
      const vignette = 1 - 0.35 * (u * u + v * v);
      const light = 1.04 - (0.12 * (x + y)) / size;
      const dx = (x - cx) / rx;
      const dy = (y - cy) / ry;
      const d = dx * dx + dy * dy;
      let pr: number;
      let pg: number;
      let pb: number;
      if (d < 1) {
        // The product: lit from the top left, darker at its rim, with a woven texture.
        const shade = 1.25 - 0.45 * d - 0.25 * (dx + dy) * 0.5;
        const t = (x * ca + y * sa) / weave;
        const texture = 1 + 0.1 * Math.sin(t * Math.PI * 2) * Math.sin(((y * ca - x * sa) / weave) * Math.PI * 2);
        const k = shade * texture;
        pr = r * k;
        pg = g * k;
        pb = b * k;
      } else {
        // Its shadow on the backdrop, below and to the right.
        const sx = (x - cx - rx * 0.12) / (rx * 1.05);
        const sy = (y - cy - ry * 0.35) / (ry * 0.9);
        const shadow = 1 - 0.28 * Math.max(0, 1 - Math.sqrt(sx * sx + sy * sy)) ** 0.7;
        const k = vignette * light * shadow;
        pr = backdrop[0] * k;
        pg = backdrop[1] * k;
        pb = backdrop[2] * k;
      }
      const grain = (next() + next() + next() - 1.5) * 14;
      const i = (y * size + x) * 3;
      out[i] = clamp(pr + grain);
      out[i + 1] = clamp(pg + grain);
      out[i + 2] = clamp(pb + grain);
    }
  }
  return out;
}

/** The same as a JPEG, as a shop's CDN serves product photos. */
export async function photoLikeJpeg(seed: number, rgb: readonly [number, number, number], size = PHOTO_LIKE_SIZE): Promise<Buffer> {
  return sharp(photoLikePixels(seed, rgb, size), { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}
