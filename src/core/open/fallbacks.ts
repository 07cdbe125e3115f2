import type { BlockConfig } from '../blocks/schema.ts';
import { encodeGif } from '../countdown/gif.ts';
import { atWork, type KindsAtWork } from '../kinds/registry.ts';
import type { ImageFormat } from '../kinds/kind.ts';
import type { ByteCache, Logger } from '../ports.ts';
import { parseHexColor, solidPng } from '../render/png.ts';
import { digest } from '../render/render-key.ts';
import { describeError } from '../shared/errors.ts';
import type { OpenWrites } from './writes.ts';

const BLANK_SIZE = { width: 1200, height: 600 };
const BLANK_COLOR = '#ffffff';

/** One colour, in either format: the last resort, and never a broken image. */
export async function flatImage(format: ImageFormat, width: number, height: number, color: string): Promise<Uint8Array> {
  if (format === 'png') return solidPng(width, height, color);
  return encodeGif(width, height, [parseHexColor(color)], [{ x: 0, y: 0, width, height, indices: new Uint8Array(width * height), delayCs: 0 }]);
}

export interface FallbackDeps {
  kinds: KindsAtWork;
  renderCache: ByteCache;
  writes: OpenWrites;
  logger: Logger;
  scale: number;
}

/**
 * The one fallback chain of every kind, in the format asked for: the
 * block's last generic render (what the block showed to anyone a moment
 * ago), else its still (its kind's fallback image or headline card, drawn
 * once per block version), else a flat image of its background colour; with
 * no block at all, a blank image.
 */
export class Fallbacks {
  private readonly deps: FallbackDeps;
  /** The render key of each block's latest generic render, by format and block: what to show if the store goes away. */
  private readonly lastGeneric: Record<ImageFormat, Map<string, string>> = { png: new Map(), gif: new Map() };
  private readonly blanks = new Map<ImageFormat, Promise<Uint8Array>>();

  constructor(deps: FallbackDeps) {
    this.deps = deps;
  }

  /** Remembers a generic render that showed a decision (not a moment, such as a countdown's second). */
  shownGeneric(blockId: string, format: ImageFormat, renderKey: string): void {
    this.lastGeneric[format].set(blockId, renderKey);
  }

  async lastGenericOf(block: BlockConfig, format: ImageFormat): Promise<Uint8Array | undefined> {
    const key = this.lastGeneric[format].get(block.id);
    return key ? this.deps.renderCache.get(key) : undefined;
  }

  /** The block's still in this format, drawn once per block version; at worst a flat image of its background. */
  async still(block: BlockConfig, format: ImageFormat): Promise<Uint8Array> {
    const key = `still:${format}:${await digest(JSON.stringify(block))}:${this.deps.scale}`;
    const cached = await this.deps.renderCache.get(key);
    if (cached) return cached;
    try {
      const bytes = await atWork(this.deps.kinds, block).still(block, format);
      await this.deps.writes.cacheRender(key, bytes);
      return bytes;
    } catch (error) {
      this.deps.logger.error('static fallback could not be rendered', { block: block.id, error: describeError(error) });
      return flatImage(format, Math.round(block.size.width * this.deps.scale), Math.round(block.size.height * this.deps.scale), block.params.background);
    }
  }

  /** No block to draw: a white image of the format asked for. */
  blank(format: ImageFormat): Promise<Uint8Array> {
    let blank = this.blanks.get(format);
    if (!blank) {
      blank = flatImage(format, BLANK_SIZE.width, BLANK_SIZE.height, BLANK_COLOR);
      this.blanks.set(format, blank);
    }
    return blank;
  }
}
