import { describe, expect, it } from 'vitest';
import type { ProductGridBlock } from '../../../src/core/blocks/schema.ts';
import { candidateIds, decide, trendingScopes, type DecideInput, type GridDecision } from '../../../src/core/decide/decide.ts';
import type { Profile } from '../../../src/core/profiles/profile.ts';
import { at, block, catalog, product, profileWith } from '../fixtures.ts';

const products = catalog(
  product({ id: 'shoe', category: 'Shoes', price: 80 }),
  product({ id: 'boot', category: 'Shoes', price: 120, sale_price: 90 }),
  product({ id: 'hat', category: 'Hats', price: 25 }),
  product({ id: 'cap', category: 'Hats', price: 15, in_stock: false }),
  product({ id: 'sock', category: 'Socks', price: 5 }),
  product({ id: 'scarf', price: 40 }),
);

const shopper: Profile = profileWith({
  cart: [
    { id: 'shoe', quantity: 1, at: at(5) },
    { id: 'hat', quantity: 2, at: at(4) },
  ],
  viewed: [
    { id: 'sock', at: at(6) },
    { id: 'shoe', at: at(3) },
    { id: 'scarf', at: at(2) },
  ],
  purchased: [{ id: 'boot', at: at(1), orderId: 'o-1' }],
  lastCategory: { name: 'Hats', at: at(6) },
});

function run(blockConfig: ProductGridBlock, overrides: Partial<DecideInput> = {}): GridDecision {
  return decide({ block: blockConfig, blockVersion: 1, profile: shopper, products, trending: new Map(), ...overrides });
}

const ids = (decision: GridDecision) => decision.slots.map((slot) => slot?.id ?? null);
const sources = (decision: GridDecision) => decision.slots.map((slot) => slot?.source ?? null);

describe('decide: profile sources', () => {
  it('shows the cart, most recent line first', () => {
    expect(ids(run(block({ slots: 2, source: [{ from: 'cart' }] })))).toEqual(['shoe', 'hat']);
  });

  it('shows recently viewed products, most recent first', () => {
    expect(ids(run(block({ slots: 3, source: [{ from: 'recently_viewed' }] })))).toEqual(['sock', 'shoe', 'scarf']);
  });

  it('shows purchased products', () => {
    expect(ids(run(block({ slots: 1, source: [{ from: 'purchased' }] })))).toEqual(['boot']);
  });

  it('shows nothing from profile sources when there is no profile', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'cart' }, { from: 'recently_viewed' }, { from: 'purchased' }] }), { profile: undefined });
    expect(decision.slots).toEqual([null, null]);
    expect(decision.personal).toBe(false);
  });
});

