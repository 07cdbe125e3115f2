import { applyPalette, quantize } from 'gifenc/src/index.js';
import type { BlockConfig } from '../blocks/schema.ts';
import type { CountdownBlock } from '../blocks/countdown.ts';
import { AppError } from '../shared/errors.ts';
import type { FontSpec, Rasterizer } from '../ports.ts';
import type { Element } from '../render/elements.ts';
import { toSvg } from '../render/layout.ts';
import { faceElement, glyphStripElement, GLYPHS, imageElement, messageElement, stripCells, stripSize } from './draw.ts';
import type { Color } from './gif.ts';
import { countdownLayout, type CountdownLayout } from './layout.ts';
import { crop, paste, rgbaPlane, type Plane } from './pixels.ts';
import { unitLabels, unitsOf, type Unit } from './units.ts';

/**
 * The pre-rendered parts of a countdown, made once per block version: the
 * face and the digit tiles as RGBA (for PNG stills) and as indices into one
 * palette built from both (for GIF frames), so that a frame is a handful of
 * rectangle copies and no layout, rasterizing or colour matching at all.
 */
export interface Point {
  x: number;
  y: number;
}

export interface Face {
  width: number;
  height: number;
  units: Unit[];
  /** Digit cells of the biggest unit (2 or more). */
  leading: number;
  rgba: Plane;
  index: Plane;
  /** Up to 255 colours, then one slot that frames use for "unchanged". */
  palette: Color[];
  transparentIndex: number;
  /** The digits 0–9, each a cell-sized tile. */
  digits: Array<{ rgba: Plane; index: Plane }>;
  /** Device-pixel corners of the digit cells, per unit, left to right. */
  cells: Point[][];
  layout: CountdownLayout;
}

/** A finished image with its own palette: the expired state, the static fallback. */
export interface Art {
  rgba: Plane;
  index: Plane;
  palette: Color[];
}

export interface ArtDeps {
  rasterizer: Rasterizer;
  fonts: readonly FontSpec[];
  scale: number;
  /** An image named by a block (templates/ file or http(s) URL) as a data URI, scaled to cover `pixels`; rejects when it cannot. */
  loadImage(source: string, pixels: { width: number; height: number }): Promise<string>;
}

