import { AppError } from '../shared/errors.ts';
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

/**
 * The template's element tree for this scope, not yet drawable: every <img>
 * checked against the allowed images and given its size (an image not
 * allowed, or unsized, becomes an empty box that keeps the layout), photos
 * still named by URL (see `embedImages`), text fitted to its boxes.
 */
export async function templateTree(
  deps: Pick<TemplateRenderDeps, 'engine' | 'fonts'>,
  template: ResolvedTemplate,
  scope: object,
  size: { width: number; height: number },
  allowedImages: ReadonlySet<string>,
): Promise<Element> {
  let html: string;
  try {
    html = await deps.engine.render(template.digest, template.source, scope);
  } catch (error) {
    throw new AppError('RENDER_FAILED', `template ${template.name} (${template.origin}) failed: ${(error as Error).message}`, { cause: error });
  }
  const { root } = parseHtml(html);
  if (!root) throw new AppError('RENDER_FAILED', `template ${template.name} (${template.origin}) has no root element`);

  const images: Element[] = [];
  imageElements(root, images);
  for (const image of images) {
    const src = String(image.props.src ?? '');
    const style = image.props.style ?? {};
    const width = Number(image.props.width ?? pixels(style.width) ?? 0);
    const height = Number(image.props.height ?? pixels(style.height) ?? 0);
    if (!allowedImages.has(src) || width <= 0 || height <= 0) {
      image.type = 'div';
      image.props = { style: { width: width || undefined, height: height || undefined } };
      continue;
    }
    image.props.width = width;
    image.props.height = height;
  }
  fitText(root, deps.fonts);
  // No `overflow: hidden` here: the canvas clips the block already, and satori would
  // turn it into a mask on every element inside, which makes resvg several times slower.
  return h('div', { display: 'flex', width: size.width, height: size.height }, root);
}

/**
 * A copy of a tree with its photos fetched at the size they are drawn (at
 * output resolution) and embedded, or the URLs of those that did not load.
 * The tree itself is not changed: it may be a cache key.
 */
export async function embedImages(deps: Pick<TemplateRenderDeps, 'images' | 'scale' | 'photoTimeoutMs'>, tree: Element): Promise<TemplateTree> {
  const signal = AbortSignal.timeout(deps.photoTimeoutMs);
  const failedImages: string[] = [];
  const pending: Array<Promise<void>> = [];
  const copy = (node: Child | Child[] | undefined): Child | Child[] | undefined => {
    if (Array.isArray(node)) return node.map((child) => copy(child) as Child);
    if (!node || typeof node !== 'object') return node;
    const element: Element = { ...node, props: { ...node.props } };
    if (element.type === 'img') {
      const src = String(element.props.src ?? '');
      if (!src.startsWith('data:')) {
        const box = { width: Math.round(Number(element.props.width) * deps.scale), height: Math.round(Number(element.props.height) * deps.scale) };
        pending.push(
          deps.images.fetchImage(src, box, signal).then(
            (image) => {
              element.props.src = image.dataUri;
            },
            () => void failedImages.push(src),
          ),
        );
      }
      return element;
    }
    if (element.props.children !== undefined) element.props.children = copy(element.props.children as Child | Child[]);
    return element;
  };
  const element = copy(tree) as Element;
  await Promise.all(pending);
  return failedImages.length > 0 ? { failedImages } : { element };
}

/** Template → drawable element tree: `templateTree` with its photos embedded. */
export async function renderTemplate(
  deps: TemplateRenderDeps,
  template: ResolvedTemplate,
  scope: object,
  size: { width: number; height: number },
  allowedImages: ReadonlySet<string>,
): Promise<TemplateTree> {
  return embedImages(deps, await templateTree(deps, template, scope, size, allowedImages));
}
