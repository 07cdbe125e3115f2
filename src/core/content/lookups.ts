import { LRUCache } from 'lru-cache';
import { BLOCK_ID_PATTERN, blockSchema, type StoredBlock } from '../blocks/schema.ts';
import type { Product } from '../catalog/product.ts';
import { TRENDING_LIST_LENGTH } from '../decide/trending.ts';
import type { BlockStore, CatalogStore, Clock, NeighbourStore, TrendingStore } from '../ports.ts';
import type { Neighbour, NeighbourList } from '../recommend/neighbours.ts';

/** The store parts the lookups read. */
export type LookupStore = Pick<BlockStore, 'getBlock'> & Pick<TrendingStore, 'topTrending'> & Pick<CatalogStore, 'getProducts'> & Pick<NeighbourStore, 'getNeighbours'>;

/**
 * Per-instance read caches in front of the store for what every open reads:
 * block configs, trending lists and catalog products. They are short-lived
 * so that changes made through another instance show up within seconds;
 * changes made through this instance drop the entry at once.
 */
export const TRENDING_CACHE_MS = 30_000;
export const PRODUCT_CACHE_MS = 10_000;
/** Neighbour lists change with every view and order, but slowly in rank: as long as trending. */
export const NEIGHBOUR_CACHE_MS = TRENDING_CACHE_MS;
const MAX_CACHED_PRODUCTS = 20_000;

/**
 * A block stored by an older opentime lacks fields added since (their
 * defaults apply); one that no longer validates is kept as it is.
 */
function upgraded(stored: StoredBlock | undefined): StoredBlock | undefined {
  if (!stored) return stored;
  const parsed = blockSchema.safeParse(stored.config);
  return parsed.success ? { ...stored, config: parsed.data } : stored;
}

type Missing = { missing: true };
const MISSING: Missing = { missing: true };

export class Lookups {
  private readonly blocks: LRUCache<string, StoredBlock | Missing>;
  private readonly trending: LRUCache<string, string[]>;
  private readonly products: LRUCache<string, Product | Missing>;
  private readonly neighbours: LRUCache<string, readonly Neighbour[]>;
  private readonly store: LookupStore;
  private readonly clock: Clock;

  constructor(store: LookupStore, clock: Clock, blockCacheMs: number) {
    this.store = store;
    this.clock = clock;
    // Stale entries stay readable (noDeleteOnStaleGet) for fallbacks while the store is down.
    this.blocks = new LRUCache({ max: 10_000, ttl: Math.max(1, blockCacheMs), noDeleteOnStaleGet: true });
    this.trending = new LRUCache({ max: 10_000, ttl: TRENDING_CACHE_MS });
    this.products = new LRUCache({ max: MAX_CACHED_PRODUCTS, ttl: PRODUCT_CACHE_MS });
    this.neighbours = new LRUCache({ max: MAX_CACHED_PRODUCTS, ttl: NEIGHBOUR_CACHE_MS });
  }

  async block(id: string): Promise<StoredBlock | undefined> {
    // An id no block can have (any URL's path lands here) is not asked of the store, nor cached:
    // 10,000 cached misses of 16 KB ids would be 160 MB.
    if (!BLOCK_ID_PATTERN.test(id)) return undefined;
    const cached = this.blocks.get(id);
    if (cached !== undefined) return 'missing' in cached ? undefined : cached;
    const stored = upgraded(await this.store.getBlock(id));
    this.blocks.set(id, stored ?? MISSING);
    return stored;
  }

  /** The block as cached now, if its entry is fresh: no store read, no promise (the answer memo's fast path). */
  cachedBlock(id: string): StoredBlock | undefined {
    const cached = this.blocks.get(id);
    return cached === undefined || 'missing' in cached ? undefined : cached;
  }

  /** A cached block even if its entry is stale: for fallbacks when the store is down. */
  lastKnownBlock(id: string): StoredBlock | undefined {
    const cached = this.blocks.get(id, { allowStale: true });
    return cached === undefined || 'missing' in cached ? undefined : cached;
  }

  blockChanged(block: StoredBlock): void {
    this.blocks.set(block.config.id, block);
  }

  blockDeleted(id: string): void {
    this.blocks.set(id, MISSING);
  }

  async trendingLists(scopes: readonly string[]): Promise<Map<string, readonly string[]>> {
    const lists = new Map<string, readonly string[]>();
    await Promise.all(
      scopes.map(async (scope) => {
        let ids = this.trending.get(scope);
        if (ids === undefined) {
          ids = await this.store.topTrending(scope, this.clock.now(), TRENDING_LIST_LENGTH);
          this.trending.set(scope, ids);
        }
        lists.set(scope, ids);
      }),
    );
    return lists;
  }

  async productsById(ids: readonly string[]): Promise<Map<string, Product>> {
    const found = new Map<string, Product>();
    const toLoad: string[] = [];
    for (const id of ids) {
      const cached = this.products.get(id);
      if (cached === undefined) toLoad.push(id);
      else if (!('missing' in cached)) found.set(id, cached);
    }
    if (toLoad.length > 0) {
      const loaded = await this.store.getProducts(toLoad);
      for (const id of toLoad) {
        const product = loaded.get(id);
        this.products.set(id, product ?? MISSING);
        if (product) found.set(id, product);
      }
    }
    return found;
  }

  /** A list's neighbours of each product, one store read for those not cached; products with none map to []. */
  async neighbourLists(list: NeighbourList, ids: readonly string[]): Promise<Map<string, readonly Neighbour[]>> {
    const found = new Map<string, readonly Neighbour[]>();
    const toLoad: string[] = [];
    for (const id of ids) {
      const cached = this.neighbours.get(`${list}\u0000${id}`);
      if (cached === undefined) toLoad.push(id);
      else found.set(id, cached);
    }
    if (toLoad.length > 0) {
      const loaded = await this.store.getNeighbours(list, toLoad, this.clock.now());
      for (const id of toLoad) {
        const neighbours = loaded.get(id) ?? [];
        this.neighbours.set(`${list}\u0000${id}`, neighbours);
        found.set(id, neighbours);
      }
    }
    return found;
  }

  productsChanged(products: readonly Product[]): void {
    for (const p of products) this.products.set(p.id, p);
  }

  productsDeleted(ids: readonly string[]): void {
    for (const id of ids) this.products.set(id, MISSING);
  }
}
