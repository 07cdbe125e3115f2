import type { BlockConfig } from '../blocks/schema.ts';
import type { GridDecision, HeroDecision } from '../decide/decide.ts';
import { AppError } from '../shared/errors.ts';
import type { Assets, FontSpec, ImageEncoder, ImageFetcher, Rasterizer, RawImage } from '../ports.ts';
import type { ProductGridBlock } from '../blocks/product-grid.ts';
import { embedImages, renderTemplate, templateTree } from '../templates/render.ts';
import type { TemplateEngine } from '../templates/liquid.ts';
import type { ResolvedTemplate } from '../templates/registry.ts';
import { loadBlockImage } from './block-image.ts';
import { h, img } from './elements.ts';
import type { HeroBlock } from '../blocks/hero.ts';
import { LayerRenderer } from './layers.ts';
import { toSvg } from './layout.ts';
import { chooseFormat } from './image-format.ts';
import { encodePng } from './png.ts';
import { gridKeyMemo } from './key-memo.ts';
import { renderKey } from './render-key.ts';
import { gridScope, heroScope } from './scope.ts';
import { createSlicedGrids, type SlicedGrid } from './sliced-grid.ts';
import type { SliceLayout } from './slices.ts';
import { splitTiles } from './tiles.ts';

export interface RendererDeps {
  rasterizer: Rasterizer;
  images: ImageFetcher;
  /** Files under templates/, for fallback images named by path. */
  assets: Assets;
  engine: TemplateEngine;
  fonts: readonly FontSpec[];
  /** Output pixels per CSS pixel: 2 makes a 600×300 block a sharp 1200×600 PNG. */
  scale: number;
  /** A product photo that takes longer than this is treated as missing. */
  photoTimeoutMs: number;
  /** Encodes rendered pixels; without one, the rasterizer's own PNG (and the core's encoder for composites). */
  encoder?: ImageEncoder | undefined;
  /** Memory for rasterized layers and product tiles, in bytes (0: every grid is drawn whole). */
  layerCacheBytes?: number;
}

/**
 * `png`: the encoded image, a PNG or a JPEG (its Content-Type is read from its bytes).
 * `draft`: a PNG encoded fast for the open waiting on it; the encoder can make it smaller later (`recompress`).
 */
export type GridRender = { png: Uint8Array; draft?: boolean } | { failedProducts: string[] };

export interface Renderer {
  /** The render cache's key for a grid decision: what its template would see (scope.ts), with the template and scale. */
  gridKey(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): string;
  /** The same for a hero's variant. */
  heroKey(block: HeroBlock, decision: HeroDecision, template: ResolvedTemplate, now: number): string;
  /** Renders a decision with a template, or names the products whose photos could not be loaded. */
  renderGrid(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): Promise<GridRender>;
  /** Renders a hero's variant; a background photo that does not load leaves its colour. */
  renderHero(block: HeroBlock, decision: HeroDecision, template: ResolvedTemplate, now: number): Promise<GridRender>;
  /**
   * The block's generic image, nothing personal in it: its `fallback.image`
   * (a file under templates/ or an http(s) URL) drawn over the whole block,
   * or else its headline and a call to look.
   */
  renderStatic(block: BlockConfig): Promise<Uint8Array>;
  /** Draws the layer and tiles a grid decision would use, ahead of the opens (after catalog and block changes). */
  prepareGrid(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): Promise<void>;
  /** The layer and tile cache, when grids are composited (tests, the bench). */
  readonly layers: LayerRenderer | undefined;
  /** A grid decision drawn for slicing, with where its parts are cut (sliced-grid.ts); undefined when its template cannot be sliced. */
  renderSliced(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number): Promise<SlicedGrid | { failedProducts: string[] } | undefined>;
  /** Where a grid's parts are cut, without drawing a decision (the snippet builder). */
  sliceLayout(block: ProductGridBlock, template: ResolvedTemplate, now: number): Promise<SliceLayout | undefined>;
  /** Pixels to the bytes of an open, as every render is encoded (a JPEG where they hold photos). */
  encodeImage(image: RawImage, block: BlockConfig): Promise<{ png: Uint8Array; draft: boolean }>;
}

