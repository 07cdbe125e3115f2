import type { GridDecision, ShownProduct } from '../decide/decide.ts';

/**
 * Sizes for product templates, computed from the block's CSS size so that a
 * 600×300 and a 400×600 block both look designed: templates place things,
 * this says how big. Four slots in a squarish block become 2×2; one slot in
 * a wide block sits beside its text.
 */
export interface GridLayout {
  padding: number;
  gap: number;
  headline_size: number;
  headline_min: number;
  subheadline_size: number;
  inner_width: number;
  columns: number;
  row_width: number;
  card_width: number;
  image_width: number;
  image_height: number;
  radius: number;
  text_width: number;
  title_size: number;
  title_min: number;
  /** Two lines of title, so that prices line up across a row. */
  title_height: number;
  /**
   * A card's height: fixed (not grown by its content), so that each card is
   * a tile whose box does not depend on the product in it (see tiles.ts).
   */
  card_height: number;
  horizontal: boolean;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const LINE = 1.25;

/** What the layout depends on: the block's size, slot count and which texts it shows. */
export interface LayoutInput {
  size: { width: number; height: number };
  slots: number;
  params: { headline: string; subheadline?: string | undefined; cta: string; show_price?: boolean | undefined };
}

/** The gap between a card's photo and its text in product-grid.html. */
const CARD_GAP = 8;

/** The height of a card's text in product-grid.html: the title's box, the price line and the call to action, 4 px apart. */
function cardTextHeight(titleSize: number, params: LayoutInput['params'], titleHeight: number): number {
  let height = titleHeight;
  if (params.show_price !== false) height += 4 + titleSize * LINE;
  if (params.cta) height += 4 + Math.round(titleSize * 0.9) * LINE;
  return height;
}

export function gridLayout(block: LayoutInput): GridLayout {
  const { width, height } = block.size;
  const params = block.params;
  const padding = Math.round(clamp(Math.min(width, height) * 0.055, 10, 28));
  const gap = Math.round(padding * 0.75);
  const headlineSize = params.headline === '' ? 0 : Math.round(clamp(Math.min(width / 22, height / 11), 14, 34));
  const subheadlineSize = params.subheadline ? Math.round(clamp(headlineSize * 0.6, 11, 20)) : 0;
  const innerWidth = width - 2 * padding;
  const headerHeight = headlineSize ? headlineSize * LINE + (subheadlineSize ? subheadlineSize * LINE + 2 : 0) + gap : 0;
  const available = height - 2 * padding - headerHeight;
  const common = {
    padding,
    gap,
    headline_size: headlineSize,
    headline_min: Math.max(12, Math.round(headlineSize * 0.6)),
    subheadline_size: subheadlineSize,
    inner_width: innerWidth,
  };

  if (block.slots === 1 && width >= height * 1.4) {
    const imageHeight = Math.max(40, Math.floor(available));
    const imageWidth = Math.min(imageHeight, Math.floor(innerWidth * 0.45));
    const titleSize = Math.round(clamp(innerWidth * 0.045, 11, 22));
    return {
      ...common,
      columns: 1,
      row_width: innerWidth,
      card_width: innerWidth,
      image_width: imageWidth,
      image_height: imageHeight,
      radius: Math.round(imageWidth * 0.04),
      text_width: Math.floor(innerWidth - imageWidth - gap * 1.5),
      title_size: titleSize,
      title_min: 11,
      title_height: Math.ceil(titleSize * LINE * 2),
      card_height: Math.max(imageHeight, Math.ceil(cardTextHeight(titleSize, params, Math.ceil(titleSize * LINE * 2)))),
      horizontal: true,
    };
  }

  // The arrangement that gives the largest photos.
  let best: GridLayout | undefined;
  for (const columns of new Set([block.slots, Math.ceil(block.slots / 2)])) {
    const rows = Math.ceil(block.slots / columns);
    const cardWidth = Math.floor((innerWidth - (columns - 1) * gap) / columns);
    const cellHeight = (available - (rows - 1) * gap) / rows;
    const titleSize = Math.round(clamp(Math.min(cardWidth * 0.085, cellHeight * 0.075), 11, 22));
    const textHeight = titleSize * LINE * 3 + (params.cta ? titleSize * LINE : 0) + 12;
    const imageHeight = Math.max(30, Math.floor(Math.min(cardWidth, cellHeight - textHeight)));
    const candidate: GridLayout = {
      ...common,
      columns,
      row_width: columns * cardWidth + (columns - 1) * gap,
      card_width: cardWidth,
      image_width: cardWidth,
      image_height: imageHeight,
      radius: Math.round(cardWidth * 0.04),
      text_width: cardWidth,
      title_size: titleSize,
      title_min: 11,
      title_height: Math.ceil(titleSize * LINE * 2),
      card_height: Math.ceil(imageHeight + CARD_GAP + cardTextHeight(titleSize, params, Math.ceil(titleSize * LINE * 2))),
      horizontal: false,
    };
    if (!best || Math.min(imageHeight, cardWidth) > Math.min(best.image_height, best.card_width)) best = candidate;
  }
  return best as GridLayout;
}

/** A shown product as templates see it. */
export interface ProductView extends ShownProduct {
  on_sale: boolean;
  slot: number;
}

export function productViews(decision: GridDecision): ProductView[] {
  const views: ProductView[] = [];
  decision.slots.forEach((product, slot) => {
    if (!product) return;
    views.push({ ...product, on_sale: product.sale_price !== undefined && product.sale_price < product.price, slot });
  });
  return views;
}

/** Sizes for templates that list one product per row (product-row). */
export interface RowLayout {
  row_height: number;
  image_size: number;
  radius: number;
  text_width: number;
  title_size: number;
}

export function rowLayout(block: LayoutInput, grid: GridLayout): RowLayout {
  const header = grid.headline_size ? grid.headline_size * LINE + grid.gap : 0;
  const rowHeight = Math.floor((block.size.height - 2 * grid.padding - header - (block.slots - 1) * grid.gap) / block.slots);
  const imageSize = Math.max(24, Math.min(rowHeight, Math.floor(grid.inner_width * 0.3)));
  const ctaWidth = block.params.cta ? Math.min(160, Math.round(grid.inner_width * 0.25)) + grid.gap : 0;
  const titleSize = Math.round(clamp(Math.min(rowHeight * 0.2, grid.inner_width * 0.04), 11, 20));
  return {
    row_height: rowHeight,
    image_size: imageSize,
    radius: Math.round(imageSize * 0.08),
    text_width: Math.max(40, grid.inner_width - imageSize - grid.gap - ctaWidth),
    title_size: titleSize,
  };
}

/** Sizes for the hero template: a text column over the background, a button. */
export interface HeroLayout {
  padding: number;
  gap: number;
  headline_size: number;
  headline_min: number;
  subcopy_size: number;
  /** The text column, padding included, and the text inside it. */
  text_width: number;
  inner_width: number;
  cta_size: number;
  button_padding_x: number;
  button_padding_y: number;
  button_radius: number;
  text_color: string;
}

export function heroLayout(size: { width: number; height: number }, textColor: string, hasImage: boolean): HeroLayout {
  const padding = Math.round(clamp(Math.min(size.width, size.height) * 0.08, 14, 48));
  const textWidth = Math.round(hasImage ? size.width * 0.62 : size.width);
  const headline = Math.round(clamp(Math.min(size.width / 14, size.height / 6), 16, 56));
  const cta = Math.round(clamp(headline * 0.42, 12, 22));
  return {
    padding,
    gap: Math.round(clamp(headline * 0.35, 6, 20)),
    headline_size: headline,
    headline_min: Math.max(14, Math.round(headline * 0.55)),
    subcopy_size: Math.round(clamp(headline * 0.42, 12, 22)),
    text_width: textWidth,
    inner_width: textWidth - 2 * padding,
    cta_size: cta,
    button_padding_x: Math.round(cta * 1.1),
    button_padding_y: Math.round(cta * 0.6),
    button_radius: Math.round(cta * 0.4),
    text_color: textColor,
  };
}
