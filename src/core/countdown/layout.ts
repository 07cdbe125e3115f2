import type { CountdownBlock } from '../blocks/countdown.ts';
import type { FontSpec } from '../ports.ts';
import { fontFor, fontMetrics, textWidth, type FontMetrics } from '../templates/metrics.ts';
import { upper, type Unit } from './units.ts';

/**
 * Where everything on a countdown goes, in CSS pixels (whole numbers, so
 * that at 2× every edge falls on a device pixel). Computed from the block's
 * size and the real advance widths of the font, so that a 600×150 and a
 * 300×300 block both fit their headline, four boxes and their labels.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface UnitBox extends Rect {
  unit: Unit;
  label: string;
  /** One rectangle per digit, left to right, all `cellWidth × cellHeight`. */
  cells: Rect[];
}

export interface CountdownLayout {
  width: number;
  height: number;
  headline?: { text: string; size: number; rect: Rect };
  subheadline?: { text: string; size: number; rect: Rect };
  boxes: UnitBox[];
  /** The ':' between boxes, each a `separatorWidth × cellHeight` rectangle on the background. */
  separators: Rect[];
  separatorWidth: number;
  digitSize: number;
  labelSize: number;
  cellWidth: number;
  cellHeight: number;
  radius: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Letter spacing of the labels, in em: small capitals read better spaced out. */
export const LABEL_TRACKING_EM = 0.08;
/** Lines of text take this many times their font size. */
const LINE = 1.25;

/** The widest digit of the font, in em: every digit cell is this wide, so numbers do not jitter as they change. */
function digitEm(metrics: FontMetrics): number {
  let widest = 0;
  for (let d = 0; d <= 9; d++) widest = Math.max(widest, metrics.advance(48 + d));
  return widest > 0 ? widest / metrics.unitsPerEm : 0.62;
}

/** The largest size ≤ `size` at which `text` fits `width`, but not below `min` (the template cuts it there with an ellipsis). */
function fitSize(text: string, size: number, min: number, width: number, metrics: FontMetrics | undefined, trackingEm = 0): number {
  if (!metrics || text === '') return size;
  const at = textWidth(text, size, metrics, trackingEm * size);
  // A small margin for kerning, which the measurement leaves out.
  return at * 1.04 <= width ? size : Math.max(min, Math.floor((size * width) / (at * 1.04)));
}

export function countdownLayout(
  block: Pick<CountdownBlock, 'size' | 'params'>,
  units: readonly Unit[],
  labels: readonly string[],
  leading: number,
  fonts: readonly FontSpec[],
): CountdownLayout {
  const { width, height } = block.size;
  const params = block.params;
  const bold = fontFor(fonts, 700);
  const boldMetrics = bold ? fontMetrics(bold) : undefined;
  const semibold = fontFor(fonts, 600);
  const labelMetrics = semibold ? fontMetrics(semibold) : undefined;

  const padding = Math.round(clamp(Math.min(width, height) * 0.08, 8, 32));
  const inner = width - 2 * padding;
  const headlineMax = params.headline === '' ? 0 : Math.round(clamp(Math.min(width / 20, height / 7), 12, 36));
  const headlineSize = fitSize(params.headline, headlineMax, Math.max(11, Math.round(headlineMax * 0.7)), inner, boldMetrics);
  const subSize = params.subheadline ? Math.round(clamp(headlineSize * 0.62, 10, 20)) : 0;
  const textGap = headlineSize > 0 ? Math.round(clamp(height * 0.06, 4, 16)) : 0;
  const headlineHeight = Math.ceil(headlineSize * LINE);
  const subHeight = subSize ? Math.ceil(subSize * LINE) : 0;
  const textHeight = headlineHeight + subHeight;

  // Everything on the row scales with the digit size: boxes, gaps, labels.
  const em = boldMetrics ? digitEm(boldMetrics) : 0.62;
  const cells = units.map((_, i) => (i === 0 ? leading : 2));
  const boxPad = 0.2;
  const sepWidth = 0.5;
  const rowEms = cells.reduce((n, c) => n + c * em + 2 * boxPad, 0) + (units.length - 1) * sepWidth;
  const boxHeightEms = params.labels ? 1.78 : 1.36;
  const rowHeight = height - 2 * padding - textHeight - textGap;
  let digitSize = Math.floor(Math.min(rowHeight / boxHeightEms, inner / rowEms, 140));
  digitSize = Math.max(8, digitSize);

  const cellWidth = Math.ceil(digitSize * em);
  const cellHeight = Math.ceil(digitSize * 1.2);
  const pad = Math.round(digitSize * boxPad);
  const sep = Math.round(digitSize * sepWidth);
  const boxHeight = Math.round(digitSize * boxHeightEms);
  const boxWidths = cells.map((c) => c * cellWidth + 2 * pad);
  const rowWidth = boxWidths.reduce((a, b) => a + b, 0) + (units.length - 1) * sep;

  // Labels fit the narrowest (two-digit) box.
  const labelRoom = 2 * cellWidth + 2 * pad - Math.max(2, Math.round(pad * 0.5));
  const labelMax = Math.max(7, Math.round(digitSize * 0.24));
  // Measured as drawn: in capitals.
  const labelSize = params.labels ? Math.min(...labels.map((label) => fitSize(upper(label, params.locale), labelMax, 6, labelRoom, labelMetrics, LABEL_TRACKING_EM))) : 0;

  // The headline, the subheadline and the row, centred as one group.
  const contentHeight = textHeight + textGap + boxHeight;
  let y = Math.max(padding, Math.round((height - contentHeight) / 2));
  const layout: CountdownLayout = {
    width,
    height,
    boxes: [],
    separators: [],
    separatorWidth: sep,
    digitSize,
    labelSize,
    cellWidth,
    cellHeight,
    radius: Math.round(digitSize * 0.16),
  };
  if (headlineSize > 0) {
    layout.headline = { text: params.headline, size: headlineSize, rect: { x: padding, y, width: inner, height: headlineHeight } };
    y += headlineHeight;
  }
  if (subSize > 0 && params.subheadline) {
    layout.subheadline = { text: params.subheadline, size: subSize, rect: { x: padding, y, width: inner, height: subHeight } };
    y += subHeight;
  }
  y += textGap;

  const digitsTop = params.labels ? Math.round(digitSize * 0.14) : Math.round((boxHeight - cellHeight) / 2);
  let x = Math.round((width - rowWidth) / 2);
  units.forEach((unit, i) => {
    const boxWidth = boxWidths[i] as number;
    const count = cells[i] as number;
    layout.boxes.push({
      unit,
      label: labels[i] ?? '',
      x,
      y,
      width: boxWidth,
      height: boxHeight,
      cells: Array.from({ length: count }, (_, c) => ({ x: x + pad + c * cellWidth, y: y + digitsTop, width: cellWidth, height: cellHeight })),
    });
    x += boxWidth;
    if (i < units.length - 1) {
      layout.separators.push({ x, y: y + digitsTop, width: sep, height: cellHeight });
      x += sep;
    }
  });
  return layout;
}