describe('decide: shared sources', () => {
  const trending = new Map<string, readonly string[]>([
    ['trending', ['scarf', 'sock', 'hat', 'shoe']],
    ['trending:hats', ['hat']],
    ['bestsellers', ['boot', 'shoe']],
  ]);

  it('shows the overall trending list in its order', () => {
    expect(ids(run(block({ slots: 3, source: [{ from: 'trending' }] }), { trending }))).toEqual(['scarf', 'sock', 'hat']);
  });

  it('shows bestsellers', () => {
    expect(ids(run(block({ slots: 2, source: [{ from: 'bestsellers' }] }), { trending }))).toEqual(['boot', 'shoe']);
  });

  it('shows fixed products in the order given', () => {
    expect(ids(run(block({ slots: 3, source: [{ from: 'products', ids: ['sock', 'scarf', 'hat'] }] })))).toEqual(['sock', 'scarf', 'hat']);
  });

  it('reads trending for the category the subscriber browsed last', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'trending', category: 'profile.last_category' }] }), { trending });
    expect(ids(decision)).toEqual(['hat', null]);
  });

  it('tops up a category list from the overall list, keeping only that category', () => {
    const wide = new Map<string, readonly string[]>([
      ['trending', ['scarf', 'shoe', 'sock', 'boot']],
      ['trending:shoes', ['boot']],
    ]);
    const decision = run(block({ slots: 3, source: [{ from: 'trending', category: 'Shoes' }] }), { trending: wide });
    expect(ids(decision)).toEqual(['boot', 'shoe', null]);
  });

  it('shows what trends in a category even when the catalog files it elsewhere', () => {
    // 'boot' trends under shoes but has no category in the catalog: the category's own list decides.
    const lists = new Map<string, readonly string[]>([
      ['trending', []],
      ['trending:shoes', ['uncategorised']],
    ]);
    const decision = run(block({ slots: 1, source: [{ from: 'trending', category: 'shoes' }] }), {
      trending: lists,
      products: catalog(product({ id: 'uncategorised' })),
    });
    expect(ids(decision)).toEqual(['uncategorised']);
  });

  it('falls back to the overall trending list when the subscriber has no last category', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'trending', category: 'profile.last_category' }] }), {
      trending,
      profile: profileWith({}),
    });
    expect(ids(decision)).toEqual(['scarf', 'sock']);
  });

  it('falls back to the overall trending list for an anonymous open', () => {
    const decision = run(block({ slots: 1, source: [{ from: 'trending', category: 'profile.last_category' }] }), { trending, profile: undefined });
    expect(ids(decision)).toEqual(['scarf']);
  });

  it('matches categories without regard to case', () => {
    const decision = run(block({ slots: 1, source: [{ from: 'trending', category: 'sHoEs' }] }), { trending: new Map([['trending', ['shoe']]]) });
    expect(ids(decision)).toEqual(['shoe']);
  });

  it('shows nothing from trending when there are no trending lists yet', () => {
    expect(run(block({ slots: 2, source: [{ from: 'trending' }] })).slots).toEqual([null, null]);
  });
});

describe('decide: where filters', () => {
  it('leaves out products that are out of stock by default', () => {
    expect(ids(run(block({ slots: 2, source: [{ from: 'products', ids: ['cap', 'hat'] }] })))).toEqual(['hat', null]);
  });

  it('shows out-of-stock products when where.in_stock is false', () => {
    expect(ids(run(block({ slots: 2, source: [{ from: 'products', ids: ['cap', 'hat'], where: { in_stock: false } }] })))).toEqual(['cap', 'hat']);
  });

  it('keeps the in-stock default when where names other filters', () => {
    expect(ids(run(block({ slots: 2, source: [{ from: 'products', ids: ['cap', 'hat'], where: { category: 'Hats' } }] })))).toEqual(['hat', null]);
  });

  it('filters by category, ignoring case and leaving out products with none', () => {
    const decision = run(block({ slots: 3, source: [{ from: 'products', ids: ['scarf', 'shoe', 'hat', 'boot'], where: { category: 'shoes' } }] }));
    expect(ids(decision)).toEqual(['shoe', 'boot', null]);
  });

  it('filters to products on sale, or not on sale', () => {
    const all = ['shoe', 'boot', 'hat'];
    expect(ids(run(block({ slots: 3, source: [{ from: 'products', ids: all, where: { on_sale: true } }] })))).toEqual(['boot', null, null]);
    expect(ids(run(block({ slots: 3, source: [{ from: 'products', ids: all, where: { on_sale: false } }] })))).toEqual(['shoe', 'hat', null]);
  });

  it('does not count a sale price at or above the price as a sale', () => {
    const odd = catalog(product({ id: 'odd', price: 10, sale_price: 12 }));
    const decision = run(block({ slots: 1, source: [{ from: 'products', ids: ['odd'], where: { on_sale: true } }] }), { products: odd });
    expect(decision.slots).toEqual([null]);
  });

  it('filters by the price a shopper pays, sale price included', () => {
    const all = ['shoe', 'boot', 'hat', 'sock'];
    // boot costs 120 but is on sale at 90.
    expect(ids(run(block({ slots: 4, source: [{ from: 'products', ids: all, where: { min_price: 25, max_price: 90 } }] })))).toEqual(['shoe', 'boot', 'hat', null]);
    expect(ids(run(block({ slots: 4, source: [{ from: 'products', ids: all, where: { max_price: 89.99 } }] })))).toEqual(['shoe', 'hat', 'sock', null]);
  });
});

