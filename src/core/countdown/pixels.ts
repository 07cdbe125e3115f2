import type { RgbaImage } from '../ports.ts';
import type { Rect } from './layout.ts';

/**
 * Rectangles of pixels: cut out of one image, pasted into another. The same
 * code moves RGBA pixels (4 bytes each, for PNG stills) and palette indices
 * (1 byte each, for GIF frames).
 */
export interface Plane {
  width: number;
  height: number;
  /** Bytes per pixel: 4 for RGBA, 1 for palette indices. */
  channels: number;
  data: Uint8Array;
}

export function crop(source: Plane, rect: Rect): Plane {
  const { channels } = source;
  const data = new Uint8Array(rect.width * rect.height * channels);
  for (let row = 0; row < rect.height; row++) {
    const from = ((rect.y + row) * source.width + rect.x) * channels;
    data.set(source.data.subarray(from, from + rect.width * channels), row * rect.width * channels);
  }
  return { width: rect.width, height: rect.height, channels, data };
}

/** Copies `tile` into `target` with its top-left corner at (x, y); whatever falls outside is cut off. */
export function paste(target: Plane, tile: Plane, x: number, y: number): void {
  const { channels } = target;
  const width = Math.min(tile.width, target.width - x);
  for (let row = 0; row < tile.height && y + row < target.height; row++) {
    const from = row * tile.width * channels;
    target.data.set(tile.data.subarray(from, from + width * channels), ((y + row) * target.width + x) * channels);
  }
}

export function rgbaPlane(image: RgbaImage): Plane {
  return { width: image.width, height: image.height, channels: 4, data: image.data };
}
