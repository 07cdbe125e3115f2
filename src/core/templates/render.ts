import { AppError } from '../errors.ts';
import type { FontSpec, ImageFetcher } from '../ports.ts';
import type { Child, Element } from '../render/elements.ts';
import { h } from '../render/elements.ts';
import { pixels } from './css.ts';
import { fitText } from './fit.ts';
import { parseHtml } from './html.ts';
import type { TemplateEngine } from './liquid.ts';
import type { ResolvedTemplate } from './registry.ts';

/**
 * Template → element tree: Liquid with the block's data, the HTML parsed,
 * every <img> checked against the images this render may show (the shown
 * products' photos, the block's own images) and fetched at the size it is
 * drawn, and text fitted to its box. An image the block did not allow is
 * left out: a template cannot make opentime fetch an arbitrary URL.
 */
export interface TemplateRenderDeps {
  engine: TemplateEngine;
  images: ImageFetcher;
  fonts: readonly FontSpec[];
  scale: number;
  photoTimeoutMs: number;
}

export type TemplateTree = { element: Element } | { failedImages: string[] };

function imageElements(node: Child | Child[] | undefined, found: Element[]): void {
  if (Array.isArray(node)) {
    for (const child of node) imageElements(child, found);
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (node.type === 'img') found.push(node);
  imageElements(node.props.children as Child | Child[] | undefined, found);
}

export async function renderTemplate(
  deps: TemplateRenderDeps,
  template: ResolvedTemplate,
  scope: object,
  size: { width: number; height: number },
  allowedImages: ReadonlySet<string>,
): Promise<TemplateTree> {
  let html: string;
  try {
    html = await deps.engine.render(template.digest, template.source, scope);
  } catch (error) {
    throw new AppError('RENDER_FAILED', 500, `template ${template.name} (${template.origin}) failed: ${(error as Error).message}`, { cause: error });
  }
  const { root } = parseHtml(html);
  if (!root) throw new AppError('RENDER_FAILED', 500, `template ${template.name} (${template.origin}) has no root element`);

  const images: Element[] = [];
  imageElements(root, images);
  const failedImages: string[] = [];
  const signal = AbortSignal.timeout(deps.photoTimeoutMs);
  await Promise.all(
    images.map(async (image) => {
      const src = String(image.props.src ?? '');
      const style = image.props.style ?? {};
      const width = Number(image.props.width ?? pixels(style.width) ?? 0);
      const height = Number(image.props.height ?? pixels(style.height) ?? 0);
      if (!allowedImages.has(src) || width <= 0 || height <= 0) {
        // Not allowed (or unsized): an empty box keeps the layout.
        image.type = 'div';
        image.props = { style: { width: width || undefined, height: height || undefined } };
        return;
      }
      if (src.startsWith('data:')) {
        // Already embedded by the caller (a file under templates/).
        image.props.width = width;
        image.props.height = height;
        return;
      }
      try {
        const box = { width: Math.round(width * deps.scale), height: Math.round(height * deps.scale) };
        image.props.src = (await deps.images.fetchImage(src, box, signal)).dataUri;
        image.props.width = width;
        image.props.height = height;
      } catch {
        failedImages.push(src);
      }
    }),
  );
  if (failedImages.length > 0) return { failedImages };
  fitText(root, deps.fonts);
  return { element: h('div', { display: 'flex', width: size.width, height: size.height, overflow: 'hidden' }, root) };
}
