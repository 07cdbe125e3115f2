import { blockSchema } from '../core/blocks/schema.ts';
import { ingestEvents } from '../core/events/ingest.ts';
import { normalizeEvent } from '../core/events/normalize.ts';
import { createSubjectKeyer } from '../core/audience/subjects.ts';
import type { BlockConfig } from '../core/blocks/schema.ts';
import type { Product } from '../core/catalog/product.ts';
import type { AppConfig } from '../core/config.ts';
import type { BlockStore, CatalogStore, Clock, SubjectStore, SuppressionStore, TrendingStore, NeighbourStore } from '../core/ports.ts';
import { DEMO_BLOCK_ID, DEMO_MARK, DEMO_PRODUCTS, demoBlock, demoCatalog } from './catalog.ts';

/** Views by a few demo shoppers, so that a newcomer's trending list is not empty. */
const CROWD: ReadonlyArray<[shopper: number, product: string]> = [
  [1, 'studio-headphones'],
  [2, 'studio-headphones'],
  [3, 'studio-headphones'],
  [4, 'studio-headphones'],
  [1, 'trail-runner'],
  [2, 'trail-runner'],
  [3, 'trail-runner'],
  [5, 'pour-over-mug'],
  [6, 'pour-over-mug'],
  [4, 'aviators'],
  [7, 'desk-plant'],
];

/** What seeding writes: the catalog, the demo block, and the crowd's events (through the events ingest). */
export interface SeedDeps {
  store: CatalogStore & BlockStore & SubjectStore & SuppressionStore & TrendingStore & NeighbourStore;
  clock: Clock;
  config: Pick<AppConfig, 'secret'>;
}

/**
 * Loads the demo shop: the catalog (its URLs follow `origin`, so it is
 * written at every start), the demo block (only when missing, so edits to it
 * survive restarts) and the crowd's views.
 */
export async function seedDemo(deps: SeedDeps, origin: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.putProducts(demoCatalog(origin), now);
  const existing = await deps.store.getBlock(DEMO_BLOCK_ID);
  if (!existing || existing.config.fallback.url !== `${origin}/demo/shop`) {
    await deps.store.putBlock(blockSchema.parse(demoBlock(origin)), now);
  }
  const events = CROWD.map(([shopper, productId], i) => {
    const product = DEMO_PRODUCTS.find((p) => p.id === productId);
    return normalizeEvent(
      {
        type: 'track',
        anonymousId: `demo-crowd-${shopper}`,
        event: 'Product Viewed',
        messageId: `demo-crowd-${i}`,
        properties: { product_id: productId, category: product?.category },
      },
      'track',
      now,
    );
  });
  await ingestEvents({ store: deps.store, keyer: createSubjectKeyer(deps.config.secret) }, events, now);
}

/**
 * A product the demo wrote: it carries the demo's mark, or (written before
 * the mark existed) it is the demo's product exactly as seeded: the demo's
 * title, its page and photo on the server's own /demo/ paths.
 */
function seededByDemo(product: Product): boolean {
  if (product.attributes?.seeded_by === DEMO_MARK.seeded_by) return true;
  const demo = DEMO_PRODUCTS.find((p) => p.id === product.id);
  if (!demo || product.title !== demo.title || product.attributes !== undefined) return false;
  try {
    const page = new URL(product.url);
    const photo = product.image_url === undefined ? undefined : new URL(product.image_url);
    return page.pathname === `/demo/shop/${demo.id}` && photo?.origin === page.origin && photo.pathname === `/demo/products/${demo.id}.png`;
  } catch {
    return false;
  }
}

/** The demo block as the demo wrote it (for the origin it was written for), not edited since. */
function uneditedDemoBlock(config: BlockConfig): boolean {
  const origin = config.fallback.url.replace(/\/demo\/shop$/, '');
  if (origin === config.fallback.url) return false;
  const seeded = blockSchema.safeParse(demoBlock(origin));
  const stored = blockSchema.safeParse(config);
  return seeded.success && stored.success && JSON.stringify(stored.data) === JSON.stringify(seeded.data);
}

/**
 * With the demo off, removes what an earlier start with the demo on left in
 * the store: the demo's products (only those the demo wrote) and the demo
 * block unless it was edited. Runs at every start with OPENTIME_DEMO=0;
 * once they are gone it only reads.
 */
export async function removeDemo(deps: { store: CatalogStore & BlockStore }): Promise<{ products: number; block: boolean }> {
  const found = await deps.store.getProducts(DEMO_PRODUCTS.map((p) => p.id));
  const ids = [...found.values()].filter(seededByDemo).map((p) => p.id);
  const products = ids.length > 0 ? await deps.store.deleteProducts(ids) : 0;
  const stored = await deps.store.getBlock(DEMO_BLOCK_ID);
  const block = stored !== undefined && uneditedDemoBlock(stored.config) && (await deps.store.deleteBlock(DEMO_BLOCK_ID));
  return { products, block };
}
