import type { RawImage } from '../ports.ts';

/**
 * Which format a rendered block is sent in. A PNG is exact and, for flat
 * blocks (solid colours, text, illustrations), small; a block holding
 * photos is ten times smaller as a JPEG (a photo's grain defeats PNG's
 * compression). Both are shown by every email client; WebP and AVIF are
 * not (Outlook), so they are never chosen.
 */
export type ImageFormat = 'png' | 'jpeg';
/** What a block asks for: `auto` chooses by what the image holds. */
export type FormatChoice = ImageFormat | 'auto';

/** Rows sampled to decide: every 8th (about 0.3 ms for 1200×600). */
const ROW_STEP = 8;
/**
 * Share of sampled pixels that differ from their left neighbour above
 * which an image is treated as photographic. A flat block's pixels repeat
 * their neighbour except at the edges of shapes and glyphs (under 10% in
 * the demo block); a block with three photo-like product photos about 40%.
 */
const PHOTO_SHARE = 0.2;

/** Whether most of an image varies pixel to pixel, as photos do: a cheap sample, not a colour count. */
export function looksPhotographic(image: RawImage): boolean {
  const { width, height, channels, data } = image;
  let sampled = 0;
  let differing = 0;
  for (let y = 0; y < height; y += ROW_STEP) {
    let i = y * width * channels;
    for (let x = 1; x < width; x++) {
      const j = i + channels;
      // Fully transparent pixels are not drawn: they count as flat.
      if (channels === 4 && data[j + 3] === 0) {
        i = j;
        sampled++;
        continue;
      }
      if (data[i] !== data[j] || data[i + 1] !== data[j + 1] || data[i + 2] !== data[j + 2]) differing++;
      sampled++;
      i = j;
    }
  }
  return sampled > 0 && differing / sampled > PHOTO_SHARE;
}

/** The format to encode in: the block's choice, or by what the image holds. A JPEG has no alpha, so a transparent image stays a PNG. */
export function chooseFormat(image: RawImage, choice: FormatChoice): ImageFormat {
  if (choice !== 'auto') return choice;
  if (image.channels === 4 && !isOpaque(image.data)) return 'png';
  return looksPhotographic(image) ? 'jpeg' : 'png';
}

function isOpaque(rgba: Uint8Array): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** The Content-Type of encoded image bytes, read from their signature (a `.png` URL can carry a JPEG). */
export function imageContentType(bytes: Uint8Array): 'image/png' | 'image/jpeg' | 'image/gif' {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  return 'image/png';
}
