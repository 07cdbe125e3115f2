import type { FontSpec } from '../ports.ts';
import { cmapGlyphIds, fontTables } from '../shared/font-tables.ts';

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

export function fontMetrics(font: FontSpec): FontMetrics {
  const cached = cache.get(font.data);
  if (cached) return cached;
  const view = new DataView(font.data);
  const at = fontTables(view);
  const head = at.get('head');
  const hhea = at.get('hhea');
  const hmtx = at.get('hmtx');
  const cmap = at.get('cmap');
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined) {
    throw new Error(`[opentime] [fonts] ${font.name} ${font.weight} lacks head, hhea, hmtx or cmap`);
  }
  const unitsPerEm = view.getUint16(head + 18);
  const longMetrics = view.getUint16(hhea + 34);
  const ids = cmapGlyphIds(view, cmap);
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
