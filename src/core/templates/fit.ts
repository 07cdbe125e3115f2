import type { FontSpec } from '../ports.ts';
import type { Child, Element } from '../render/elements.ts';
import { pixels } from './css.ts';
import { fontFor, fontMetrics, textWidth, type FontMetrics } from './metrics.ts';

/**
 * Text that is too long for its box: an element marked `data-fit-min="12"`
 * is shrunk from its font size, a pixel at a time, until its text wraps into
 * its `line-clamp` lines (1 if unset) within its width; at the minimum size
 * it is cut with an ellipsis by the layout (line-clamp), never clipped
 * mid-glyph and never overflowing.
 */
/** Measured widths are a little short of the laid-out ones (no kerning, rounding). */
const SAFETY = 1.03;

/** How many lines greedy wrapping at spaces needs; words longer than the line break anywhere. */
export function linesNeeded(text: string, width: number, size: number, metrics: FontMetrics): number {
  const space = textWidth(' ', size, metrics);
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    lines++;
    let used = 0;
    for (const word of paragraph.split(/ +/).filter((w) => w !== '')) {
      let w = textWidth(word, size, metrics) * SAFETY;
      if (used > 0 && used + space + w <= width) {
        used += space + w;
        continue;
      }
      if (used > 0) lines++;
      // A word wider than the line breaks across lines.
      while (w > width) {
        lines++;
        w -= width;
      }
      used = w;
    }
  }
  return Math.max(1, lines);
}

export function fittedSize(text: string, options: { width: number; maxLines: number; size: number; minSize: number; metrics: FontMetrics }): number {
  for (let size = options.size; size > options.minSize; size -= 1) {
    if (linesNeeded(text, options.width, size, options.metrics) <= options.maxLines) return size;
  }
  return options.minSize;
}

function textOf(children: Child | Child[] | undefined): string {
  if (children === undefined || children === null || children === false) return '';
  if (typeof children === 'string') return children;
  if (Array.isArray(children)) return children.map(textOf).join('');
  return textOf(children.props.children as Child | Child[] | undefined);
}

/** Applies data-fit-min to every marked element of a tree (in place; the tree is the caller's fresh copy). */
export function fitText(node: Child | Child[], fonts: readonly FontSpec[]): void {
  if (Array.isArray(node)) {
    for (const child of node) fitText(child, fonts);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const element = node as Element;
  const minSize = element.props.fitMin;
  if (typeof minSize === 'number') {
    delete element.props.fitMin;
    const style = { ...(element.props.style ?? {}) };
    const size = pixels(style.fontSize);
    const width = pixels(style.width) ?? pixels(style.maxWidth);
    const maxLines = Number(style.lineClamp ?? style.WebkitLineClamp ?? 1) || 1;
    const font = fontFor(fonts, Number(style.fontWeight ?? 400));
    if (size !== undefined && width !== undefined && font) {
      const fitted = fittedSize(textOf(element.props.children as Child | Child[]), { width, maxLines, size, minSize: Math.min(minSize, size), metrics: fontMetrics(font) });
      style.fontSize = fitted;
      style.lineClamp = maxLines;
      style.overflow = 'hidden';
      style.wordBreak = 'break-word';
      element.props.style = style;
    }
  }
  fitText(element.props.children as Child | Child[], fonts);
}
