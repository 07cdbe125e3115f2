import { describe, expect, it } from 'vitest';
import type { TrackedEvent } from '../../../src/core/events/normalize.ts';
import { reduceProfile } from '../../../src/core/profiles/reducer.ts';
import { MAX_PAIRED_ITEMS, SESSION_GAP_MS, decayedWeight, neighbourIncrements } from '../../../src/core/recommend/neighbours.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const MINUTE = 60_000;
let n = 0;
const track = (event: string, properties: Record<string, unknown>, at: number): TrackedEvent => ({
  type: 'track',
  messageId: `m${++n}`,
  userId: 'u',
  event,
  properties,
  traits: {},
  timestamp: at,
  receivedAt: at,
  context: {},
});
const view = (id: string, at: number) => track('Product Viewed', { product_id: id }, at);
const pairsOf = (incs: ReturnType<typeof neighbourIncrements>) => incs.map((i) => `${i.list}:${i.productId}>${i.neighbourId}`).sort();

describe('neighbourIncrements: views in a session', () => {
  it('pairs a view with the session’s earlier views, both ways', () => {
    const earlier = reduceProfile(undefined, [view('a', NOW - 10 * MINUTE)]);
    const fresh = [view('b', NOW)];
    expect(pairsOf(neighbourIncrements(fresh, reduceProfile(earlier, fresh), NOW))).toEqual(['viewed_together:a>b', 'viewed_together:b>a']);
  });

  it('does not pair views further apart than a session', () => {
    const earlier = reduceProfile(undefined, [view('a', NOW - SESSION_GAP_MS - MINUTE)]);
    const fresh = [view('b', NOW)];
    expect(neighbourIncrements(fresh, reduceProfile(earlier, fresh), NOW)).toEqual([]);
  });

  it('counts each pair once whichever view arrives first', () => {
    const first = [view('b', NOW)];
    const late = [view('a', NOW - 5 * MINUTE)];
    const afterFirst = reduceProfile(undefined, first);
    const one = neighbourIncrements(first, afterFirst, NOW);
    const two = neighbourIncrements(late, reduceProfile(afterFirst, late), NOW);
    expect(one).toEqual([]);
    expect(pairsOf(two)).toEqual(['viewed_together:a>b', 'viewed_together:b>a']);
  });

  it('pairs views within one batch with each other', () => {
    const batch = [view('a', NOW - 2 * MINUTE), view('b', NOW - MINUTE), view('c', NOW)];
    expect(pairsOf(neighbourIncrements(batch, reduceProfile(undefined, batch), NOW))).toHaveLength(6);
  });

  it('weighs a pair by when it happened (forward decay), never later than now', () => {
    const batch = [view('a', NOW - 2 * MINUTE), view('b', NOW + 3_600_000)];
    const weights = neighbourIncrements(batch, reduceProfile(undefined, batch), NOW).map((i) => i.weight);
    expect(weights.every((w) => w <= decayedWeight(NOW))).toBe(true);
  });
});

describe('neighbourIncrements: orders', () => {
  it('pairs every two products of one order, and nothing across orders', () => {
    const orders = [
      track('Order Completed', { products: [{ product_id: 'a' }, { product_id: 'b' }, { product_id: 'c' }] }, NOW),
      track('Order Completed', { products: [{ product_id: 'd' }] }, NOW),
    ];
    const pairs = pairsOf(neighbourIncrements(orders, undefined, NOW));
    expect(pairs).toHaveLength(6);
    expect(pairs.every((p) => p.startsWith('bought_together:') && !p.includes('d'))).toBe(true);
  });

  it(`pairs at most ${MAX_PAIRED_ITEMS} products of a large order`, () => {
    const products = Array.from({ length: 100 }, (_, i) => ({ product_id: `p${i}` }));
    expect(neighbourIncrements([track('Order Completed', { products }, NOW)], undefined, NOW)).toHaveLength(MAX_PAIRED_ITEMS * (MAX_PAIRED_ITEMS - 1));
  });
});
