import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSchema, type BlockConfig } from '../../../src/core/blocks/schema.ts';
import { KINDS, atWork, kindOf, startKinds, type BlockKind, type KindsAtWork } from '../../../src/core/kinds/registry.ts';
import { withBudget } from '../../../src/core/shared/budget.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { BLOCK_OF_EVERY_KIND } from '../../helpers/fixtures.ts';
import { decodeFrames } from '../../helpers/gif.ts';

/** One block of each kind (test/helpers/fixtures.ts), as the store would hold them. */
const BLOCKS = Object.fromEntries(Object.entries(BLOCK_OF_EVERY_KIND).map(([kind, block]) => [kind, blockSchema.parse(block)])) as Record<BlockKind, BlockConfig>;
const blocks = Object.values(BLOCKS);

let app: TestApp;
let kinds: KindsAtWork;
beforeAll(async () => {
  app = await createTestApp();
  const { deps, renderer, templates, lookups } = app.opentime.services;
  kinds = startKinds({ ...deps, lookups, renderer, templates, budget: (work, what) => withBudget(work, deps.config.storeTimeoutMs, what) });
});
afterAll(async () => {
  await app.close();
});

describe('the block-kind registry', () => {
  it('has exactly one kind for each kind of the block schema', () => {
    expect(Object.keys(KINDS).sort()).toEqual(Object.keys(BLOCKS).sort());
    for (const [name, block] of Object.entries(BLOCKS)) expect(block.kind).toBe(name);
    for (const block of blocks) expect(kindOf(block)).toBe(KINDS[block.kind]);
  });

  it('lets every kind draw its still at the block’s size, in every format an image URL may ask for', async () => {
    for (const block of blocks) {
      const width = block.size.width * 2;
      const height = block.size.height * 2;
      const png = await atWork(kinds, block).still(block, 'png');
      expect(await sharp(png).metadata(), block.id).toMatchObject({ format: 'png', width, height });
      const gif = await decodeFrames(await atWork(kinds, block).still(block, 'gif'));
      expect(gif.frames[0] && [gif.frames[0].width, gif.frames[0].height], block.id).toEqual([width, height]);
    }
  });

  it('names the format each kind’s snippets use first: a countdown moves, the others are stills', () => {
    expect(blocks.map((b) => kindOf(b).formats[0])).toEqual(['png', 'png', 'gif', 'png']);
  });
});
