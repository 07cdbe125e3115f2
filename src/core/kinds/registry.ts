import type { BlockConfig } from '../blocks/schema.ts';
import type { Problem } from '../shared/validation.ts';
import type { TemplateRegistry } from '../templates/registry.ts';
import { banner } from './banner.ts';
import { countdown } from './countdown.ts';
import { hero } from './hero.ts';
import type { Kind, KindAtWork, KindTools } from './kind.ts';
import { productGrid } from './product-grid.ts';

export type BlockKind = BlockConfig['kind'];
type BlockOf<K extends BlockKind> = Extract<BlockConfig, { kind: K }>;

/**
 * Every block kind, one line each. Adding a kind: its schema in blocks/,
 * its file beside these, and one line here; the `satisfies` makes the
 * compiler refuse a registry that lacks a kind of the schema.
 */
export const KINDS = {
  'product-grid': productGrid,
  hero,
  countdown,
  banner,
} satisfies { [K in BlockKind]: Kind<BlockOf<K>> };

/** The kind of a block (the one cast: the registry's type ties each block to its own kind). */
export function kindOf(block: BlockConfig): Kind<BlockConfig> {
  return KINDS[block.kind] as Kind<BlockConfig>;
}

/** What a PUT of the block is refused for beyond its schema: its kind says. */
export function blockProblems(block: BlockConfig, templates: Pick<TemplateRegistry, 'get'>): Promise<Problem[]> {
  return kindOf(block).problems(block, templates);
}

/** Every kind at work on one instance. */
export type KindsAtWork = { [K in BlockKind]: KindAtWork<BlockOf<K>> };

export function startKinds(tools: KindTools): KindsAtWork {
  const kinds: Record<string, Kind<BlockConfig>> = KINDS;
  return Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, kind.start(tools)])) as KindsAtWork;
}

/** A block's kind at work on this instance. */
export function atWork(kinds: KindsAtWork, block: BlockConfig): KindAtWork<BlockConfig> {
  return kinds[block.kind] as KindAtWork<BlockConfig>;
}
