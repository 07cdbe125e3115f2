import type { BlockConfig } from '../blocks/schema.ts';
import type { CountdownBlock } from '../blocks/countdown.ts';
import { h, img, type Element } from '../render/elements.ts';
import { LABEL_TRACKING_EM, type CountdownLayout, type Rect } from './layout.ts';
import { upper } from './units.ts';

/**
 * The satori element trees of a countdown: the face (everything but the
 * digits), the glyph strip (each digit and the separator, once), the
 * expired state and the static fallback. Positions come from
 * `countdownLayout`, so the digits composited later land exactly in the
 * cells the face leaves empty.
 */
const at = (rect: Rect) => ({ position: 'absolute', left: rect.x, top: rect.y, width: rect.width, height: rect.height }) as const;

const oneLine = { whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' } as const;

function root(width: number, height: number, background: string, ...children: Array<Element | null>): Element {
  return h('div', { display: 'flex', position: 'relative', width, height, backgroundColor: background, fontFamily: 'Inter' }, ...children);
}

export function faceElement(block: CountdownBlock, layout: CountdownLayout): Element {
  const p = block.params;
  const text = (rect: Rect, size: number, weight: number, color: string, content: string) =>
    h('div', { ...at(rect), display: 'flex', justifyContent: 'center', alignItems: 'center', ...oneLine, fontSize: size, fontWeight: weight, color, lineHeight: 1.25 }, content);
  const boxes = layout.boxes.map((box) => {
    const first = box.cells[0];
    const labelTop = (first ? first.y + first.height : box.y) - box.y;
    return h(
      'div',
      { ...at(box), display: 'flex', backgroundColor: p.box, borderRadius: layout.radius },
      p.labels && box.label
        ? h(
            'div',
            {
              position: 'absolute',
              left: 0,
              top: labelTop,
              width: box.width,
              height: box.height - labelTop,
              display: 'flex',
              justifyContent: 'center',
              alignItems: 'flex-start',
              ...oneLine,
              fontSize: layout.labelSize,
              fontWeight: 600,
              letterSpacing: LABEL_TRACKING_EM * layout.labelSize,
              color: p.digits,
              opacity: 0.75,
              lineHeight: 1,
            },
            upper(box.label, p.locale),
          )
        : null,
    );
  });
  return root(
    block.size.width,
    block.size.height,
    p.background,
    layout.headline ? text(layout.headline.rect, layout.headline.size, 700, p.text, layout.headline.text) : null,
    layout.subheadline ? text(layout.subheadline.rect, layout.subheadline.size, 400, p.muted, layout.subheadline.text) : null,
    ...boxes,
  );
}

/** Gap between glyphs in the strip, so that no glyph's edge bleeds into its neighbour's tile. */
export const STRIP_GAP = 4;
export const GLYPHS = '0123456789';

/** Where each glyph sits in the strip: the ten digits, then the separator. */
export function stripCells(layout: CountdownLayout): Rect[] {
  const cells = Array.from(GLYPHS, (_, i) => ({ x: i * (layout.cellWidth + STRIP_GAP), y: 0, width: layout.cellWidth, height: layout.cellHeight }));
  cells.push({ x: GLYPHS.length * (layout.cellWidth + STRIP_GAP), y: 0, width: layout.separatorWidth, height: layout.cellHeight });
  return cells;
}

export function stripSize(layout: CountdownLayout): { width: number; height: number } {
  const last = stripCells(layout).at(-1) as Rect;
  return { width: last.x + last.width, height: layout.cellHeight };
}

/** The digits on the box colour and the separator on the background, each centred in its cell like the face expects. */
export function glyphStripElement(block: CountdownBlock, layout: CountdownLayout): Element {
  const p = block.params;
  const size = stripSize(layout);
  const cells = stripCells(layout);
  const glyph = (rect: Rect, char: string, background: string, color: string) =>
    h(
      'div',
      {
        ...at(rect),
        display: 'flex',
        justifyContent: 'center',
        alignItems: 'center',
        backgroundColor: background,
        color,
        fontSize: layout.digitSize,
        fontWeight: 700,
        lineHeight: 1.2,
      },
      char,
    );
  return root(
    size.width,
    size.height,
    p.background,
    ...Array.from(GLYPHS, (char, i) => glyph(cells[i] as Rect, char, p.box, p.digits)),
    glyph(cells[GLYPHS.length] as Rect, ':', p.background, p.text),
  );
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A full-bleed image (an expired image, a fallback image) over the block's background. */
export function imageElement(block: Pick<BlockConfig, 'size' | 'params'>, dataUri: string): Element {
  return root(block.size.width, block.size.height, block.params.background, img(dataUri, block.size.width, block.size.height, { objectFit: 'cover' }));
}

/**
 * A centred message on the block's colours with an accent rule above it:
 * the expired state ("This offer has ended") and the static fallback share
 * this look, so both read as designed rather than as an error.
 */
export function messageElement(block: Pick<BlockConfig, 'size' | 'params'>, title: string, line: string | undefined, options: { lineColor: 'muted' | 'accent' }): Element {
  const { width, height } = block.size;
  const p = block.params;
  const size = Math.round(clamp(Math.min(width / 16, height / 5), 14, 44));
  const lineSize = Math.round(clamp(size * 0.5, 11, 22));
  const padding = Math.round(clamp(Math.min(width, height) * 0.08, 8, 32));
  return h(
    'div',
    {
      display: 'flex',
      flexDirection: 'column',
      alignItems: 'center',
      justifyContent: 'center',
      width,
      height,
      padding,
      boxSizing: 'border-box',
      backgroundColor: p.background,
      fontFamily: 'Inter',
      gap: Math.round(size * 0.3),
    },
    h('div', { width: Math.round(size * 1.4), height: Math.max(2, Math.round(size / 9)), borderRadius: 2, backgroundColor: p.accent }),
    title ? h('div', { fontSize: size, fontWeight: 700, color: p.text, textAlign: 'center', lineClamp: 2, lineHeight: 1.2, maxWidth: width - 2 * padding }, title) : null,
    line
      ? h(
          'div',
          {
            fontSize: lineSize,
            fontWeight: options.lineColor === 'accent' ? 700 : 400,
            color: options.lineColor === 'accent' ? p.accent : p.muted,
            textAlign: 'center',
            lineClamp: 1,
            lineHeight: 1.25,
            maxWidth: width - 2 * padding,
          },
          line,
        )
      : null,
  );
}
