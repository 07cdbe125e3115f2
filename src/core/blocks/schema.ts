import { z } from 'zod';
import { bannerBlockSchema, type BannerBlock } from './banner.ts';
import { countdownBlockSchema, type CountdownBlock } from './countdown.ts';
import { heroBlockSchema, type HeroBlock } from './hero.ts';
import { productGridBlockSchema, type ProductGridBlock } from './product-grid.ts';

/**
 * The block config a marketer writes (see templates/*.json): one schema per
 * kind, told apart by `kind` (a block without one is a product grid).
 */
export * from './common.ts';
export * from './product-grid.ts';
export * from './countdown.ts';
export * from './hero.ts';
export * from './banner.ts';

const kinds = z.discriminatedUnion('kind', [productGridBlockSchema, heroBlockSchema, countdownBlockSchema, bannerBlockSchema]);

export const blockSchema = z.preprocess(
  (input) => (input && typeof input === 'object' && !Array.isArray(input) && !('kind' in input) ? { ...input, kind: 'product-grid' } : input),
  kinds,
);

export type BlockInput = z.input<typeof kinds> | Omit<z.input<typeof productGridBlockSchema>, 'kind'>;
export type BlockConfig = ProductGridBlock | HeroBlock | CountdownBlock | BannerBlock;

/** A block as stored: its config and the version the store gave it. */
export interface StoredBlock {
  config: BlockConfig;
  version: number;
  updatedAt: number;
}
