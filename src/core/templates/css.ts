/**
 * Inline styles (`style="font-size: 14px; color: #111"`) as the style objects
 * satori takes. Values that would make satori fetch something (`url(...)`)
 * are refused: a template can only show images the block config allowed,
 * through <img>.
 */
export type StyleObject = Record<string, string | number>;

/** Properties whose unitless numbers stay numbers. */
const UNITLESS = new Set(['lineHeight', 'flex', 'flexGrow', 'flexShrink', 'fontWeight', 'opacity', 'zIndex', 'lineClamp']);

function camelCase(property: string): string {
  const trimmed = property.trim().toLowerCase();
  // -webkit-line-clamp → WebkitLineClamp (satori's name), line-clamp → lineClamp
  const name = trimmed.startsWith('-webkit-') ? `Webkit-${trimmed.slice(8)}` : trimmed;
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface ParsedStyle {
  style: StyleObject;
  /** Declarations left out, with the reason (shown to template authors by validation). */
  refused: string[];
}

/**
 * Parsed styles by their text: a template renders the same style attributes
 * for every decision (only product data changes), and parsing them was a
 * good part of each render. Bounded; callers get their own copy.
 */
const PARSED_MAX = 2000;
const parsed = new Map<string, ParsedStyle>();

export function parseStyle(text: string): ParsedStyle {
  const known = parsed.get(text);
  if (known) return { style: { ...known.style }, refused: [...known.refused] };
  const result = parseStyleText(text);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(text, result);
  return { style: { ...result.style }, refused: [...result.refused] };
}

function parseStyleText(text: string): ParsedStyle {
  const style: StyleObject = {};
  const refused: string[] = [];
  for (const declaration of text.split(';')) {
    const colon = declaration.indexOf(':');
    if (colon === -1) {
      if (declaration.trim() !== '') refused.push(`"${declaration.trim()}" is not a property: value pair`);
      continue;
    }
    const property = camelCase(declaration.slice(0, colon));
    const value = declaration.slice(colon + 1).trim();
    if (property === '' || value === '') continue;
    if (/url\s*\(|expression\s*\(|@import/i.test(value)) {
      refused.push(`${property}: url() and imports are not allowed (use <img> with an allowed image)`);
      continue;
    }
    style[property] = UNITLESS.has(property) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return { style, refused };
}

/** A pixel length (`14px`, `14`) as a number, or undefined. */
export function pixels(value: string | number | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (value === undefined) return undefined;
  const match = /^(-?\d+(?:\.\d+)?)(px)?$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}
