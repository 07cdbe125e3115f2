/**
 * The tables of a TrueType/OpenType font that opentime reads itself: the
 * table directory and the `cmap` (character → glyph id, formats 4 and 12).
 * Text fitting measures with it (metrics.ts) and drawing leaves out what no
 * font covers (glyphs.ts); one reader, so the two never disagree about what
 * a font can draw.
 */

/** Each table's offset in the font, by tag (`cmap`, `hmtx`, …). */
export function fontTables(view: DataView): Map<string, number> {
  const found = new Map<string, number>();
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + i * 16;
    const tag = String.fromCharCode(view.getUint8(record), view.getUint8(record + 1), view.getUint8(record + 2), view.getUint8(record + 3));
    found.set(tag, view.getUint32(record + 8));
  }
  return found;
}

/**
 * The glyph id of every character the `cmap` at `cmap` maps; a character
 * mapped to glyph 0 (.notdef, drawn as an empty box) is left out.
 */
export function cmapGlyphIds(view: DataView, cmap: number): Map<number, number> {
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
