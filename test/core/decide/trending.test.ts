import { describe, expect, it } from 'vitest';
import {
  TRENDING_HALF_LIFE_HOURS,
  TRENDING_LIST_LENGTH,
  TRENDING_WINDOW_HOURS,
  WEIGHTS,
  decayWeight,
  hourOf,
  rankBuckets,
  trendingIncrements,
  trendingScope,
} from '../../../src/core/decide/trending.ts';
import { added, at, cartViewed, clicked, identifyEvent, orderCompleted, trackEvent, viewed } from '../fixtures.ts';

describe('decayWeight', () => {
  it('counts the current hour fully', () => {
    expect(decayWeight(0)).toBe(1);
  });

  it('halves a bucket every half-life', () => {
    expect(decayWeight(TRENDING_HALF_LIFE_HOURS)).toBeCloseTo(0.5);
    expect(decayWeight(2 * TRENDING_HALF_LIFE_HOURS)).toBeCloseTo(0.25);
    expect(decayWeight(12)).toBeCloseTo(Math.SQRT1_2);
  });

  it('stops counting buckets older than the window', () => {
    expect(decayWeight(TRENDING_WINDOW_HOURS - 1)).toBeGreaterThan(0);
    expect(decayWeight(TRENDING_WINDOW_HOURS)).toBe(0);
    expect(decayWeight(10_000)).toBe(0);
  });

  it('counts buckets from the future (another instance clock ahead) fully', () => {
    expect(decayWeight(-3)).toBe(1);
  });
});

describe('rankBuckets', () => {
  const now = hourOf(at(0)) + 100;

  it('ranks products by their summed counts', () => {
    const ranked = rankBuckets(
      [
        { hour: now, productId: 'a', count: 2 },
        { hour: now, productId: 'b', count: 5 },
        { hour: now - 1, productId: 'a', count: 4 },
      ],
      now,
    );
    expect(ranked).toEqual(['a', 'b']);
  });

  it('ranks recent interest above older interest of the same size', () => {
    const ranked = rankBuckets(
      [
        { hour: now - 48, productId: 'old', count: 10 },
        { hour: now - 1, productId: 'new', count: 10 },
      ],
      now,
    );
    expect(ranked).toEqual(['new', 'old']);
  });

  it('lets a large old count beat a small new one until the old one leaves the window', () => {
    const buckets = [
      { hour: now - 24, productId: 'old', count: 10 },
      { hour: now, productId: 'new', count: 4 },
    ];
    // 10 halved once is 5, more than 4.
    expect(rankBuckets(buckets, now)).toEqual(['old', 'new']);
    expect(rankBuckets(buckets, now - 24 + TRENDING_WINDOW_HOURS)).toEqual(['new']);
  });

  it('leaves out products whose buckets are all outside the window', () => {
    expect(
      rankBuckets(
        [
          { hour: now - TRENDING_WINDOW_HOURS, productId: 'gone', count: 1000 },
          { hour: now, productId: 'here', count: 1 },
        ],
        now,
      ),
    ).toEqual(['here']);
  });

  it('breaks ties by product id so every store ranks the same way', () => {
    const ranked = rankBuckets(
      [
        { hour: now, productId: 'c', count: 1 },
        { hour: now, productId: 'a', count: 1 },
        { hour: now, productId: 'b', count: 1 },
      ],
      now,
    );
    expect(ranked).toEqual(['a', 'b', 'c']);
  });

  it('returns at most `limit` products, TRENDING_LIST_LENGTH by default', () => {
    const buckets = Array.from({ length: 150 }, (_, i) => ({ hour: now, productId: `p${i}`, count: i }));
    expect(rankBuckets(buckets, now)).toHaveLength(TRENDING_LIST_LENGTH);
    expect(rankBuckets(buckets, now, 3)).toEqual(['p149', 'p148', 'p147']);
  });

  it('returns an empty list when nothing happened', () => {
    expect(rankBuckets([], now)).toEqual([]);
  });
});

describe('trendingIncrements', () => {
  it('counts a view, an add and a purchase with rising weights', () => {
    const increments = trendingIncrements([viewed('a', at(1)), added('b', at(2)), orderCompleted(['c'], at(3))]);
    expect(increments).toEqual([
      { scope: 'trending', productId: 'a', weight: WEIGHTS.view },
      { scope: 'trending', productId: 'b', weight: WEIGHTS.cart },
      { scope: 'trending', productId: 'c', weight: WEIGHTS.purchase },
      { scope: 'bestsellers', productId: 'c', weight: 1 },
    ]);
    expect(WEIGHTS.view).toBeLessThan(WEIGHTS.cart);
    expect(WEIGHTS.cart).toBeLessThan(WEIGHTS.purchase);
  });

  it('counts bestsellers by the quantity bought', () => {
    const increments = trendingIncrements([orderCompleted([{ id: 'c', quantity: 4 }], at(1))]);
    expect(increments.filter((x) => x.scope === 'bestsellers')).toEqual([{ scope: 'bestsellers', productId: 'c', weight: 4 }]);
  });

  it('also counts a product in its category scope, lower-cased', () => {
    const increments = trendingIncrements([viewed('a', at(1), { category: 'Shoes' })]);
    expect(increments).toEqual([
      { scope: 'trending', productId: 'a', weight: 1 },
      { scope: 'trending:shoes', productId: 'a', weight: 1 },
    ]);
  });

  it('understands lenient event names', () => {
    const increments = trendingIncrements([trackEvent('product_added', { product_id: 'a' }, at(1))]);
    expect(increments).toEqual([{ scope: 'trending', productId: 'a', weight: WEIGHTS.cart }]);
  });

  it('counts nothing for other events, identify, or events without a product', () => {
    const increments = trendingIncrements([
      clicked('a', at(1)),
      cartViewed(['a'], at(2)),
      trackEvent('Signed Up', { product_id: 'a' }, at(3)),
      trackEvent('Product Viewed', { name: 'no id' }, at(4)),
      trackEvent('Product Viewed', { product_id: 'a' }, at(5), { type: 'page' }),
      identifyEvent({ plan: 'pro' }, at(6)),
    ]);
    expect(increments).toEqual([]);
  });
});

describe('trendingScope', () => {
  it('names the overall list and category lists', () => {
    expect(trendingScope('trending', undefined)).toBe('trending');
    expect(trendingScope('bestsellers', 'Winter Coats')).toBe('bestsellers:winter coats');
  });
});
