import type { BlockConfig } from '../blocks/schema.ts';
import { countdownKind } from './countdown.ts';
import { heroKind } from './hero.ts';
import type { Kind, KindTools } from './kind.ts';
import { productGridKind } from './product-grid.ts';

export type BlockKind = BlockConfig['kind'];

/** Each `kind` of the block schema with the Kind that draws it. */
export type Kinds = { [K in BlockKind]: Kind<Extract<BlockConfig, { kind: K }>> };

/**
 * Every block kind, one line each. Adding a kind: its schema in blocks/,
 * its file here beside the others, and one line below; the `satisfies`
 * makes the compiler refuse a registry that lacks a kind of the schema.
 */
export function createKinds(tools: KindTools): Kinds {
  return {
    'product-grid': productGridKind(tools),
    hero: heroKind(tools),
    countdown: countdownKind(tools),
  } satisfies Kinds;
}

/** The kind of a block (the one cast: the mapped type ties each block to its own kind). */
export function kindOf(kinds: Kinds, block: BlockConfig): Kind<BlockConfig> {
  return kinds[block.kind] as Kind<BlockConfig>;
}
