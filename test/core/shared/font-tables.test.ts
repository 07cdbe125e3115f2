import { describe, expect, it } from 'vitest';
import { loadFonts } from '../../../src/adapters/node/files.ts';
import { coverage } from '../../../src/core/render/glyphs.ts';
import { cmapGlyphIds, fontTables } from '../../../src/core/shared/font-tables.ts';
import { fontMetrics } from '../../../src/core/templates/metrics.ts';

const fonts = await loadFonts();

describe('font tables', () => {
  it('finds the tables opentime reads in each font', () => {
    for (const font of fonts) expect([...fontTables(new DataView(font.data)).keys()]).toEqual(expect.arrayContaining(['cmap', 'head', 'hhea', 'hmtx']));
  });

  it('lets drawing keep exactly the characters that fitting can measure', () => {
    for (const font of fonts) {
      const view = new DataView(font.data);
      const ids = cmapGlyphIds(view, fontTables(view).get('cmap') as number);
      const drawn = coverage([font]);
      expect(drawn.size).toBe(ids.size);
      const metrics = fontMetrics(font);
      for (const char of 'Aa€ßΩж—→') {
        const code = char.codePointAt(0) as number;
        expect(drawn.has(code), char).toBe(true);
        expect(metrics.advance(code), char).toBeGreaterThan(0);
      }
    }
  });
});
