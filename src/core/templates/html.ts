import type { Child, Element } from '../render/elements.ts';
import { parseStyle } from './css.ts';

/**
 * A small HTML parser for templates: the elements satori lays out, inline
 * styles, and text. It is not a browser: it knows the tags templates may use
 * and reports everything else, so a template author learns at PUT time what
 * will not render, instead of seeing a blank block in an inbox.
 */
const CONTAINERS = new Set(['div', 'span', 'p', 'section', 'header', 'footer', 'b', 'strong', 'i', 'em', 's', 'del', 'small', 'u']);
const VOID = new Set(['img', 'br']);

/** Tags that only add a style to a span. */
const PHRASING: Record<string, Record<string, string | number>> = {
  b: { fontWeight: 700 },
  strong: { fontWeight: 700 },
  i: { fontStyle: 'italic' },
  em: { fontStyle: 'italic' },
  s: { textDecoration: 'line-through' },
  del: { textDecoration: 'line-through' },
  u: { textDecoration: 'underline' },
  small: { fontSize: '0.85em' },
};

export interface ParsedHtml {
  root: Element | undefined;
  problems: string[];
  /** For each problem, the markup it is about (a tag as written), when there is one: to find it in the template's source. */
  markup: Array<string | undefined>;
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rarr: '→',
  larr: '←',
  euro: '€',
  pound: '£',
  copy: '©',
  reg: '®',
  trade: '™',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, code: string) => {
    if (code[0] === '#') {
      const point = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(point) && point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : '';
    }
    return ENTITIES[code.toLowerCase()] ?? match;
  });
}

const TOKEN = /<!--[\s\S]*?-->|<\/\s*([a-zA-Z][\w-]*)\s*>|<([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*(\/?)>|([^<]+)|</g;
const ATTRIBUTE = /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

interface Open {
  element: Element;
  tag: string;
  children: Child[];
}

function attributesOf(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) {
    attributes[(match[1] as string).toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

/** Collapses white space the way HTML does; text that is only white space between tags is dropped. */
function text(raw: string): string | undefined {
  const collapsed = decodeEntities(raw.replace(/\s+/g, ' '));
  return collapsed.trim() === '' ? undefined : collapsed;
}

export function parseHtml(source: string): ParsedHtml {
  const problems: string[] = [];
  const markup: Array<string | undefined> = [];
  let token: string | undefined;
  const problem = (message: string, about = token) => {
    problems.push(message);
    markup.push(about);
  };
  const top: Child[] = [];
  const stack: Open[] = [];
  const append = (child: Child) => (stack.length > 0 ? (stack[stack.length - 1] as Open).children.push(child) : top.push(child));

  for (const match of source.matchAll(TOKEN)) {
    const [whole, closing, opening, attributeText, selfClosing, textRun] = match;
    if (whole.startsWith('<!--')) continue;
    token = whole;
    if (textRun !== undefined) {
      const value = text(textRun);
      if (value !== undefined) append(value);
      continue;
    }
    if (closing !== undefined) {
      const tag = closing.toLowerCase();
      const index = stack.map((o) => o.tag).lastIndexOf(tag);
      if (index === -1) {
        problem(`</${tag}> closes nothing`);
        continue;
      }
      while (stack.length > index) {
        const done = stack.pop() as Open;
        if (done.tag !== tag) problem(`<${done.tag}> is not closed before </${tag}>`);
        done.element.props.children = done.children.length === 1 ? done.children[0] : done.children;
        append(done.element);
      }
      continue;
    }
    if (opening === undefined) {
      problem('a stray "<" (write &lt; for a literal <)');
      continue;
    }
    const tag = opening.toLowerCase();
    const attributes = attributesOf(attributeText ?? '');
    const { style, refused } = parseStyle(attributes.style ?? '');
    for (const reason of refused) problem(`<${tag}> style: ${reason}`);

    if (tag === 'br') {
      append('\n');
      continue;
    }
    if (tag === 'img') {
      const element: Element = { type: 'img', key: null, props: { src: attributes.src ?? '', style } };
      for (const size of ['width', 'height'] as const) {
        const value = attributes[size];
        if (value !== undefined && /^\d+$/.test(value)) element.props[size] = Number(value);
      }
      if (!attributes.src) problem('<img> has no src');
      append(element);
      continue;
    }
    if (!CONTAINERS.has(tag) && !VOID.has(tag)) problem(`<${tag}> is not supported (use div, span, p, img, b, i, s, br)`);
    const type = tag === 'div' || tag === 'section' || tag === 'header' || tag === 'footer' || tag === 'p' ? 'div' : tag === 'span' || tag in PHRASING ? 'span' : 'div';
    const element: Element = { type, key: null, props: { style: { ...(PHRASING[tag] ?? {}), ...style } } };
    const fit = attributes['data-fit-min'];
    if (fit !== undefined) {
      if (/^\d+(\.\d+)?$/.test(fit)) element.props.fitMin = Number(fit);
      else problem(`<${tag}> data-fit-min="${fit}" is not a number of pixels`);
    }
    // A product card whose drawing depends only on its product and size: rendered once, composited per decision.
    if ('data-tile' in attributes) element.props.tile = true;
    if (selfClosing) {
      append(element);
      continue;
    }
    stack.push({ element, tag, children: [] });
  }
  while (stack.length > 0) {
    const open = stack.pop() as Open;
    problem(`<${open.tag}> is not closed`, `<${open.tag}`);
    open.element.props.children = open.children.length === 1 ? open.children[0] : open.children;
    append(open.element);
  }

  const elements = top.filter((c): c is Element => typeof c === 'object' && c !== null);
  token = undefined;
  if (top.some((c) => typeof c === 'string')) problem('text outside the root element is ignored');
  if (elements.length !== 1) problem(elements.length === 0 ? 'the template has no root element' : 'the template must have exactly one root element');
  return { root: elements[0], problems, markup };
}