export function createRenderer(deps: RendererDeps): Renderer {
  const draftable = deps.encoder?.recompress !== undefined;
  const gridKeys = gridKeyMemo();

  /**
   * Pixels to the bytes of the first open: a JPEG where the block asks for
   * one or holds photos (and the platform can encode one), else a PNG
   * encoded fast, which `recompress` can make smaller later (a draft).
   */
  async function encode(image: RawImage, block: BlockConfig): Promise<{ png: Uint8Array; draft: boolean }> {
    const encoder = deps.encoder;
    if (!encoder) return { png: await encodePng(image.width, image.height, image.data, image.channels), draft: false };
    if (encoder.jpeg && chooseFormat(image, block.image_format) === 'jpeg') return { png: await encoder.jpeg(image), draft: false };
    return { png: await encoder.png(image, 'fast'), draft: draftable };
  }

  async function rasterize(svg: string, block: BlockConfig): Promise<{ png: Uint8Array; draft: boolean }> {
    try {
      if (!deps.encoder) return { png: await deps.rasterizer.rasterize(svg, deps.scale), draft: false };
      return await encode({ ...(await deps.rasterizer.rasterizeRgba(svg, deps.scale)), channels: 4 }, block);
    } catch (error) {
      throw new AppError('RENDER_FAILED', `[opentime] [${deps.rasterizer.name}] could not rasterize`, { cause: error });
    }
  }

  async function layout(element: Parameters<typeof toSvg>[0], block: BlockConfig): Promise<string> {
    try {
      return await toSvg(element, block.size.width, block.size.height, deps.fonts);
    } catch (error) {
      throw new AppError('RENDER_FAILED', `[opentime] [layout] block ${block.id} could not be laid out`, { cause: error });
    }
  }

  const fallbackImage = (source: string, pixels: { width: number; height: number }) => loadBlockImage(deps, source, pixels);

  const templateDeps = { engine: deps.engine, images: deps.images, fonts: deps.fonts, scale: deps.scale, photoTimeoutMs: deps.photoTimeoutMs };
  const layers =
    (deps.layerCacheBytes ?? 0) > 0
      ? new LayerRenderer({
          rasterizer: deps.rasterizer,
          fonts: deps.fonts,
          scale: deps.scale,
          maxBytes: deps.layerCacheBytes ?? 0,
          embed: (tree) => embedImages(templateDeps, tree),
        })
      : undefined;
  const sliced = createSlicedGrids({ template: templateDeps, layers, rasterizer: deps.rasterizer, fonts: deps.fonts, scale: deps.scale });

  async function gridTree(block: ProductGridBlock, decision: GridDecision, template: ResolvedTemplate, now: number) {
    const scope = gridScope(block, decision, template, now);
    const { products } = scope;
    const tree = await templateTree(templateDeps, template, scope, block.size, new Set(products.flatMap((p) => (p.image_url ? [p.image_url] : []))));
    return { products, tree };
  }

  return {
    layers,

    encodeImage: encode,

    sliceLayout: (block, template, now) => sliced.layout(block, template, now),

    async renderSliced(block, decision, template, now) {
      const drawn = await sliced.draw(block, decision, template, now);
      if (!drawn || !('failedImages' in drawn)) return drawn;
      const failed = new Set(drawn.failedImages);
      return { failedProducts: decision.slots.flatMap((p) => (p?.image_url !== undefined && failed.has(p.image_url) ? [p.id] : [])) };
    },

    gridKey: (block, decision, template, now) =>
      gridKeys(() => renderKey(template.digest, deps.scale, gridScope(block, decision, template, now), block.image_format), block, template, decision, now),

    heroKey: (block, decision, template, now) =>
      renderKey(template.digest, deps.scale, heroScope(block, decision, template, now, decision.variant.background.image), block.image_format),

    async renderGrid(block, decision, template, now) {
      const { products, tree } = await gridTree(block, decision, template, now);
      const failedProducts = (images: readonly string[]) => {
        const failed = new Set(images);
        return { failedProducts: products.filter((p) => p.image_url !== undefined && failed.has(p.image_url)).map((p) => p.id) };
      };
      // A template that marks its cards data-tile is composited from cached layers; any other is drawn whole.
      const split = layers ? splitTiles(tree) : undefined;
      if (layers && split) {
        const composed = await layers.compose(split, block.size);
        if ('failedImages' in composed) return failedProducts(composed.failedImages);
        if ('image' in composed) {
          const { image } = composed;
          try {
            return await encode(image, block);
          } finally {
            composed.release();
          }
        }
      }
      const embedded = await embedImages(templateDeps, tree);
      if ('failedImages' in embedded) return failedProducts(embedded.failedImages);
      return rasterize(await layout(embedded.element, block), block);
    },

    async prepareGrid(block, decision, template, now) {
      if (!layers) return;
      const split = splitTiles((await gridTree(block, decision, template, now)).tree);
      if (split) await layers.prepare(split, block.size);
    },

    async renderHero(block, decision, template, now) {
      const image = decision.variant.background.image;
      // A background from templates/ is embedded here; an http(s) one is fetched by the template pipeline.
      const src =
        image && !/^https?:\/\//i.test(image)
          ? await fallbackImage(image, { width: block.size.width * deps.scale, height: block.size.height * deps.scale }).catch(() => undefined)
          : image;
      const draw = async (backgroundImage: string | undefined) => {
        const scope = heroScope(block, decision, template, now, backgroundImage);
        return renderTemplate(
          { engine: deps.engine, images: deps.images, fonts: deps.fonts, scale: deps.scale, photoTimeoutMs: deps.photoTimeoutMs },
          template,
          scope,
          block.size,
          new Set(backgroundImage ? [backgroundImage] : []),
        );
      };
      let tree = await draw(src);
      if ('failedImages' in tree) tree = await draw(undefined);
      if ('failedImages' in tree) throw new AppError('RENDER_FAILED', `hero ${block.id} could not be drawn`);
      // Not a draft: a hero's bytes have never been recompressed (its variants are few and cached).
      return { png: (await rasterize(await layout(tree.element, block), block)).png };
    },

    async renderStatic(block) {
      if (block.fallback.image) {
        const photo = await fallbackImage(block.fallback.image, {
          width: block.size.width * deps.scale,
          height: block.size.height * deps.scale,
        });
        const element = h(
          'div',
          { display: 'flex', width: block.size.width, height: block.size.height, backgroundColor: block.params.background },
          img(photo, block.size.width, block.size.height, { objectFit: 'cover' }),
        );
        return (await rasterize(await layout(element, block), block)).png;
      }
      const { background, text, accent, headline } = block.params;
      const size = Math.round(Math.min(block.size.width / 20, block.size.height / 8, 36));
      const element = h(
        'div',
        {
          display: 'flex',
          flexDirection: 'column',
          alignItems: 'center',
          justifyContent: 'center',
          width: block.size.width,
          height: block.size.height,
          backgroundColor: background,
          fontFamily: 'Inter',
          padding: Math.round(size * 0.8),
          boxSizing: 'border-box',
          gap: Math.round(size * 0.5),
        },
        headline ? h('div', { fontSize: size, fontWeight: 700, color: text, textAlign: 'center', lineClamp: 2, lineHeight: 1.25 }, headline) : null,
        h('div', { fontSize: Math.round(size * 0.6), fontWeight: 700, color: accent, textAlign: 'center', lineClamp: 1 }, block.fallback.text ?? 'See what’s new →'),
      );
      return (await rasterize(await layout(element, block), block)).png;
    },
  };
}