/** gifenc reads pixels through a Uint32Array over the whole buffer, so views into a larger buffer are copied first. */
function own(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

function indexPlane(rgba: Plane, palette: Color[]): Plane {
  return { width: rgba.width, height: rgba.height, channels: 1, data: applyPalette(own(rgba.data), palette) };
}

async function draw(deps: ArtDeps, element: Element, width: number, height: number): Promise<Plane> {
  try {
    const svg = await toSvg(element, width, height, deps.fonts);
    return rgbaPlane(await deps.rasterizer.rasterizeRgba(svg, deps.scale));
  } catch (error) {
    throw new AppError('RENDER_FAILED', `[opentime] [${deps.rasterizer.name}] could not draw a countdown part`, { cause: error });
  }
}

const devicePoint = (x: number, y: number, scale: number): Point => ({ x: Math.round(x * scale), y: Math.round(y * scale) });

export async function buildFace(deps: ArtDeps, block: CountdownBlock, leading: number): Promise<Face> {
  const units = unitsOf(block.format);
  const labels = unitLabels(block.params.locale, units);
  const layout = countdownLayout(block, units, labels, leading, deps.fonts);
  const strip = stripSize(layout);
  const [face, glyphs] = await Promise.all([
    draw(deps, faceElement(block, layout), layout.width, layout.height),
    draw(deps, glyphStripElement(block, layout), strip.width, strip.height),
  ]);
  const tileWidth = Math.round(layout.cellWidth * deps.scale);
  const tileHeight = Math.round(layout.cellHeight * deps.scale);
  const tile = (i: number, width = tileWidth) => {
    const corner = devicePoint(stripCells(layout)[i]?.x ?? 0, 0, deps.scale);
    return crop(glyphs, { x: corner.x, y: 0, width: Math.min(width, glyphs.width - corner.x), height: Math.min(tileHeight, glyphs.height) });
  };
  // Separators are static: pasted into the face once, from the same strip as the digits, so they share their baseline.
  const separator = tile(GLYPHS.length, Math.round(layout.separatorWidth * deps.scale));
  for (const rect of layout.separators) {
    const corner = devicePoint(rect.x, rect.y, deps.scale);
    paste(face, separator, corner.x, corner.y);
  }
  const digitRgba = Array.from(GLYPHS, (_, i) => tile(i));

  // One palette for the face and every digit: a GIF frame then never needs a table of its own.
  const sample = new Uint8Array(face.data.length + digitRgba.reduce((n, t) => n + t.data.length, 0));
  sample.set(face.data, 0);
  let offset = face.data.length;
  for (const t of digitRgba) {
    sample.set(t.data, offset);
    offset += t.data.length;
  }
  const palette: Color[] = quantize(sample, 255);
  const transparentIndex = palette.length;
  const fullPalette: Color[] = [...palette, palette[0] ?? [0, 0, 0]];

  return {
    width: face.width,
    height: face.height,
    units,
    leading,
    rgba: face,
    index: indexPlane(face, palette),
    palette: fullPalette,
    transparentIndex,
    digits: digitRgba.map((rgba) => ({ rgba, index: indexPlane(rgba, palette) })),
    cells: layout.boxes.map((box) => box.cells.map((cell) => devicePoint(cell.x, cell.y, deps.scale))),
    layout,
  };
}

async function art(deps: ArtDeps, block: Pick<BlockConfig, 'size'>, element: Element): Promise<Art> {
  const rgba = await draw(deps, element, block.size.width, block.size.height);
  const palette: Color[] = quantize(own(rgba.data), 256);
  return { rgba, index: indexPlane(rgba, palette), palette };
}

function pixelsOf(block: Pick<BlockConfig, 'size'>, scale: number) {
  return { width: Math.round(block.size.width * scale), height: Math.round(block.size.height * scale) };
}

const EXPIRED_TEXT = 'This offer has ended';

/**
 * The expired state: the configured image, or the configured text. An
 * image that cannot be loaded gives way to the default text, so an expired
 * countdown never shows a broken image or a number.
 */
export async function buildExpired(deps: ArtDeps, block: CountdownBlock): Promise<Art> {
  if ('image' in block.expired) {
    try {
      const uri = await deps.loadImage(block.expired.image, pixelsOf(block, deps.scale));
      return await art(deps, block, imageElement(block, uri));
    } catch {
      // Fall through to the text version.
    }
  }
  const text = 'text' in block.expired ? block.expired : { text: EXPIRED_TEXT, subtext: undefined };
  return art(deps, block, messageElement(block, text.text, text.subtext, { lineColor: 'muted' }));
}

/**
 * The block's generic image, for when the countdown cannot be drawn (no
 * deadline for this recipient, a render failure) or a block is asked for in
 * a format it does not have: its `fallback.image`, else its headline and
 * `fallback.text`.
 */
/** A headline and one line on the block's background (the deadline for a prefetching proxy). */
export async function buildMessage(deps: ArtDeps, block: BlockConfig, headline: string, line: string): Promise<Art> {
  return art(deps, block, messageElement(block, headline, line, { lineColor: 'accent' }));
}

export async function buildStatic(deps: ArtDeps, block: BlockConfig, card: { headline: string; line?: string | undefined }): Promise<Art> {
  if (block.fallback.image) {
    try {
      const uri = await deps.loadImage(block.fallback.image, pixelsOf(block, deps.scale));
      return await art(deps, block, imageElement(block, uri));
    } catch {
      // Fall through to the headline card.
    }
  }
  return art(deps, block, messageElement(block, card.headline, card.line, { lineColor: 'accent' }));
}
