import { blockSchema } from '../core/blocks/schema.ts';
import type { AppDeps } from '../core/deps.ts';
import { ingestEvents } from '../core/events/ingest.ts';
import { normalizeEvent } from '../core/events/normalize.ts';
import { createSubjectKeyer } from '../core/subjects.ts';
import { DEMO_BLOCK_ID, DEMO_PRODUCTS, demoBlock, demoCatalog } from './catalog.ts';

/** Views by a few demo shoppers, so that a newcomer's trending list is not empty. */
const CROWD: ReadonlyArray<[shopper: number, product: string]> = [
  [1, 'studio-headphones'], [2, 'studio-headphones'], [3, 'studio-headphones'], [4, 'studio-headphones'],
  [1, 'trail-runner'], [2, 'trail-runner'], [3, 'trail-runner'],
  [5, 'pour-over-mug'], [6, 'pour-over-mug'],
  [4, 'aviators'], [7, 'desk-plant'],
];

/**
 * Loads the demo shop: the catalog (its URLs follow `origin`, so it is
 * written at every start), the demo block (only when missing, so edits to it
 * survive restarts) and the crowd's views.
 */
export async function seedDemo(deps: AppDeps, origin: string): Promise<void> {
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
