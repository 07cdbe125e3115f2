import type { BlockConfig } from '../blocks/schema.ts';
import { kindOf } from '../kinds/registry.ts';
import { partRects, type PartRect, type SliceLayout } from '../render/slices.ts';
import { altText } from './block-snippet.ts';
import { MERGE_TAGS, escapeAttr, espQuery, espSnippet, type Esp, type SnippetOptions } from './snippets.ts';

/**
 * The one snippet builder: the HTML a marketer pastes into an ESP template
 * for a block, sliced for grids (every product its own image and its own
 * link) or whole. `opentime links`, `POST /v1/links` (the Studio) and the
 * demo page all build through `buildEmbed`.
 *
 * A sliced grid is email-safe the way Outlook's Word engine needs it: a
 * `role="presentation"` table, one row per band of parts, each row a table
 * of its own cells (so rows may be cut differently), widths and heights as
 * attributes and inline CSS in pixels, no padding or spacing that Word would
 * add to, every image `display:block;border:0` with its `width`, `height`
 * and `alt`. Where a client honours media queries (Apple Mail, iOS, the
 * Gmail apps, Outlook.com) the cells stack on screens narrower than the
 * block and the images scale to the screen; elsewhere the grid keeps its
 * widths.
 */
export interface EmbedPart {
  /** `head`, a slot number, `text` or `foot`; `whole` for an image that is not sliced. */
  part: string;
  image_url: string;
  /** Where a click on the part goes (its slot's link); null for parts that are not a product (head, foot). */
  click_url: string | null;
  width: number;
  height: number;
  alt: string;
}

export interface Embed {
  block: string;
  esp: Esp;
  sliced: boolean;
  html: string;
  parts: EmbedPart[];
  notes: string[];
}

export interface EmbedOptions {
  esp: Esp;
  /** The server's public URL, e.g. https://live.example.com. */
  origin: string;
  /** Slice a grid (the default where the block's kind slices); false: one image, one link. */
  sliced?: boolean | undefined;
  signing?: SnippetOptions['signing'];
  /** The whole image's alt text, instead of the block's. */
  alt?: string | undefined;
  /** The URLs' query as it goes into attributes, instead of the ESP's merge tags (the demo page fills in its shopper). */
  query?: string | undefined;
}

/** Media queries apply up to this width beyond the block's own: a phone's screen. */
const STACK_BELOW_PX = 20;

/** A product slot's alt text: static (an email's alt is fixed at send time, the product is chosen at open), so generic. */
export function slotAlt(slot: number): string {
  return `Recommended product ${slot + 1}`;
}

function partAlt(rect: PartRect, wholeAlt: string): string {
  if (rect.part === 'head') return wholeAlt;
  if (rect.part === 'foot') return '';
  if (rect.part === 'text') return `${slotAlt(rect.slot ?? 0)}: name and price`;
  return slotAlt(rect.slot ?? Number(rect.part));
}

/** Whether a block is embedded in parts when the caller does not say: its kind slices, and its template could be cut. */
export function slicesByDefault(block: BlockConfig): boolean {
  return kindOf(block).slices === true;
}

/**
 * The embed of a block for one ESP. `layout` is where its parts are cut
 * (the kind's `sliceLayout`); without one the block is embedded whole, with
 * a note saying why when slices were asked for.
 */
