import { describe, expect, it } from 'vitest';
import { productGridBlockSchema } from '../../../src/core/blocks/product-grid.ts';
import type { Product } from '../../../src/core/catalog/product.ts';
import { decide } from '../../../src/core/decide/decide.ts';
import type { Neighbour } from '../../../src/core/recommend/neighbours.ts';
import { seedsOf, type NeighbourLists } from '../../../src/core/recommend/sources.ts';
import { emptyProfile, type Profile } from '../../../src/core/profiles/profile.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const product = (id: string, category: string, price: number, attributes: Record<string, string> = {}, extra: Partial<Product> = {}): Product => ({
  id,
  title: id,
  price,
  currency: 'USD',
  url: `https://shop.example.com/${id}`,
  category,
  in_stock: true,
  attributes,
  ...extra,
});
const catalog = new Map(
  [
    product('shirt', 'tops', 40, { colour: 'blue', brand: 'acme' }),
    product('tee', 'tops', 38, { colour: 'blue', brand: 'acme' }),
    product('polo', 'tops', 45, { colour: 'red', brand: 'acme' }),
    product('blouse', 'tops', 90, { colour: 'blue', brand: 'other' }),
    product('tie', 'accessories', 20),
    product('belt', 'accessories', 25),
    product('sock', 'accessories', 5, {}, { sale_price: 3 }),
  ].map((p) => [p.id, p]),
);
const lists = (viewed: Record<string, Neighbour[]>, bought: Record<string, Neighbour[]>): NeighbourLists => ({
  viewed_together: new Map(Object.entries(viewed)),
  bought_together: new Map(Object.entries(bought)),
});
const profileWith = (changes: Partial<Profile>): Profile => ({ ...emptyProfile(NOW - 1000), ...changes });
const run = (source: object, profile: Profile | undefined, neighbours: NeighbourLists, trending = new Map<string, string[]>()) => {
  const block = productGridBlockSchema.parse({
    id: 'b',
    kind: 'product-grid',
    size: { width: 600, height: 300 },
    slots: 3,
    fallback: { url: 'https://shop.example.com/' },
    source: [source],
  });
  return decide({ block, blockVersion: 1, profile, products: catalog, trending, neighbours });
};
const ids = (d: ReturnType<typeof run>) => d.slots.map((s) => s?.id ?? null);

describe('seeds', () => {
  it('are the cart, views and purchases by recency, one per product, a cart line weighing most', () => {
    const profile = profileWith({
      viewed: [
        { id: 'shirt', at: NOW - 10 },
        { id: 'tie', at: NOW - 20 },
      ],
      cart: [{ id: 'shirt', at: NOW - 10, quantity: 1 }],
      purchased: [{ id: 'belt', at: NOW - 30 }],
    });
    expect(seedsOf(profile).map((s) => [s.id, s.did, s.weight])).toEqual([
      ['shirt', 'cart', 3],
      ['tie', 'viewed', 0.75],
      ['belt', 'purchased', 2 * 0.75 ** 2],
    ]);
  });
});

describe('bought_together and viewed_together', () => {
  const neighbours = lists(
    { shirt: [{ id: 'tee', score: 3 }] },
    {
      shirt: [
        { id: 'tie', score: 4 },
        { id: 'belt', score: 2 },
      ],
      tie: [
        { id: 'shirt', score: 4 },
        { id: 'sock', score: 1 },
      ],
    },
  );
  const profile = profileWith({
    viewed: [
      { id: 'shirt', at: NOW - 10 },
      { id: 'tie', at: NOW - 20 },
    ],
  });

  it('blend the seeds’ neighbours by seed weight, never showing a seed, and say which seed each came from', () => {
    const decision = run({ from: 'bought_together' }, profile, neighbours);
    expect(ids(decision)).toEqual(['belt', 'sock', null]);
    expect(decision.why).toEqual([{ source: 0, from: 'bought_together', seed: 'shirt' }, { source: 0, from: 'bought_together', seed: 'tie' }, null]);
    expect(decision.personal).toBe(true);
    expect(ids(run({ from: 'viewed_together' }, profile, neighbours))).toEqual(['tee', null, null]);
  });

  it('give nothing to an anonymous open, leaving the slots to the next source', () => {
    expect(ids(run({ from: 'bought_together' }, undefined, neighbours))).toEqual([null, null, null]);
  });

  it('apply the source’s filter to product fields', () => {
    expect(ids(run({ from: 'bought_together', filter: { '>': [{ var: 'final_price' }, 10] } }, profile, neighbours))).toEqual(['belt', null, null]);
    expect(ids(run({ from: 'bought_together', filter: { '==': [{ var: 'on_sale' }, true] } }, profile, neighbours))).toEqual(['sock', null, null]);
    // A rule that fails is false for the product: it hides, never breaks.
    expect(ids(run({ from: 'bought_together', filter: { nonsense: [1] } }, profile, neighbours))).toEqual([null, null, null]);
  });
});

describe('similar', () => {
  it('ranks the same category by shared attributes and nearness in price', () => {
    const profile = profileWith({ viewed: [{ id: 'shirt', at: NOW }] });
    const trending = new Map([['trending:tops', ['blouse', 'polo', 'tee', 'shirt']]]);
    expect(ids(run({ from: 'similar' }, profile, lists({}, { shirt: [{ id: 'tie', score: 5 }] }), trending))).toEqual(['tee', 'polo', 'blouse']);
  });
});

describe('for_you', () => {
  it('leads with what was bought with the subscriber’s products, then what was viewed with them and their category’s trending', () => {
    const profile = profileWith({ viewed: [{ id: 'shirt', at: NOW }] });
    const trending = new Map([['trending:tops', ['polo', 'blouse']]]);
    // tie: 0.6 (bought together); polo: 0.2 (the category's top); tee: 0.2 (viewed together), after polo by id; blouse: 0.1.
    expect(ids(run({ from: 'for_you' }, profile, lists({ shirt: [{ id: 'tee', score: 1 }] }, { shirt: [{ id: 'tie', score: 1 }] }), trending))).toEqual(['tie', 'polo', 'tee']);
  });
});

describe('price_drop', () => {
  it('shows viewed and carted products now cheaper than the price the subscriber saw, the largest fall first', () => {
    const profile = profileWith({
      viewed: [
        { id: 'shirt', at: NOW, price: 50 },
        { id: 'tie', at: NOW, price: 20 },
        { id: 'belt', at: NOW },
      ],
      cart: [{ id: 'sock', at: NOW, quantity: 1, price: 5 }],
    });
    const decision = run({ from: 'price_drop' }, profile, lists({}, {}));
    expect(ids(decision)).toEqual(['sock', 'shirt', null]);
    expect(decision.why?.[0]).toEqual({ source: 0, from: 'price_drop', was: 5 });
  });
});