describe('decide: exclude, limit and order', () => {
  it('leaves out purchased products when the source excludes them', () => {
    const decision = run(block({ slots: 3, source: [{ from: 'products', ids: ['boot', 'sock'], exclude: 'purchased' }] }));
    expect(ids(decision)).toEqual(['sock', null, null]);
  });

  it('leaves out products in the cart or viewed when the source excludes them', () => {
    const list = ['shoe', 'hat', 'sock', 'scarf', 'boot'];
    expect(ids(run(block({ slots: 4, source: [{ from: 'products', ids: list, exclude: ['cart'] }] })))).toEqual(['sock', 'scarf', 'boot', null]);
    expect(ids(run(block({ slots: 4, source: [{ from: 'products', ids: list, exclude: ['viewed', 'purchased'] }] })))).toEqual(['hat', null, null, null]);
  });

  it('ignores exclude when there is no profile', () => {
    const decision = run(block({ slots: 1, source: [{ from: 'products', ids: ['boot'], exclude: 'purchased' }] }), { profile: undefined });
    expect(ids(decision)).toEqual(['boot']);
  });

  it('takes at most `limit` products from a source, leaving room for the next', () => {
    const decision = run(
      block({
        slots: 3,
        source: [
          { from: 'recently_viewed', limit: 1 },
          { from: 'products', ids: ['hat', 'scarf'] },
        ],
      }),
    );
    expect(ids(decision)).toEqual(['sock', 'hat', 'scarf']);
  });

  it('fills slots from the sources in the order they are listed', () => {
    const decision = run(block({ slots: 4, source: [{ from: 'cart' }, { from: 'recently_viewed' }, { from: 'purchased' }] }));
    expect(ids(decision)).toEqual(['shoe', 'hat', 'sock', 'scarf']);
    expect(sources(decision)).toEqual(['cart', 'cart', 'recently_viewed', 'recently_viewed']);
  });

  it('never shows a product twice', () => {
    const decision = run(block({ slots: 4, source: [{ from: 'cart' }, { from: 'products', ids: ['hat', 'shoe', 'hat', 'sock'] }] }));
    expect(ids(decision)).toEqual(['shoe', 'hat', 'sock', null]);
  });

  it('leaves empty slots as null when the sources run out', () => {
    const decision = run(block({ slots: 4, source: [{ from: 'purchased' }] }));
    expect(decision.slots).toHaveLength(4);
    expect(decision.slots.slice(1)).toEqual([null, null, null]);
  });

  it('skips products that are unavailable right now', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'cart' }, { from: 'products', ids: ['sock'] }] }), { unavailable: new Set(['shoe']) });
    expect(ids(decision)).toEqual(['hat', 'sock']);
  });

  it('skips products missing from the catalog', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'products', ids: ['deleted', 'hat'] }] }));
    expect(ids(decision)).toEqual(['hat', null]);
  });
});

