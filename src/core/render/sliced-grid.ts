import { LRUCache } from 'lru-cache';
import type { ProductGridBlock } from '../blocks/product-grid.ts';
import type { GridDecision, ShownProduct } from '../decide/decide.ts';
import type { FontSpec, RawImage, Rasterizer } from '../ports.ts';
import { embedImages, templateTree, type TemplateRenderDeps } from '../templates/render.ts';
import type { ResolvedTemplate } from '../templates/registry.ts';
import type { Element } from './elements.ts';
import type { LayerRenderer } from './layers.ts';
import { toSvg, type PlacedNode } from './layout.ts';
import { gridLayout } from './grid-layout.ts';
import { gridScope } from './scope.ts';
import { sliceLayout, type SliceLayout } from './slices.ts';
import { splitTiles } from './tiles.ts';

/**
 * A product grid drawn for slicing: every slot keeps its card's place, an
 * empty slot drawn as the block's empty-slot art (its fallback line on a
 * light card, since its click goes to the fallback URL), and where each
 * part is cut, from where satori placed the cards. A decision with every
 * slot filled is the same tree as the whole image's, so its parts are
 * pixel for pixel regions of `/i/<block>.png`. A template whose cards are
 * not marked data-tile, one per slot, cannot be sliced.
 */
export interface SlicedGrid {
  image: RawImage;
  layout: SliceLayout;
}

export interface SlicedGridDeps {
  template: Pick<TemplateRenderDeps, 'engine' | 'images' | 'fonts' | 'scale' | 'photoTimeoutMs'>;
  layers: LayerRenderer | undefined;
  rasterizer: Rasterizer;
  fonts: readonly FontSpec[];
  scale: number;
}

export const EMPTY_SLOT_BACKGROUND = '#f4f4f5';

/** Stands in for an empty slot while the template lays out its cards; its card is replaced by the empty-slot art. */
function placeholder(slot: number, currency: string, url: string): ShownProduct & { on_sale: boolean; slot: number } {
  return { id: `(empty slot ${slot})`, title: '', price: 0, currency, url, source: 'products', on_sale: false, slot };
}

function isTile(node: unknown): node is Element {
  return typeof node === 'object' && node !== null && (node as Element).props?.tile === true;
}

/** The template's cards (elements marked data-tile), in document order. */
function tileElements(root: Element): Element[] {
  const found: Element[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (!node || typeof node !== 'object') return;
    if (isTile(node)) found.push(node);
    walk((node as Element).props.children);
  };
  walk(root);
  return found;
}

function emptySlotArt(card: Element, block: ProductGridBlock, fontSize: number, radius: number): Element {
  const style = card.props.style ?? {};
  return {
    ...card,
    props: {
      tile: true,
      style: {
        width: style.width,
        height: style.height,
        flexShrink: style.flexShrink,
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        backgroundColor: EMPTY_SLOT_BACKGROUND,
        borderRadius: radius,
      },
      children: {
        type: 'div',
        key: null,
        props: {
          style: {
            width: Math.max(10, Number.parseFloat(String(style.width)) - 2 * fontSize),
            fontSize,
            fontWeight: 700,
            color: block.params.accent,
            textAlign: 'center',
            lineHeight: 1.25,
            lineClamp: 3,
          },
          children: block.fallback.text ?? 'See what’s new →',
        },
      },
    },
  };
}

function replaceTiles(node: unknown, replace: (tile: Element, index: number) => Element, counter = { n: 0 }): unknown {
  if (Array.isArray(node)) return node.map((child) => replaceTiles(child, replace, counter));
  if (!node || typeof node !== 'object') return node;
  const element = node as Element;
  if (element.props?.tile === true) return replace(element, counter.n++);
  if (element.props.children === undefined) return element;
  return { ...element, props: { ...element.props, children: replaceTiles(element.props.children, replace, counter) } };
}

