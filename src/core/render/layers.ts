import { LRUCache } from 'lru-cache';
import type { FontSpec, RawImage, Rasterizer } from '../ports.ts';
import type { TemplateTree } from '../templates/render.ts';
import { drawFlat, drawOver, flatTile, layerImage, tileImage, uniformColor, type FlatTile, type Rgb, type TileImage } from './composite.ts';
import type { Element } from './elements.ts';
import { toSvg } from './layout.ts';
import { tileTree, type SplitTree, type Tile } from './tiles.ts';
import { Turns } from '../shared/turns.ts';

/**
 * Rasterized layers and tiles, and the composite of a decision from them.
 * A decision never drawn before whose products and layer were drawn before
 * costs a copy of the layer and a few row copies per tile: no layout, no
 * rasterizing. Entries are keyed by the element trees they were drawn from
 * (content-addressed: a changed title, price, photo URL, size or template
 * is a different key, so nothing is ever invalidated), held as raw pixels
 * in an LRU bounded in bytes, and each is drawn at most once at a time
 * however many opens want it.
 */
export interface LayerDeps {
  rasterizer: Rasterizer;
  fonts: readonly FontSpec[];
  scale: number;
  /** Fetches and embeds a tree's photos (or names those that failed). */
  embed(tree: Element): Promise<TemplateTree>;
  maxBytes: number;
}

interface Box {
  x: number;
  y: number;
  /** The box's size as laid out, in output pixels. */
  width: number;
  height: number;
  /** The layer's one colour under the box, when it has one: tiles there are drawn flat over it. */
  under?: Rgb | undefined;
}

/** A layer and where its tiles go, in output pixels; `boxes` is undefined when the layout did not keep the tiles' declared sizes. */
interface Layer {
  image: RawImage;
  boxes: Box[] | undefined;
}

type Drawn<T> = { value: T } | { failedImages: string[] };

/** `release` hands the composite's pixels back for reuse, once they are encoded. */
export type Composed = { image: RawImage; release: () => void } | { failedImages: string[] } | { whole: true };

const ENTRY_OVERHEAD_BYTES = 256;
/** Composite buffers kept for reuse: a 1200×600 composite is 2.2 MB (RGB), and allocating one per open keeps the garbage collector busy. */
const SPARE_BUFFERS = 4;
/**
 * Composites held at once, from their copy of the layer until their encoder
 * is done with them: a backlog of opens (a send faster than the machine)
 * otherwise held one each, a hundred megabytes and more, while waiting for
 * the encoders, which two cores keep busy with far fewer.
 */
const COMPOSITES_AT_ONCE = 8;

/** Copies `from` into `to` (same size and channels) except inside `holes`, which the caller fills. */
function copyAround(from: RawImage, to: RawImage, holes: ReadonlyArray<{ x: number; y: number; width: number; height: number }>): void {
  const stride = from.width * from.channels;
  if (holes.length === 0) {
    to.data.set(from.data);
    return;
  }
  for (let y = 0; y < from.height; y++) {
    const spans = holes
      .filter((hole) => y >= hole.y && y < hole.y + hole.height)
      .map((hole) => [Math.max(0, hole.x), Math.min(from.width, hole.x + hole.width)] as const)
      .sort((a, b) => a[0] - b[0]);
    let x = 0;
    const row = y * stride;
    for (const [start, end] of spans) {
      if (start > x) to.data.set(from.data.subarray(row + x * from.channels, row + start * from.channels), row + x * from.channels);
      x = Math.max(x, end);
    }
    if (x < from.width) to.data.set(from.data.subarray(row + x * from.channels, row + stride), row + x * from.channels);
  }
}

/** What a cached layer or tile holds in buffers. */
function pixelBytes(value: Layer | TileImage | FlatTile): number {
  if ('boxes' in value) return value.image.data.byteLength;
  if ('flat' in value) return value.rgb.byteLength + value.spans.byteLength;
  return value.rgb.byteLength + value.alpha.byteLength + value.runs.byteLength;
}