describe('decide: the decision', () => {
  it('is personal when a slot came from the cart, views or purchases', () => {
    expect(run(block({ slots: 1, source: [{ from: 'recently_viewed' }] })).personal).toBe(true);
  });

  it('is not personal when every slot came from shared sources', () => {
    const decision = run(block({ slots: 2, source: [{ from: 'products', ids: ['hat'] }, { from: 'trending' }] }), {
      trending: new Map([['trending', ['sock']]]),
    });
    expect(ids(decision)).toEqual(['hat', 'sock']);
    expect(decision.personal).toBe(false);
  });

  it('is not personal when a profile source offered only products that could not be shown', () => {
    const decision = run(
      block({
        slots: 1,
        source: [
          { from: 'cart', where: { category: 'Socks' } },
          { from: 'products', ids: ['scarf'] },
        ],
      }),
    );
    expect(ids(decision)).toEqual(['scarf']);
    expect(decision.personal).toBe(false);
  });

  it('carries what a slot shows at open time, and the block id and version', () => {
    const decision = decide({
      block: block({ id: 'promo', slots: 1, source: [{ from: 'products', ids: ['boot'] }] }),
      blockVersion: 7,
      profile: undefined,
      products,
      trending: new Map(),
    });
    expect(decision.blockId).toBe('promo');
    expect(decision.blockVersion).toBe(7);
    expect(decision.slots[0]).toEqual({
      id: 'boot',
      title: 'Product boot',
      price: 120,
      sale_price: 90,
      currency: 'USD',
      url: 'https://shop.example.com/p/boot',
      image_url: 'https://cdn.example.com/boot.jpg',
      source: 'products',
    });
  });

  it('leaves out sale_price for a product without one', () => {
    const decision = run(block({ slots: 1, source: [{ from: 'products', ids: ['hat'] }] }));
    expect(decision.slots[0]).not.toHaveProperty('sale_price');
  });

  it('gives the same decision for the same inputs', () => {
    const config = block({ slots: 3, source: [{ from: 'cart' }, { from: 'trending', category: 'profile.last_category' }] });
    const trending = new Map<string, readonly string[]>([['trending', ['scarf', 'sock']]]);
    expect(JSON.stringify(run(config, { trending }))).toBe(JSON.stringify(run(config, { trending })));
  });
});

describe('candidateIds', () => {
  it('lists every product a block could show, once, in source order', () => {
    const config = block({ slots: 3, source: [{ from: 'cart' }, { from: 'recently_viewed' }, { from: 'products', ids: ['hat', 'x'] }] });
    expect(candidateIds(config, shopper, new Map())).toEqual(['shoe', 'hat', 'sock', 'scarf', 'x']);
  });

  it('includes the category and overall trending lists', () => {
    const config = block({ source: [{ from: 'trending', category: 'profile.last_category' }] });
    const trending = new Map<string, readonly string[]>([
      ['trending', ['a', 'b']],
      ['trending:hats', ['h']],
    ]);
    expect(candidateIds(config, shopper, trending)).toEqual(['h', 'a', 'b']);
  });

  it('reads at most 50 candidates from one source', () => {
    const many = Array.from({ length: 80 }, (_, i) => `p${i}`);
    const config = block({ source: [{ from: 'products', ids: many }] });
    expect(candidateIds(config, undefined, new Map())).toHaveLength(50);
  });

  it('has no profile candidates for an anonymous open', () => {
    expect(candidateIds(block({ source: [{ from: 'cart' }, { from: 'purchased' }] }), undefined, new Map())).toEqual([]);
  });
});

describe('trendingScopes', () => {
  it('reads the overall scope and the category scope, lower-cased', () => {
    const config = block({ source: [{ from: 'trending', category: 'Shoes' }, { from: 'bestsellers' }] });
    expect(trendingScopes(config, shopper)).toEqual(['trending', 'trending:shoes', 'bestsellers']);
  });

  it('resolves profile.last_category to the category the subscriber browsed last', () => {
    const config = block({ source: [{ from: 'bestsellers', category: 'profile.last_category' }] });
    expect(trendingScopes(config, shopper)).toEqual(['bestsellers', 'bestsellers:hats']);
    expect(trendingScopes(config, undefined)).toEqual(['bestsellers']);
  });

  it('reads no scopes for a block without trending sources', () => {
    expect(trendingScopes(block({ source: [{ from: 'cart' }, { from: 'products', ids: ['a'] }] }), shopper)).toEqual([]);
  });

  it('reads each scope once', () => {
    const config = block({ source: [{ from: 'trending' }, { from: 'trending', category: 'hats' }, { from: 'trending', category: 'profile.last_category' }] });
    expect(trendingScopes(config, shopper)).toEqual(['trending', 'trending:hats']);
  });
});
