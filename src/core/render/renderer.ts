import type { BlockConfig } from '../blocks/schema.ts';
import type { Decision, ShownProduct } from '../decide/decide.ts';
import { AppError } from '../errors.ts';
import type { FontSpec, ImageFetcher, Rasterizer } from '../ports.ts';
import { h } from './elements.ts';
import { toSvg } from './layout.ts';
import { photoBox, productGrid } from './product-grid.ts';

export interface RendererDeps {
  rasterizer: Rasterizer;
  images: ImageFetcher;
  fonts: readonly FontSpec[];
  /** Output pixels per CSS pixel: 2 makes a 600×300 block a sharp 1200×600 PNG. */
  scale: number;
  /** A product photo that takes longer than this is treated as missing. */
  photoTimeoutMs: number;
}

export type GridRender = { png: Uint8Array } | { failedProducts: string[] };

export interface Renderer {
  /** Renders a decision, or names the products whose photos could not be loaded. */
  renderGrid(block: BlockConfig, decision: Decision): Promise<GridRender>;
  /** The block's generic image: its headline and a call to look, no products, nothing personal. */
  renderStatic(block: BlockConfig): Promise<Uint8Array>;
}

export function createRenderer(deps: RendererDeps): Renderer {
  async function rasterize(svg: string): Promise<Uint8Array> {
    try {
      return await deps.rasterizer.rasterize(svg, deps.scale);
    } catch (error) {
      throw new AppError('RENDER_FAILED', 500, `[opentime] [${deps.rasterizer.name}] could not rasterize`, { cause: error });
    }
  }

  async function layout(element: Parameters<typeof toSvg>[0], block: BlockConfig): Promise<string> {
    try {
      return await toSvg(element, block.size.width, block.size.height, deps.fonts);
    } catch (error) {
      throw new AppError('RENDER_FAILED', 500, `[opentime] [layout] block ${block.id} could not be laid out`, { cause: error });
    }
  }

  return {
    async renderGrid(block, decision) {
      const box = photoBox(block);
      const pixels = { width: Math.round(box.width * deps.scale), height: Math.round(box.height * deps.scale) };
      const shown = decision.slots.filter((s): s is ShownProduct => s !== null);
      const photos = new Map<string, string>();
      const failedProducts: string[] = [];
      const signal = AbortSignal.timeout(deps.photoTimeoutMs);
      await Promise.all(
        shown.map(async (product) => {
          try {
            const image = await deps.images.fetchImage(product.image_url, pixels, signal);
            photos.set(product.image_url, image.dataUri);
          } catch {
            failedProducts.push(product.id);
          }
        }),
      );
      if (failedProducts.length > 0) return { failedProducts };
      return { png: await rasterize(await layout(productGrid(block, decision, photos), block)) };
    },

    async renderStatic(block) {
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
        headline
          ? h('div', { fontSize: size, fontWeight: 700, color: text, textAlign: 'center', lineClamp: 2, lineHeight: 1.25 }, headline)
          : null,
        h(
          'div',
          { fontSize: Math.round(size * 0.6), fontWeight: 700, color: accent, textAlign: 'center', lineClamp: 1 },
          block.fallback.text ?? 'See what’s new →',
        ),
      );
      return rasterize(await layout(element, block));
    },
  };
}
