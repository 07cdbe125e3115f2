import type { ProductGridBlock } from '../blocks/schema.ts';
import { candidateIds, neighbourReads, seedIds, trendingScopes, type DecideInput } from '../decide/decide.ts';
import type { Profile } from '../profiles/profile.ts';
import { scoresOf } from '../profiles/scores.ts';
import { NO_NEIGHBOURS, type NeighbourLists } from '../recommend/sources.ts';
import type { KindTools } from './kind.ts';

type InputTools = Pick<KindTools, 'lookups' | 'budget' | 'clock'>;

/** The neighbour lists of the subscriber's products that the block's sources read. */
async function neighbours(tools: InputTools, block: ProductGridBlock, profile: Profile | undefined): Promise<NeighbourLists> {
  const reads = neighbourReads(block, profile);
  if (reads.length === 0) return NO_NEIGHBOURS;
  const lists = { ...NO_NEIGHBOURS };
  await Promise.all(
    reads.map(async ({ list, ids }) => {
      lists[list] = await tools.lookups.neighbourLists(list, ids);
    }),
  );
  return lists;
}

/**
 * Everything a product grid's decide needs, read within the store budget:
 * the shared lists, the neighbours and catalog entries of the subscriber's
 * products (for recommendation sources), then their categories' lists,
 * then every candidate's catalog entry. A block of today's sources reads
 * what it always did: trending lists, then the catalog.
 */
export async function gridInputs(tools: InputTools, block: ProductGridBlock, version: number, profile: Profile | undefined): Promise<DecideInput> {
  const seeds = seedIds(block, profile);
  const [firstLists, neighbourLists, seedProducts] = await Promise.all([
    tools.budget(tools.lookups.trendingLists(trendingScopes(block, profile)), 'reading trending products'),
    tools.budget(neighbours(tools, block, profile), 'reading product neighbours'),
    seeds.length === 0 ? undefined : tools.budget(tools.lookups.productsById(seeds), 'reading the catalog'),
  ]);
  const trending = seedProducts ? await tools.budget(tools.lookups.trendingLists(trendingScopes(block, profile, seedProducts)), 'reading trending products') : firstLists;
  const ids = candidateIds(block, profile, trending, neighbourLists, seedProducts);
  const products = await tools.budget(tools.lookups.productsById(seeds.length === 0 ? ids : [...new Set([...seeds, ...ids])]), 'reading the catalog');
  // Source filters may read the subscriber's scores as of the open.
  const scores = block.source.some((s) => s.filter !== undefined) ? scoresOf(profile?.activity, profile?.orders ?? 0, tools.clock.now()) : undefined;
  return { block, blockVersion: version, profile, products, trending, neighbours: neighbourLists, ...(scores ? { scores } : {}) };
}