export class LayerRenderer {
  private readonly cache: LRUCache<string, Layer | TileImage | FlatTile>;
  private readonly inflight = new Map<string, Promise<Drawn<Layer | TileImage | FlatTile>>>();
  private readonly deps: LayerDeps;
  private readonly spare: Uint8Array[] = [];
  private readonly compositeTurns = new Turns(COMPOSITES_AT_ONCE);
  /** Layers and tiles drawn (for tests and the bench: each key once). */
  drawn = 0;

  constructor(deps: LayerDeps) {
    this.deps = deps;
    this.cache = new LRUCache({
      maxSize: Math.max(1, deps.maxBytes),
      sizeCalculation: (value, key) => pixelBytes(value) + key.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** Raw pixels held, in bytes (for the bench's memory report). */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  /** Composites held now, and opens waiting for a turn to draw theirs (for tests). */
  get composites(): { readonly holding: number; readonly queued: number } {
    return this.compositeTurns;
  }

  /** Whether drawing ahead still fits without evicting (a tenth of the cache is left for opens). */
  hasRoom(): boolean {
    return this.cache.calculatedSize < this.deps.maxBytes * 0.9;
  }

  /**
   * The decision's image from its layer and tiles, drawing those missing;
   * `whole` when the layout does not place the tiles at their declared
   * sizes (the caller draws the tree whole instead). The caller releases
   * the composite once encoded; one `kept` (cut into parts while it is held)
   * is never released, and waits for no turn.
   */
  async compose(split: SplitTree, size: { width: number; height: number }, kept = false): Promise<Composed> {
    const layer = await this.layer(split.layer, size);
    if ('failedImages' in layer) return layer;
    const { image, boxes } = layer.value;
    if (!boxes || boxes.length !== split.tiles.length) return { whole: true };
    const tiles = await Promise.all(split.tiles.map((tile, i) => this.tile(tile, boxes[i]?.under)));
    const failed = tiles.flatMap((drawn) => ('failedImages' in drawn ? drawn.failedImages : []));
    if (failed.length > 0) return { failedImages: failed };
    const done = kept ? () => undefined : await this.compositeTurns.take();
    try {
      return this.drawComposite(image, boxes, tiles as Array<{ value: TileImage | FlatTile }>, done);
    } catch (error) {
      done();
      throw error;
    }
  }

  private drawComposite(image: RawImage, boxes: Box[], tiles: Array<{ value: TileImage | FlatTile }>, done: () => void): Composed {
    // The cached layer is shared: the composite is drawn on a copy, in a spare buffer when one fits.
    const index = this.spare.findIndex((buffer) => buffer.byteLength === image.data.byteLength);
    const data = index === -1 ? new Uint8Array(image.data.byteLength) : (this.spare.splice(index, 1)[0] as Uint8Array);
    const out: RawImage = { width: image.width, height: image.height, channels: image.channels, data };
    // A flat tile's colour is the layer's in the box it was drawn for, so the layer is copied under it
    // and only the tile's spans over it; one of another size covers its box whole, and the layer is copied around it.
    const filled = tiles.map((drawn, i) => {
      const tile = (drawn as { value: TileImage | FlatTile }).value;
      const box = boxes[i] as Box;
      return 'flat' in tile && tile.width === box.width && tile.height === box.height;
    });
    const covered = tiles.flatMap((drawn, i) => {
      const tile = (drawn as { value: TileImage | FlatTile }).value;
      const box = boxes[i] as Box;
      return 'flat' in tile && !filled[i] ? [{ x: box.x, y: box.y, width: tile.width, height: tile.height }] : [];
    });
    copyAround(image, out, covered);
    tiles.forEach((drawn, i) => {
      const box = boxes[i] as Box;
      const tile = (drawn as { value: TileImage | FlatTile }).value;
      if ('flat' in tile) drawFlat(out, tile, box.x, box.y, filled[i] === true);
      else drawOver(out, tile, box.x, box.y);
    });
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (this.spare.length < SPARE_BUFFERS) this.spare.push(data);
      done();
    };
    return { image: out, release };
  }

  /** Draws a split tree's layer and tiles ahead of the opens that will need them (catalog and block changes). */
  async prepare(split: SplitTree, size: { width: number; height: number }): Promise<void> {
    const layer = await this.layer(split.layer, size);
    if (!('value' in layer) || !layer.value.boxes) return;
    const boxes = layer.value.boxes;
    await Promise.all(split.tiles.map((tile, i) => this.tile(tile, boxes[i]?.under)));
  }

  private once<T extends Layer | TileImage | FlatTile>(key: string, draw: () => Promise<Drawn<T>>): Promise<Drawn<T>> {
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve({ value: cached as T });
    let pending = this.inflight.get(key);
    if (!pending) {
      this.drawn++;
      pending = draw()
        .then((drawn) => {
          if ('value' in drawn) this.cache.set(key, drawn.value);
          return drawn;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending as Promise<Drawn<T>>;
  }

  private layer(tree: Element, size: { width: number; height: number }): Promise<Drawn<Layer>> {
    const { scale } = this.deps;
    return this.once(JSON.stringify(['layer', scale, size.width, size.height, tree]), async () => {
      const embedded = await this.deps.embed(tree);
      if ('failedImages' in embedded) return embedded;
      const placed = new Map<number, { left: number; top: number; width: number; height: number }>();
      const svg = await toSvg(embedded.element, size.width, size.height, this.deps.fonts, (node) => {
        if (typeof node.key === 'string' && node.key.startsWith('tile:')) placed.set(Number(node.key.slice(5)), node);
      });
      const image = layerImage(await this.deps.rasterizer.rasterizeRgba(svg, scale));
      const boxes: Box[] = [];
      for (let i = 0; i < placed.size; i++) {
        const node = placed.get(i);
        if (!node) return { value: { image, boxes: undefined } };
        const x = Math.round(node.left * scale);
        const y = Math.round(node.top * scale);
        const width = Math.round(node.width * scale);
        const height = Math.round(node.height * scale);
        boxes.push({ x, y, width, height, under: uniformColor(image, x, y, width, height) });
      }
      return { value: { image, boxes: this.sizesKept(tree, placed) ? boxes : undefined } };
    });
  }

  /** Whether every placeholder was laid out at its declared size (flex can shrink or stretch a box). */
  private sizesKept(tree: Element, placed: ReadonlyMap<number, { width: number; height: number }>): boolean {
    const declared = new Map<number, { width?: unknown; height?: unknown }>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const element = node as Element;
      if (typeof element.key === 'string' && element.key.startsWith('tile:')) declared.set(Number(element.key.slice(5)), element.props.style ?? {});
      walk(element.props.children);
    };
    walk(tree);
    for (const [i, node] of placed) {
      const style = declared.get(i);
      if (!style || Math.abs(Number.parseFloat(String(style.width)) - node.width) > 0.01 || Math.abs(Number.parseFloat(String(style.height)) - node.height) > 0.01) return false;
    }
    return true;
  }

  /** A tile, drawn flat over `under` when its box in the layer is that one colour (keyed by it too). */
  private tile(tile: Tile, under: Rgb | undefined): Promise<Drawn<TileImage | FlatTile>> {
    const tree = tileTree(tile);
    return this.once(JSON.stringify(['tile', this.deps.scale, under ?? null, tree]), async () => {
      const embedded = await this.deps.embed(tree);
      if ('failedImages' in embedded) return embedded;
      const svg = await toSvg(embedded.element, tile.width, tile.height, this.deps.fonts);
      const image = await this.deps.rasterizer.rasterizeRgba(svg, this.deps.scale);
      return { value: under ? flatTile(image, under) : tileImage(image) };
    });
  }
}
