import type { BlockConfig } from '../blocks/schema.ts';
import { buildStatic, type ArtDeps } from '../countdown/art.ts';
import { artGif, artPng } from '../countdown/frames.ts';
import { loadBlockImage } from '../render/block-image.ts';
import { describeError } from '../shared/errors.ts';
import type { Problem } from '../shared/validation.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import type { ImageFormat, KindTools } from './kind.ts';

/** What the countdown's drawing needs, from the kind tools: it draws its own pixels, no template. */
export function artDeps(tools: KindTools): ArtDeps {
  const images = { images: tools.images, assets: tools.assets, photoTimeoutMs: tools.config.photoTimeoutMs };
  return { rasterizer: tools.rasterizer, fonts: tools.fonts, scale: tools.config.scale, loadImage: (source, pixels) => loadBlockImage(images, source, pixels) };
}

/** The words of a still without a fallback image: the block's headline and its fallback line. */
export interface StillCard {
  headline: string;
  line?: string | undefined;
}

export const headlineCard = (block: BlockConfig): StillCard => ({ headline: block.params.headline, line: block.fallback.text ?? 'See what’s new →' });

/** A templated kind's problem: a template that does not exist. */
export async function templateProblems(template: string, templates: Pick<TemplateRegistry, 'get'>): Promise<Problem[]> {
  if (await templates.get(template)) return [];
  return [{ path: 'template', message: `no template named ${JSON.stringify(template)} (PUT /v1/templates/${template}, or use product-grid, product-row or hero)` }];
}

/** A still drawn as pixels (the countdown's way): any block's fallback image or headline card, as a PNG or a one-frame GIF. */
export async function artStill(art: ArtDeps, block: BlockConfig, format: ImageFormat, card: StillCard = headlineCard(block)): Promise<Uint8Array> {
  const still = await buildStatic(art, block, card);
  return format === 'gif' ? artGif(still) : artPng(still);
}

/**
 * A templated kind's still: as a PNG, the renderer's (the block's
 * `fallback.image`, or if that cannot be drawn, its headline card); asked
 * for as a GIF (only countdowns move), the same still drawn as pixels.
 */
export async function templatedStill(tools: KindTools, art: ArtDeps, block: BlockConfig, format: ImageFormat): Promise<Uint8Array> {
  if (format === 'gif') return artStill(art, block, 'gif');
  if (!block.fallback.image) return tools.renderer.renderStatic(block);
  try {
    return await tools.renderer.renderStatic(block);
  } catch (error) {
    tools.logger.error('static fallback could not be rendered', { block: block.id, error: describeError(error) });
    return tools.renderer.renderStatic({ ...block, fallback: { ...block.fallback, image: undefined } });
  }
}
