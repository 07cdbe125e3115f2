import type { TrackedEvent } from '../events/normalize.ts';
import { ecommerceEvent, eventItems, eventProducts } from '../profiles/ecommerce.ts';

/**
 * Trending is a decayed count per product: views, adds and purchases across
 * all subscribers, in hourly buckets, each bucket's weight halving every
 * TRENDING_HALF_LIFE_HOURS. Stores keep the buckets; this module says what to
 * count and how to weigh it, so every store ranks the same way.
 */
export const TRENDING_HALF_LIFE_HOURS = 24;
/** Buckets older than this no longer count (and stores may drop them). */
export const TRENDING_WINDOW_HOURS = 7 * 24;
export const TRENDING_LIST_LENGTH = 100;

export const WEIGHTS = { view: 1, cart: 3, purchase: 5 } as const;

export interface TrendingIncrement {
  scope: string;
  productId: string;
  weight: number;
}

/** The shared lists kept as decayed hourly buckets: trending, bestsellers, and new arrivals (counted when a product first enters the catalog). */
export type RankedList = 'trending' | 'bestsellers' | 'new_arrivals';

export function trendingScope(kind: RankedList, category: string | undefined): string {
  return category === undefined ? kind : `${kind}:${category.toLowerCase()}`;
}

export function hourOf(epochMs: number): number {
  return Math.floor(epochMs / 3_600_000);
}

/** The weight of a bucket `ageHours` old. */
export function decayWeight(ageHours: number): number {
  if (ageHours < 0 || ageHours >= TRENDING_WINDOW_HOURS) return ageHours < 0 ? 1 : 0;
  return 0.5 ** (ageHours / TRENDING_HALF_LIFE_HOURS);
}

/** Ranks products by decayed score from (hour, product, count) buckets. */
export function rankBuckets(buckets: Iterable<{ hour: number; productId: string; count: number }>, nowHour: number, limit = TRENDING_LIST_LENGTH): string[] {
  const scores = new Map<string, number>();
  for (const b of buckets) {
    const w = decayWeight(nowHour - b.hour);
    if (w > 0) scores.set(b.productId, (scores.get(b.productId) ?? 0) + b.count * w);
  }
  return [...scores.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit)
    .map(([id]) => id);
}

/** Products that entered the catalog now: each ranks in `new_arrivals` (and its category's) by how recently it came. */
export function arrivalIncrements(products: ReadonlyArray<{ id: string; category?: string | undefined }>): TrendingIncrement[] {
  return products.flatMap((p) => [
    { scope: trendingScope('new_arrivals', undefined), productId: p.id, weight: 1 },
    ...(p.category ? [{ scope: trendingScope('new_arrivals', p.category), productId: p.id, weight: 1 }] : []),
  ]);
}

/** What a batch of fresh (not duplicate) events adds to the trending counters. */
export function trendingIncrements(events: readonly TrackedEvent[]): TrendingIncrement[] {
  const out: TrendingIncrement[] = [];
  const add = (kind: 'trending' | 'bestsellers', productId: string, category: string | undefined, weight: number) => {
    out.push({ scope: trendingScope(kind, undefined), productId, weight });
    if (category) out.push({ scope: trendingScope(kind, category), productId, weight });
  };
  for (const event of events) {
    if (event.type !== 'track') continue;
    switch (ecommerceEvent(event.event)) {
      case 'productViewed':
        for (const p of eventItems(event.properties)) add('trending', p.id, p.category, WEIGHTS.view);
        break;
      case 'productAdded':
        for (const p of eventItems(event.properties)) add('trending', p.id, p.category, WEIGHTS.cart);
        break;
      case 'orderCompleted':
        for (const p of eventProducts(event.properties) ?? []) {
          add('trending', p.id, p.category, WEIGHTS.purchase);
          add('bestsellers', p.id, p.category, p.quantity);
        }
        break;
      default:
        break;
    }
  }
  return out;
}
