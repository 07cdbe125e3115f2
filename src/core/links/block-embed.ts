import type { BlockConfig } from '../blocks/schema.ts';
import { atWork, type KindsAtWork } from '../kinds/registry.ts';
import type { Logger } from '../ports.ts';
import type { SliceLayout } from '../render/slices.ts';
import { describeError } from '../shared/errors.ts';
import { buildEmbed, slicesByDefault, type Embed, type EmbedOptions } from './embed.ts';

/**
 * A block's embed on this instance: where its parts are cut comes from its
 * kind (laying out its template once per block version), then the one
 * builder (embed.ts) writes the HTML. A template that cannot be laid out is
 * embedded whole, with a note, never a failed request.
 */
export class BlockEmbeds {
  private readonly deps: { kinds: KindsAtWork; logger: Logger };

  constructor(deps: BlockEmbeds['deps']) {
    this.deps = deps;
  }

  async embed(block: BlockConfig, options: EmbedOptions): Promise<Embed> {
    const wantsSlices = options.sliced ?? slicesByDefault(block);
    let layout: SliceLayout | undefined;
    if (wantsSlices) {
      try {
        layout = await atWork(this.deps.kinds, block).sliceLayout?.(block);
      } catch (error) {
        this.deps.logger.warn('block could not be laid out for slicing', { block: block.id, error: describeError(error) });
      }
    }
    return buildEmbed(block, layout, options);
  }
}