export function createSlicedGrids(deps: SlicedGridDeps) {
  /** Where the cards are, by layer tree (the same for every decision of a block version): laying out costs ~10 ms. */
  const layouts = new LRUCache<string, { layout: SliceLayout | undefined }>({ max: 500 });

  async function slicedTree(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): Promise<Element | undefined> {
    const scope = gridScope(block, decision, template, now);
    const currency = decision.slots.find((p) => p)?.currency ?? 'USD';
    const products = decision.slots.map((product, slot) =>
      product ? { ...product, on_sale: product.sale_price !== undefined && product.sale_price < product.price, slot } : placeholder(slot, currency, block.fallback.url),
    );
    const photos = new Set(products.flatMap((p) => (p.image_url ? [p.image_url] : [])));
    const tree = await templateTree(deps.template, template, { ...scope, products }, block.size, photos);
    if (tileElements(tree).length !== block.slots) return undefined;
    if (decision.slots.every((p) => p)) return tree;
    const { title_size, radius } = scope.layout;
    return replaceTiles(tree, (tile, i) => (decision.slots[i] ? tile : emptySlotArt(tile, block, title_size, radius))) as Element;
  }

  async function layoutOf(block: ProductGridBlock, tree: Element, wideOne: boolean, imageSplit: number): Promise<SliceLayout | undefined> {
    const split = splitTiles(tree);
    if (!split) return undefined;
    const key = JSON.stringify([block.size.width, block.size.height, wideOne ? imageSplit : null, split.layer]);
    const known = layouts.get(key);
    if (known) return known.layout;
    const placed: PlacedNode[] = [];
    await toSvg(split.layer, block.size.width, block.size.height, deps.fonts, (node) => {
      if (typeof node.key === 'string' && node.key.startsWith('tile:')) placed[Number(node.key.slice(5))] = node;
    });
    const boxes = placed.filter(Boolean);
    let layout: SliceLayout | undefined;
    if (boxes.length === block.slots) {
      const first = boxes[0] as PlacedNode;
      layout = sliceLayout(boxes, block.size, wideOne ? { at: first.left + imageSplit } : undefined);
    }
    layouts.set(key, { layout });
    return layout;
  }

  /** The one card of a wide one-slot block: its photo, then its text, `image_width + gap·¾` apart (product-grid.html). */
  function textSplit(block: ProductGridBlock): { wideOne: boolean; at: number } {
    const layout = gridLayout(block);
    return { wideOne: block.slots === 1 && layout.horizontal, at: layout.image_width + layout.gap * 0.75 };
  }

  return {
    /** Where a block's parts are cut (undefined: it cannot be sliced), without drawing it. */
    async layout(block: ProductGridBlock, template: ResolvedTemplate, now: number): Promise<SliceLayout | undefined> {
      const tree = await slicedTree(block, { blockId: block.id, blockVersion: 0, slots: Array.from({ length: block.slots }, () => null), personal: false }, template, now);
      if (!tree) return undefined;
      const { wideOne, at } = textSplit(block);
      return layoutOf(block, tree, wideOne && template.name === 'product-grid', at);
    },

    /** The decision drawn for slicing, with its cuts; the products whose photos did not load; or undefined when it cannot be sliced. */
    async draw(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): Promise<SlicedGrid | { failedImages: string[] } | undefined> {
      const tree = await slicedTree(block, decision, template, now);
      if (!tree) return undefined;
      const { wideOne, at } = textSplit(block);
      const layout = await layoutOf(block, tree, wideOne && template.name === 'product-grid', at);
      if (!layout) return undefined;
      const split = deps.layers ? splitTiles(tree) : undefined;
      if (deps.layers && split) {
        const composed = await deps.layers.compose(split, block.size, true);
        if ('failedImages' in composed) return composed;
        // Kept, not released: the parts of this open are cut from it while it is held for them.
        if ('image' in composed) return { image: composed.image, layout };
      }
      const embedded = await embedImages(deps.template, tree);
      if ('failedImages' in embedded) return embedded;
      const svg = await toSvg(embedded.element, block.size.width, block.size.height, deps.fonts);
      return { image: { ...(await deps.rasterizer.rasterizeRgba(svg, deps.scale)), channels: 4 }, layout };
    },
  };
}

export type SlicedGrids = ReturnType<typeof createSlicedGrids>;
