import { describe, expect, it } from 'vitest';
import { loadFonts } from '../../../src/adapters/node/files.ts';
import { coverage, drawable, drawableTree } from '../../../src/core/render/glyphs.ts';
import { h } from '../../../src/core/render/elements.ts';

const glyphs = coverage(await loadFonts());

describe('glyph coverage', () => {
  it('reads what Inter can draw from its cmap', () => {
    for (const char of 'Aa€$£¥ÄÖÜßéçøŁΩжд–—…→') expect(glyphs.has(char.codePointAt(0) as number), char).toBe(true);
    for (const char of '😀日本') expect(glyphs.has(char.codePointAt(0) as number), char).toBe(false);
  });

  it('leaves out characters no font can draw, tidying the spaces around them', () => {
    expect(drawable('Summer Sale 🔥 ends tonight', glyphs)).toBe('Summer Sale ends tonight');
    expect(drawable('🎉 Party Pack', glyphs)).toBe('Party Pack');
    expect(drawable('Crème brûlée — 5 €', glyphs)).toBe('Crème brûlée — 5 €');
  });

  it('cleans every text node of an element tree without changing the input', () => {
    const tree = h('div', {}, 'Hi 👋', h('span', {}, 'Tee 👕 Shirt'));
    const clean = drawableTree(tree, glyphs);
    expect(JSON.stringify(clean)).not.toMatch(/👋|👕/);
    expect(JSON.stringify(clean)).toContain('Tee Shirt');
    expect(JSON.stringify(tree)).toContain('👋');
  });
});
