import type { FontSpec } from '../ports.ts';

/**
 * Advance widths from a TrueType/OpenType font (cmap + hmtx), enough to
 * measure a line of text for fitting it in its box. Kerning is left out:
 * callers keep a small margin.
 */
export interface FontMetrics {
  unitsPerEm: number;
  /** Advance width of a character, in font units (0 when the font lacks it). */
  advance(codePoint: number): number;
}

const cache = new WeakMap<ArrayBuffer, FontMetrics>();

function tables(view: DataView): Map<string, number> {
  const found = new Map<string, number>();
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + i * 16;
    const tag = String.fromCharCode(view.getUint8(record), view.getUint8(record + 1), view.getUint8(record + 2), view.getUint8(record + 3));
    found.set(tag, view.getUint32(record + 8));
  }
  return found;
}

function glyphIds(view: DataView, cmap: number): Map<number, number> {
  const ids = new Map<number, number>();
  const subtables = view.getUint16(cmap + 2);
  for (let i = 0; i < subtables; i++) {
    const offset = cmap + view.getUint32(cmap + 4 + i * 8 + 4);
    const format = view.getUint16(offset);
    if (format === 4) {
      const segments = view.getUint16(offset + 6) / 2;
      const ends = offset + 14;
      const starts = ends + segments * 2 + 2;
      const deltas = starts + segments * 2;
      const rangeOffsets = deltas + segments * 2;
      for (let s = 0; s < segments; s++) {
        const end = view.getUint16(ends + s * 2);
        const start = view.getUint16(starts + s * 2);
        const delta = view.getInt16(deltas + s * 2);
        const rangeOffset = view.getUint16(rangeOffsets + s * 2);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let glyph: number;
          if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
          else {
            const at = rangeOffsets + s * 2 + rangeOffset + (c - start) * 2;
            glyph = view.getUint16(at);
            if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
          }
          if (glyph !== 0 && !ids.has(c)) ids.set(c, glyph);
        }
      }
    } else if (format === 12) {
      const groups = view.getUint32(offset + 12);
      for (let g = 0; g < groups; g++) {
        const start = view.getUint32(offset + 16 + g * 12);
        const end = view.getUint32(offset + 20 + g * 12);
        const first = view.getUint32(offset + 24 + g * 12);
        for (let c = start; c <= end && c - start < 0x10000; c++) if (!ids.has(c)) ids.set(c, first + (c - start));
      }
    }
  }
  return ids;
}

export function fontMetrics(font: FontSpec): FontMetrics {
  const cached = cache.get(font.data);
  if (cached) return cached;
  const view = new DataView(font.data);
  const at = tables(view);
  const head = at.get('head');
  const hhea = at.get('hhea');
  const hmtx = at.get('hmtx');
  const cmap = at.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) {
    throw new Error(`[opentime] [fonts] ${font.name} ${font.weight} lacks head, hhea, hmtx or cmap`);
  }
  const unitsPerEm = view.getUint16(head + 18);
  const longMetrics = view.getUint16(hhea + 34);
  const ids = glyphIds(view, cmap);
  const lastAdvance = view.getUint16(hmtx + (longMetrics - 1) * 4);
  const metrics: FontMetrics = {
    unitsPerEm,
    advance(codePoint) {
      const glyph = ids.get(codePoint);
      if (glyph === undefined) return 0;
      return glyph < longMetrics ? view.getUint16(hmtx + glyph * 4) : lastAdvance;
    },
  };
  cache.set(font.data, metrics);
  return metrics;
}

/** The font of the given weight (the nearest one present). */
export function fontFor(fonts: readonly FontSpec[], weight: number): FontSpec | undefined {
  let best: FontSpec | undefined;
  for (const font of fonts) {
    if (!best || Math.abs(font.weight - weight) < Math.abs(best.weight - weight)) best = font;
  }
  return best;
}

/** Width of a string in pixels at a font size. */
export function textWidth(text: string, size: number, metrics: FontMetrics, letterSpacing = 0): number {
  let units = 0;
  let count = 0;
  for (const char of text) {
    units += metrics.advance(char.codePointAt(0) as number);
    count++;
  }
  return (units / metrics.unitsPerEm) * size + letterSpacing * count;
}
