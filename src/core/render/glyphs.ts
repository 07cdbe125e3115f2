import type { FontSpec } from '../ports.ts';
import { cmapGlyphIds, fontTables } from '../shared/font-tables.ts';

/**
 * Which characters the fonts can draw, read from their `cmap` tables, so
 * that text the fonts cannot draw (an emoji in a product title, a script no
 * font covers) is left out instead of being drawn as empty boxes. Add a font
 * to fonts/ to cover more scripts.
 */
export type Coverage = ReadonlySet<number>;

const cache = new WeakMap<ArrayBuffer, Set<number>>();

function readCmap(data: ArrayBuffer): Set<number> {
  const view = new DataView(data);
  const cmap = fontTables(view).get('cmap');
  return cmap === undefined ? new Set() : new Set(cmapGlyphIds(view, cmap).keys());
}

export function coverage(fonts: readonly FontSpec[]): Coverage {
  const all = new Set<number>();
  for (const font of fonts) {
    let points = cache.get(font.data);
    if (!points) {
      try {
        points = readCmap(font.data);
      } catch {
        points = new Set();
      }
      cache.set(font.data, points);
    }
    for (const p of points) all.add(p);
  }
  return all;
}

/** The text with characters no font can draw left out (and the spaces around them tidied). */
export function drawable(text: string, glyphs: Coverage): string {
  if (glyphs.size === 0) return text;
  let out = '';
  let dropped = false;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    // Joiners and variation selectors belong to characters that were dropped, or draw nothing.
    if (glyphs.has(code) || code === 0x20 || code === 0x0a) out += char;
    else if (/\s/u.test(char))
      out += ' '; // a thin or no-break space the font lacks
    else dropped = true;
  }
  return dropped ? out.replace(/ {2,}/g, ' ').trim() : out;
}

/** Applies `drawable` to every text node of an element tree (a copy; the input is not changed). */
export function drawableTree<T>(node: T, glyphs: Coverage): T {
  if (typeof node === 'string') return drawable(node, glyphs) as T;
  if (Array.isArray(node)) return node.map((child) => drawableTree(child, glyphs)) as T;
  if (node && typeof node === 'object' && 'props' in node) {
    const element = node as { props: { children?: unknown } };
    if (element.props.children === undefined) return node;
    return { ...node, props: { ...element.props, children: drawableTree(element.props.children, glyphs) } } as T;
  }
  return node;
}
