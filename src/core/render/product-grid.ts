import type { BlockConfig } from '../blocks/schema.ts';
import type { Decision, ShownProduct } from '../decide/decide.ts';
import { h, img, type Element } from './elements.ts';
import { formatMoney } from './money.ts';

/**
 * The product grid: a headline over one card per filled slot (cards keep
 * their slot width and are centred when fewer are filled). Sizes derive
 * from the block's CSS size so that 600×300 and 400×600 blocks both look
 * designed. Titles wrap to two lines and end in an ellipsis, never overflow.
 */
export interface GridLayout {
  padding: number;
  gap: number;
  headlineSize: number;
  subheadlineSize: number;
  titleSize: number;
  /** Cards per row: all slots in one row, or two rows (2×2 for four slots in a squarish block). */
  columns: number;
  cardWidth: number;
  imageWidth: number;
  imageHeight: number;
  /** One card beside its text instead of above it. */
  horizontal: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const LINE = 1.25;

export function gridLayout(block: BlockConfig): GridLayout {
  const { width, height } = block.size;
  const params = block.params;
  const padding = Math.round(clamp(Math.min(width, height) * 0.055, 10, 28));
  const gap = Math.round(padding * 0.75);
  const headlineSize = params.headline === '' ? 0 : Math.round(clamp(Math.min(width / 22, height / 11), 14, 34));
  const subheadlineSize = params.subheadline ? Math.round(clamp(headlineSize * 0.6, 11, 20)) : 0;
  const innerWidth = width - 2 * padding;
  const headerHeight = headlineSize ? headlineSize * LINE + (subheadlineSize ? subheadlineSize * LINE + 2 : 0) + gap : 0;
  const available = height - 2 * padding - headerHeight;

  if (block.slots === 1 && width >= height * 1.4) {
    const imageHeight = Math.max(40, Math.floor(available));
    const titleSize = Math.round(clamp(innerWidth * 0.045, 11, 22));
    return { padding, gap, headlineSize, subheadlineSize, titleSize, columns: 1, cardWidth: innerWidth, imageWidth: Math.min(imageHeight, Math.floor(innerWidth * 0.45)), imageHeight, horizontal: true };
  }

  // Pick the arrangement that gives the largest photos.
  let best: GridLayout | undefined;
  for (const columns of new Set([block.slots, Math.ceil(block.slots / 2)])) {
    const rows = Math.ceil(block.slots / columns);
    const cardWidth = Math.floor((innerWidth - (columns - 1) * gap) / columns);
    const cellHeight = (available - (rows - 1) * gap) / rows;
    const titleSize = Math.round(clamp(Math.min(cardWidth * 0.085, cellHeight * 0.075), 11, 22));
    const textHeight = titleSize * LINE * 3 + (params.cta ? titleSize * LINE : 0) + 12;
    const imageHeight = Math.max(30, Math.floor(Math.min(cardWidth, cellHeight - textHeight)));
    const candidate = { padding, gap, headlineSize, subheadlineSize, titleSize, columns, cardWidth, imageWidth: cardWidth, imageHeight, horizontal: false };
    if (!best || Math.min(imageHeight, cardWidth) > Math.min(best.imageHeight, best.cardWidth)) best = candidate;
  }
  return best as GridLayout;
}

function priceLine(product: ShownProduct, block: BlockConfig, size: number): Element {
  const { accent, muted, text, locale } = block.params;
  const onSale = product.sale_price !== undefined && product.sale_price < product.price;
  const now = formatMoney(onSale ? (product.sale_price as number) : product.price, product.currency, locale);
  return h(
    'div',
    { display: 'flex', alignItems: 'baseline', gap: Math.round(size * 0.45), fontSize: size, lineHeight: LINE },
    h('span', { fontWeight: 700, color: onSale ? accent : text }, now),
    onSale ? h('span', { color: muted, textDecoration: 'line-through', fontSize: Math.round(size * 0.85) }, formatMoney(product.price, product.currency, locale)) : null,
  );
}

function card(product: ShownProduct, block: BlockConfig, layout: GridLayout, photo: string): Element {
  const { text, accent } = block.params;
  const size = layout.titleSize;
  const radius = Math.round(layout.imageWidth * 0.04);
  const details = h(
    'div',
    { display: 'flex', flexDirection: 'column', gap: 4, flex: layout.horizontal ? 1 : undefined, justifyContent: layout.horizontal ? 'center' : undefined },
    h(
      'div',
      {
        fontSize: size,
        fontWeight: 600,
        color: text,
        lineHeight: LINE,
        lineClamp: 2,
        wordBreak: 'break-word',
        // Always two lines tall, so prices line up across the row.
        height: layout.horizontal ? undefined : Math.ceil(size * LINE * 2),
        maxHeight: Math.ceil(size * LINE * 2),
        overflow: 'hidden',
      },
      product.title,
    ),
    block.params.show_price ? priceLine(product, block, size) : null,
    block.params.cta ? h('div', { fontSize: Math.round(size * 0.9), fontWeight: 700, color: accent, lineHeight: LINE }, block.params.cta) : null,
  );
  return h(
    'div',
    {
      display: 'flex',
      flexDirection: layout.horizontal ? 'row' : 'column',
      width: layout.cardWidth,
      gap: layout.horizontal ? layout.gap * 1.5 : 8,
      alignItems: layout.horizontal ? 'center' : 'stretch',
    },
    img(photo, layout.imageWidth, layout.imageHeight, { objectFit: 'cover', borderRadius: radius }),
    details,
  );
}

/** `photos` maps each shown product's image_url to an embeddable data URI. */
export function productGrid(block: BlockConfig, decision: Decision, photos: ReadonlyMap<string, string>): Element {
  const products = decision.slots.filter((s): s is ShownProduct => s !== null);
  const layout = gridLayout(block);
  const { headline, subheadline, background, text, muted } = block.params;
  return h(
    'div',
    {
      display: 'flex',
      flexDirection: 'column',
      width: block.size.width,
      height: block.size.height,
      padding: layout.padding,
      boxSizing: 'border-box',
      backgroundColor: background,
      fontFamily: 'Inter',
      overflow: 'hidden',
    },
    layout.headlineSize
      ? h(
          'div',
          { display: 'flex', flexDirection: 'column', marginBottom: layout.gap },
          h('div', { fontSize: layout.headlineSize, fontWeight: 700, color: text, lineHeight: LINE, lineClamp: 1, overflow: 'hidden' }, headline),
          subheadline ? h('div', { fontSize: layout.subheadlineSize, color: muted, lineHeight: LINE, lineClamp: 1, overflow: 'hidden', marginTop: 2 }, subheadline) : null,
        )
      : null,
    h(
      'div',
      { display: 'flex', flex: 1, alignItems: 'center', justifyContent: 'center' },
      h(
        'div',
        {
          display: 'flex',
          flexDirection: 'row',
          flexWrap: 'wrap',
          justifyContent: 'center',
          alignItems: layout.horizontal ? 'center' : 'flex-start',
          gap: layout.gap,
          width: layout.columns * layout.cardWidth + (layout.columns - 1) * layout.gap,
        },
        ...products.map((p) => card(p, block, layout, photos.get(p.image_url) ?? '')),
      ),
    ),
  );
}

/** The box each product photo is drawn in, in CSS pixels. */
export function photoBox(block: BlockConfig): { width: number; height: number } {
  const layout = gridLayout(block);
  return { width: layout.imageWidth, height: layout.imageHeight };
}
