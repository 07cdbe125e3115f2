import type { BlockConfig } from '../blocks/schema.ts';
import { kindOf } from '../kinds/registry.ts';
import type { SnippetOptions } from './snippets.ts';

/**
 * What a block's snippet takes from the block itself, so the CLI and the demo page build the same
 * one: its size, the image's extension (a countdown is an animated GIF; a .png would be a still)
 * and its alt text.
 */
export function blockSnippetOptions(block: BlockConfig): Pick<SnippetOptions, 'blockId' | 'width' | 'height' | 'alt' | 'extension'> {
  return { blockId: block.id, width: block.size.width, height: block.size.height, alt: altText(block), extension: kindOf(block).formats[0] };
}

/**
 * The block's `alt`, else its headline (a hero's fallback headline, else its default variant's),
 * else its fallback line: never a caption that belongs to another block.
 */
export function altText(block: BlockConfig): string {
  const candidates = [block.alt, block.params.headline, kindOf(block).altText?.(block), block.fallback.text];
  return candidates.find((text): text is string => text !== undefined && text.trim() !== '')?.trim() ?? '';
}