export function buildEmbed(block: BlockConfig, layout: SliceLayout | undefined, options: EmbedOptions): Embed {
  const origin = options.origin.replace(/\/+$/, '');
  const query = options.query ?? espQuery(options.esp, options.signing);
  const wholeAlt = options.alt ?? altText(block);
  const notes = [MERGE_TAGS[options.esp].note];
  if (options.signing?.mode === 'token') notes.push('opentime_token is a profile field: load it with `npx opentime tokens` (or POST /v1/tokens).');
  const wantsSlices = options.sliced ?? slicesByDefault(block);
  const plainUrl = (html: string) => html.replace(/&amp;/g, '&');

  if (!wantsSlices || !layout || !kindOf(block).slices) {
    if (wantsSlices && !kindOf(block).slices) notes.push(`A ${block.kind} block is one image and one link; it is not sliced.`);
    else if (wantsSlices)
      notes.push(`The template ${'template' in block ? block.template : ''} marks no data-tile card per slot, so the block cannot be cut into parts; it is embedded whole.`);
    const extension = kindOf(block).formats[0];
    const html = espSnippet(options.esp, {
      origin,
      blockId: block.id,
      width: block.size.width,
      height: block.size.height,
      alt: wholeAlt,
      extension,
      ...(options.signing ? { signing: options.signing } : {}),
      ...(options.query === undefined ? {} : { query: options.query }),
    });
    const part: EmbedPart = {
      part: 'whole',
      image_url: plainUrl(`${origin}/i/${block.id}.${extension}?${query}`),
      click_url: plainUrl(`${origin}/c/${block.id}/0?${query}`),
      width: block.size.width,
      height: block.size.height,
      alt: wholeAlt,
    };
    return { block: block.id, esp: options.esp, sliced: false, html, parts: [part], notes };
  }

  const imageUrl = (part: string) => `${origin}/i/${block.id}/${part}.png?${query}`;
  const clickUrl = (slot: number | undefined) => (slot === undefined ? null : `${origin}/c/${block.id}/${slot}?${query}`);
  const cls = `ot-${block.id}`;
  const img = (rect: PartRect) =>
    `<img src="${imageUrl(rect.part)}" width="${rect.width}" height="${rect.height}" alt="${escapeAttr(partAlt(rect, wholeAlt))}" style="display:block;border:0">`;
  const cell = (rect: PartRect, stack: boolean) => {
    const link = clickUrl(rect.slot);
    const inner = link ? `<a href="${link}" target="_blank" style="display:block;text-decoration:none">${img(rect)}</a>` : img(rect);
    return `<td${stack ? ' class="ot-cell"' : ''} width="${rect.width}" height="${rect.height}" valign="top" style="width:${rect.width}px;height:${rect.height}px;padding:0;line-height:0;font-size:0">${inner}</td>`;
  };
  const width = layout.width;
  const rows = layout.rows.map((row) => {
    const rects = row.cells.map((c) => ({ part: c.part, slot: c.slot, x: c.x, y: row.y, width: c.width, height: row.height }));
    const cells = rects.map((rect) => cell(rect, true)).join('');
    return [
      `  <tr><td style="padding:0">`,
      `    <table role="presentation" width="${width}" cellpadding="0" cellspacing="0" border="0" style="width:${width}px;border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt"><tr>${cells}</tr></table>`,
      `  </td></tr>`,
    ].join('\n');
  });
  const html = [
    `<!-- opentime: ${block.id}, one image and one link per product. The <style> block may go in the template's <head>; without it the grid keeps its widths. -->`,
    `<style>@media only screen and (max-width:${width + STACK_BELOW_PX}px){.${cls}{width:100%!important}.${cls} table{width:100%!important}.${cls} .ot-cell{display:block!important;width:100%!important;height:auto!important}.${cls} img{width:100%!important;height:auto!important}}</style>`,
    `<table role="presentation" class="${cls}" width="${width}" cellpadding="0" cellspacing="0" border="0" style="width:${width}px;border-collapse:collapse;mso-table-lspace:0pt;mso-table-rspace:0pt">`,
    ...rows,
    `</table>`,
  ].join('\n');
  const parts = partRects(layout).map(
    (rect): EmbedPart => ({
      part: rect.part,
      image_url: plainUrl(imageUrl(rect.part)),
      click_url: rect.slot === undefined ? null : plainUrl(clickUrl(rect.slot) as string),
      width: rect.width,
      height: rect.height,
      alt: partAlt(rect, wholeAlt),
    }),
  );
  notes.push('Each product is its own image and link; a click on one opens the product that image showed. Keep the parts together: they are one open.');
  return { block: block.id, esp: options.esp, sliced: true, html, parts, notes };
}
