import type { RawImage } from '../ports.ts';
import type { PlacedNode } from './layout.ts';

/**
 * Where a block is cut into parts (slices) for an email that gives every
 * product its own link. A part is named `head` (the band above the cards),
 * a slot number (`0` … `N-1`, that product's card and the margin around it),
 * `text` (the text beside the one product of a wide one-slot block) or
 * `foot` (the band below the cards). The parts tile the block exactly: rows
 * of cells, each row the block's full width, so an email lays them out as a
 * table and they meet without a seam. Cuts fall in the gaps between cards,
 * half way, and never through a card.
 */
export interface PartCell {
  part: string;
  /** The slot a click on this part opens; none for head and foot (they link to the fallback URL). */
  slot: number | undefined;
  /** CSS pixels from the block's top-left corner. */
  x: number;
  width: number;
}

export interface PartRow {
  y: number;
  height: number;
  cells: PartCell[];
}

export interface SliceLayout {
  width: number;
  height: number;
  rows: PartRow[];
}

export interface PartRect {
  part: string;
  slot: number | undefined;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the one card of a wide one-slot block splits into its photo (part `0`) and its text (part `text`), in CSS pixels. */
export interface TextSplit {
  at: number;
}

const EPSILON = 0.01;

/**
 * The parts of a block whose cards satori placed at `boxes` (slot order),
 * or undefined when they cannot be cut into rows of cells (cards that
 * overlap, or a row whose cards are not side by side).
 */
export function sliceLayout(boxes: readonly PlacedNode[], size: { width: number; height: number }, split?: TextSplit): SliceLayout | undefined {
  if (boxes.length === 0) return undefined;
  const cards = boxes.map((box, slot) => ({ slot, left: box.left, top: box.top, right: box.left + box.width, bottom: box.top + box.height }));
  // Rows: cards whose tops agree, in order down the block.
  const sorted = [...cards].sort((a, b) => a.top - b.top || a.left - b.left);
  const bands: Array<typeof cards> = [];
  for (const card of sorted) {
    const band = bands.at(-1);
    if (band && Math.abs((band[0]?.top ?? 0) - card.top) < 0.5) band.push(card);
    else bands.push([card]);
  }
  const tops = bands.map((band) => Math.min(...band.map((c) => c.top)));
  const bottoms = bands.map((band) => Math.max(...band.map((c) => c.bottom)));
  for (let i = 1; i < bands.length; i++) if ((tops[i] as number) < (bottoms[i - 1] as number) - EPSILON) return undefined;
  if ((tops[0] as number) < -EPSILON || (bottoms.at(-1) as number) > size.height + EPSILON) return undefined;

  const rows: PartRow[] = [];
  const headBottom = Math.floor(tops[0] as number);
  if (headBottom > 0) rows.push({ y: 0, height: headBottom, cells: [{ part: 'head', slot: undefined, x: 0, width: size.width }] });
  let y = Math.max(0, headBottom);
  bands.forEach((band, i) => {
    const end = i === bands.length - 1 ? Math.ceil(bottoms[i] as number) : Math.round(((bottoms[i] as number) + (tops[i + 1] as number)) / 2);
    const cells = rowCells(band, size.width, split);
    if (!cells) return;
    rows.push({ y, height: end - y, cells });
    y = end;
  });
  if (rows.reduce((n, row) => n + row.cells.filter((c) => c.slot !== undefined).length, 0) < cards.length) return undefined;
  if (y < size.height) rows.push({ y, height: size.height - y, cells: [{ part: 'foot', slot: undefined, x: 0, width: size.width }] });
  return { width: size.width, height: size.height, rows };
}

function rowCells(band: ReadonlyArray<{ slot: number; left: number; right: number }>, width: number, split: TextSplit | undefined): PartCell[] | undefined {
  const cards = [...band].sort((a, b) => a.left - b.left);
  for (let i = 1; i < cards.length; i++) if ((cards[i]?.left as number) < (cards[i - 1]?.right as number) - EPSILON) return undefined;
  const cells: PartCell[] = [];
  let x = 0;
  cards.forEach((card, i) => {
    const next = cards[i + 1];
    const end = next ? Math.round((card.right + next.left) / 2) : width;
    if (split && cards.length === 1 && split.at > card.left && split.at < card.right) {
      const at = Math.round(split.at);
      cells.push({ part: String(card.slot), slot: card.slot, x, width: at - x }, { part: 'text', slot: card.slot, x: at, width: end - at });
    } else cells.push({ part: String(card.slot), slot: card.slot, x, width: end - x });
    x = end;
  });
  return cells;
}

/** Every part of a layout, top to bottom and left to right, with its rectangle in CSS pixels. */
export function partRects(layout: SliceLayout): PartRect[] {
  return layout.rows.flatMap((row) => row.cells.map((cell) => ({ part: cell.part, slot: cell.slot, x: cell.x, y: row.y, width: cell.width, height: row.height })));
}

export function findPart(layout: SliceLayout, part: string): PartRect | undefined {
  return partRects(layout).find((rect) => rect.part === part);
}

/** A part's rectangle in output pixels: edges rounded alike, so the parts of one image meet exactly. */
export function outputRect(rect: PartRect, scale: number): { x: number; y: number; width: number; height: number } {
  const x = Math.round(rect.x * scale);
  const y = Math.round(rect.y * scale);
  return { x, y, width: Math.round((rect.x + rect.width) * scale) - x, height: Math.round((rect.y + rect.height) * scale) - y };
}

/** A copy of one rectangle of an image. */
export function cropImage(image: RawImage, rect: { x: number; y: number; width: number; height: number }): RawImage {
  const { channels } = image;
  const width = Math.max(1, Math.min(rect.width, image.width - rect.x));
  const height = Math.max(1, Math.min(rect.height, image.height - rect.y));
  const data = new Uint8Array(width * height * channels);
  const stride = image.width * channels;
  for (let row = 0; row < height; row++) {
    const from = (rect.y + row) * stride + rect.x * channels;
    data.set(image.data.subarray(from, from + width * channels), row * width * channels);
  }
  return { width, height, channels, data };
}
