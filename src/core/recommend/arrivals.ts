import type { Product } from '../catalog/product.ts';
import { arrivalIncrements } from '../decide/trending.ts';
import type { CatalogStore, TrendingStore } from '../ports.ts';

/**
 * Stores a catalog upsert, and ranks the products that were not in the
 * catalog before in `new_arrivals` (newest first, for the trending window).
 * A product that leaves and comes back is new again.
 */
export async function putCatalog(
  store: Pick<CatalogStore, 'getProducts' | 'putProducts'> & Pick<TrendingStore, 'bumpTrending'>,
  products: readonly Product[],
  now: number,
): Promise<void> {
  const known = await store.getProducts(products.map((p) => p.id));
  await store.putProducts(products, now);
  const arrived = products.filter((p) => !known.has(p.id));
  if (arrived.length > 0) await store.bumpTrending(arrivalIncrements(arrived), now);
}
