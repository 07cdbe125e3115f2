import type { BannerBlock } from '../blocks/schema.ts';
import { buildMessage } from '../countdown/art.ts';
import { artPng } from '../countdown/frames.ts';
import { digest } from '../render/render-key.ts';
import { artDeps, artStill } from './common.ts';
import type { Kind, KindAtWork, KindTools } from './kind.ts';

/**
 * A banner: the block's headline and subline on its background, the same
 * for everyone. It reads no profile (an open costs no store read), records
 * nothing for clicks, which all go to the block's `url`, and every open of
 * a block version shares one render.
 */
export const banner: Kind<BannerBlock> = {
  formats: ['png'],
  remembers: false,
  // Drawn by opentime itself, not with a template: the schema says all there is to refuse.
  problems: async () => [],
  hasSlot: () => true,
  fixedLink: (block) => block.url,
  start,
};

function start(tools: KindTools): KindAtWork<BannerBlock> {
  const art = artDeps(tools);
  return {
    async plan(stored) {
      const block = stored.config;
      // What the image shows is its size and params alone: two blocks that look alike share a render.
      const key = `banner:${await digest(JSON.stringify([block.size, block.params]))}:${tools.config.scale}`;
      return {
        personal: false,
        known: false,
        drawing: async () => ({ key, draw: async () => ({ png: await artPng(await buildMessage(art, block, block.params.headline, block.params.subline)) }) }),
      };
    },
    // Its still is its fallback image if it names one, else the banner itself (it has nothing personal to leave out).
    still: (block, format) => artStill(art, block, format, { headline: block.params.headline, line: block.params.subline || block.fallback.text }),
  };
}
