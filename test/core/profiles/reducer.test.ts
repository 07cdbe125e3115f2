import { describe, expect, it } from 'vitest';
import { PROFILE_LIMITS, type Profile } from '../../../src/core/profiles/profile.ts';
import { reduceProfile } from '../../../src/core/profiles/reducer.ts';
import {
  T0,
  added,
  at,
  cartOf,
  cartViewed,
  checkoutStarted,
  clicked,
  deliver,
  idsOf,
  identifyEvent,
  listViewed,
  orderCompleted,
  permutations,
  profileWith,
  removed,
  searched,
  trackEvent,
  viewed,
} from '../fixtures.ts';

describe('reduceProfile: starting out', () => {
  it('starts a new profile at the time of its earliest event', () => {
    const profile = reduceProfile(undefined, [viewed('b', at(5)), viewed('a', at(2))]);
    expect(profile.firstSeen).toBe(at(2));
    expect(profile.lastSeen).toBe(at(5));
  });

  it('returns the same profile when there are no events', () => {
    const profile = profileWith({ viewed: [{ id: 'a', at: T0 }] });
    expect(reduceProfile(profile, [])).toBe(profile);
  });

  it('widens firstSeen and lastSeen to cover late and early events', () => {
    const profile = reduceProfile(profileWith({}, at(10)), [viewed('a', at(3)), viewed('b', at(20))]);
    expect(profile.firstSeen).toBe(at(3));
    expect(profile.lastSeen).toBe(at(20));
  });

  it('ignores page, screen, group and alias events except for seen times', () => {
    const page = trackEvent('Product Viewed', { product_id: 'a' }, at(4), { type: 'page' });
    const alias = trackEvent('Product Added', { product_id: 'b' }, at(5), { type: 'alias' });
    const profile = reduceProfile(profileWith(), [page, alias]);
    expect(profile.viewed).toEqual([]);
    expect(profile.cart).toEqual([]);
    expect(profile.lastEventAt).toEqual({});
    expect(profile.lastSeen).toBe(at(5));
  });
});

describe('reduceProfile: viewing', () => {
  it('records viewed products newest first, one entry per product', () => {
    const profile = reduceProfile(undefined, [viewed('a', at(1)), viewed('b', at(2)), viewed('a', at(3))]);
    expect(profile.viewed).toEqual([
      { id: 'a', at: at(3) },
      { id: 'b', at: at(2) },
    ]);
  });

  it('counts Product Clicked as a view', () => {
    const profile = reduceProfile(undefined, [clicked('a', at(1))]);
    expect(idsOf(profile.viewed)).toEqual(['a']);
  });

  it('keeps at most PROFILE_LIMITS.viewed products, dropping the oldest views', () => {
    const events = Array.from({ length: PROFILE_LIMITS.viewed + 10 }, (_, i) => viewed(`p${i}`, at(i)));
    const profile = reduceProfile(undefined, events);
    expect(profile.viewed).toHaveLength(50);
    expect(profile.viewed[0]).toEqual({ id: 'p59', at: at(59) });
    expect(idsOf(profile.viewed)).not.toContain('p9');
    expect(idsOf(profile.viewed)).toContain('p10');
  });

  it('finds the product id in product_id, then sku, then id', () => {
    const profile = reduceProfile(undefined, [
      trackEvent('Product Viewed', { sku: 'by-sku' }, at(1)),
      trackEvent('Product Viewed', { id: 'by-id' }, at(2)),
      trackEvent('Product Viewed', { product_id: 'by-product-id', sku: 'ignored', id: 'ignored-too' }, at(3)),
      trackEvent('Product Viewed', { product_id: 42 }, at(4)),
    ]);
    expect(idsOf(profile.viewed)).toEqual(['42', 'by-product-id', 'by-id', 'by-sku']);
  });

  it('keeps nothing but the seen time from a view with no usable product id (the answer calls it ignored)', () => {
    const profile = reduceProfile(profileWith({}, at(0)), [trackEvent('Product Viewed', { product_id: '  ', name: 'Shoe' }, at(1))]);
    expect(profile.viewed).toEqual([]);
    expect(profile.lastEventAt).toEqual({});
    expect(profile.lastSeen).toBe(at(1));
  });

  it('remembers the category of the viewed product as the last category', () => {
    const profile = reduceProfile(undefined, [viewed('a', at(1), { category: ' Shoes ' })]);
    expect(profile.lastCategory).toEqual({ name: 'Shoes', at: at(1) });
  });

  it('does not let a late view push back a more recent view of the same product', () => {
    const profile = deliver([viewed('a', at(10)), viewed('b', at(5)), viewed('a', at(1))]);
    expect(profile.viewed).toEqual([
      { id: 'a', at: at(10) },
      { id: 'b', at: at(5) },
    ]);
  });
});

describe('reduceProfile: lenient event names', () => {
  it.each(['product_viewed', 'product viewed', 'PRODUCT VIEWED', '  Product_Viewed  ', 'product__viewed'])('treats %j as Product Viewed', (name) => {
    const profile = reduceProfile(undefined, [trackEvent(name, { product_id: 'a' }, at(1))]);
    expect(idsOf(profile.viewed)).toEqual(['a']);
  });

  it('treats order_completed and product_added like their Segment names', () => {
    const profile = reduceProfile(undefined, [trackEvent('product_added', { product_id: 'a' }, at(1)), trackEvent('order_completed', { products: [{ product_id: 'a' }] }, at(2))]);
    expect(profile.cart).toEqual([]);
    expect(idsOf(profile.purchased)).toEqual(['a']);
    expect(profile.orders).toBe(1);
  });

  it('does not guess at names that are not e-commerce events', () => {
    const profile = reduceProfile(undefined, [trackEvent('Product Viewed Twice', { product_id: 'a' }, at(1))]);
    expect(profile.viewed).toEqual([]);
  });
});

describe('reduceProfile: cart', () => {
  it('adds products to the cart, most recent first', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), added('b', at(2), { quantity: 2 })]);
    expect(cartOf(profile)).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('adds quantities when the same product is added again', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 2 }), added('a', at(2), { quantity: 3 })]);
    expect(profile.cart).toEqual([{ id: 'a', quantity: 5, at: at(2) }]);
  });

  it('reads quantities given as strings and treats missing or invalid ones as 1', () => {
    const profile = reduceProfile(undefined, [
      added('a', at(1), { quantity: '3' }),
      added('b', at(2), { quantity: 0 }),
      added('c', at(3), { quantity: 'many' }),
      added('d', at(4), { quantity: 2.7 }),
    ]);
    expect(Object.fromEntries(cartOf(profile))).toEqual({ a: 3, b: 1, c: 1, d: 2 });
  });

  it('caps a cart line at 999 items', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 5000 }), added('a', at(2), { quantity: 10 })]);
    expect(profile.cart[0]?.quantity).toBe(999);
  });

  it('keeps at most PROFILE_LIMITS.cart lines', () => {
    const events = Array.from({ length: PROFILE_LIMITS.cart + 5 }, (_, i) => added(`p${i}`, at(i)));
    const profile = reduceProfile(undefined, events);
    expect(profile.cart).toHaveLength(50);
    expect(profile.cart[0]?.id).toBe('p54');
    expect(idsOf(profile.cart)).not.toContain('p4');
  });

  it('sets the last category from an added product', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { category: 'Hats' })]);
    expect(profile.lastCategory).toEqual({ name: 'Hats', at: at(1) });
  });

  it('removes the whole line when Product Removed has no quantity', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 3 }), added('b', at(2)), removed('a', at(3))]);
    expect(cartOf(profile)).toEqual([['b', 1]]);
  });

  it('takes away only the given quantity when Product Removed has one', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 3 }), removed('a', at(2), 1)]);
    expect(cartOf(profile)).toEqual([['a', 2]]);
  });

  it('removes the line when the removed quantity is at least what is in the cart', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 2 }), removed('a', at(2), 5)]);
    expect(profile.cart).toEqual([]);
  });

  it('reads a removed quantity given as a string', () => {
    const profile = reduceProfile(undefined, [added('a', at(1), { quantity: 4 }), trackEvent('Product Removed', { product_id: 'a', quantity: '3' }, at(2))]);
    expect(cartOf(profile)).toEqual([['a', 1]]);
  });

  it('keeps a line that was added again after the removal', () => {
    const profile = deliver([added('a', at(5)), removed('a', at(3))]);
    expect(cartOf(profile)).toEqual([['a', 1]]);
  });

  it('remembers at most PROFILE_LIMITS.cartRemovals removals', () => {
    const events = Array.from({ length: 30 }, (_, i) => removed(`p${i}`, at(i)));
    const profile = reduceProfile(undefined, events);
    expect(profile.cartRemovals).toHaveLength(PROFILE_LIMITS.cartRemovals);
    expect(profile.cartRemovals[0]).toEqual({ id: 'p29', at: at(29) });
  });
});

describe('reduceProfile: cart snapshots (Cart Viewed, Checkout Started)', () => {
  it('replaces the cart with the products of a Cart Viewed', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), added('b', at(2)), cartViewed([{ id: 'b', quantity: 2 }, 'c'], at(3))]);
    expect(Object.fromEntries(cartOf(profile))).toEqual({ b: 2, c: 1 });
    expect(profile.cartSnapshotAt).toBe(at(3));
  });

  it('replaces the cart with the products of a Checkout Started', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), checkoutStarted(['z'], at(2))]);
    expect(cartOf(profile)).toEqual([['z', 1]]);
    expect(profile.lastEventAt['Checkout Started']).toBe(at(2));
  });

  it('records checkout_started under the same name as Checkout Started', () => {
    const profile = reduceProfile(undefined, [trackEvent('checkout_started', { products: [] }, at(4))]);
    expect(profile.lastEventAt).toEqual({ 'Checkout Started': at(4) });
  });

  it('empties the cart on a snapshot with no products', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), cartViewed([], at(2))]);
    expect(profile.cart).toEqual([]);
  });

  it('leaves the cart alone when a Cart Viewed carries no products list', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), trackEvent('Cart Viewed', { cart_id: 'c1' }, at(2))]);
    expect(cartOf(profile)).toEqual([['a', 1]]);
    expect(profile.cartSnapshotAt).toBeUndefined();
  });

  it('keeps lines changed after the snapshot was taken', () => {
    const profile = deliver([added('late', at(5)), cartViewed(['x'], at(3))]);
    expect(idsOf(profile.cart)).toEqual(['late', 'x']);
  });

  it('ignores a snapshot older than the one already applied', () => {
    const profile = deliver([cartViewed(['new'], at(5)), cartViewed(['old'], at(2))]);
    expect(idsOf(profile.cart)).toEqual(['new']);
    expect(profile.cartSnapshotAt).toBe(at(5));
  });

  it('does not bring back a product removed after the snapshot', () => {
    const profile = deliver([removed('a', at(5)), cartViewed(['a', 'b'], at(3))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });

  it('does not bring back a product bought after the snapshot', () => {
    const profile = deliver([orderCompleted(['a'], at(5)), checkoutStarted(['a', 'b'], at(3))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });
});

describe('reduceProfile: orders', () => {
  it('removes bought items from the cart', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), added('b', at(2)), orderCompleted(['a'], at(3))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });

  it('records purchases with their order id, newest first', () => {
    const profile = reduceProfile(undefined, [orderCompleted(['a'], at(1), 'o-1'), orderCompleted(['b'], at(2), 1234)]);
    expect(profile.purchased).toEqual([
      { id: 'b', at: at(2), orderId: '1234' },
      { id: 'a', at: at(1), orderId: 'o-1' },
    ]);
    expect(profile.orders).toBe(2);
  });

  it('keeps only the latest purchase of a product bought twice', () => {
    const profile = reduceProfile(undefined, [orderCompleted(['a'], at(1), 'o-1'), orderCompleted(['a'], at(2), 'o-2')]);
    expect(profile.purchased).toEqual([{ id: 'a', at: at(2), orderId: 'o-2' }]);
  });

  it('records a purchase without an order id', () => {
    const profile = reduceProfile(undefined, [trackEvent('Order Completed', { products: [{ sku: 'a' }] }, at(1))]);
    expect(profile.purchased).toEqual([{ id: 'a', at: at(1) }]);
  });

  it('counts an order without products but changes neither cart nor purchases', () => {
    const profile = reduceProfile(undefined, [added('a', at(1)), trackEvent('Order Completed', { order_id: 'o', total: 10 }, at(2))]);
    expect(profile.orders).toBe(1);
    expect(idsOf(profile.cart)).toEqual(['a']);
    expect(profile.purchased).toEqual([]);
  });

  it('keeps an item in the cart that was added again after the order', () => {
    const profile = deliver([added('a', at(5)), orderCompleted(['a'], at(3))]);
    expect(idsOf(profile.cart)).toEqual(['a']);
    expect(idsOf(profile.purchased)).toEqual(['a']);
  });

  it('keeps at most PROFILE_LIMITS.purchased purchases', () => {
    const products = Array.from({ length: 100 }, (_, i) => `p${i}`);
    const profile = reduceProfile(undefined, [orderCompleted(products.slice(0, 60), at(1)), orderCompleted(products.slice(60).concat(['x', 'y', 'z']), at(2))]);
    expect(profile.purchased).toHaveLength(PROFILE_LIMITS.purchased);
    expect(idsOf(profile.purchased)).toContain('z');
  });

  it('skips malformed entries in the products list', () => {
    const profile = reduceProfile(undefined, [trackEvent('Order Completed', { products: ['a', null, { name: 'no id' }, { product_id: 'ok' }] }, at(1))]);
    expect(idsOf(profile.purchased)).toEqual(['ok']);
  });
});

describe('reduceProfile: searches and categories', () => {
  it('records searches newest first, trimmed, one entry per query', () => {
    const profile = reduceProfile(undefined, [searched(' red shoes ', at(1)), searched('hats', at(2)), searched('red shoes', at(3))]);
    expect(profile.searches).toEqual([
      { query: 'red shoes', at: at(3) },
      { query: 'hats', at: at(2) },
    ]);
  });

  it('ignores empty searches', () => {
    const profile = reduceProfile(undefined, [searched('   ', at(1)), trackEvent('Products Searched', { query: 7 }, at(2))]);
    expect(profile.searches).toEqual([]);
  });

  it('keeps at most PROFILE_LIMITS.searches searches, each at most PROFILE_LIMITS.queryChars long', () => {
    const events = Array.from({ length: 15 }, (_, i) => searched(`q${i}`, at(i)));
    events.push(searched('x'.repeat(500), at(100)));
    const profile = reduceProfile(undefined, events);
    expect(profile.searches).toHaveLength(PROFILE_LIMITS.searches);
    expect(profile.searches[0]?.query).toHaveLength(PROFILE_LIMITS.queryChars);
  });

  it('keeps the latest time of a repeated search when the older one arrives late', () => {
    const profile = deliver([searched('boots', at(10)), searched('hats', at(5)), searched('boots', at(1))]);
    expect(profile.searches).toEqual([
      { query: 'boots', at: at(10) },
      { query: 'hats', at: at(5) },
    ]);
  });

  it('takes the last category from Product List Viewed and Product List Filtered', () => {
    const viewedList = reduceProfile(undefined, [listViewed('Shoes', at(1))]);
    expect(viewedList.lastCategory).toEqual({ name: 'Shoes', at: at(1) });
    const filtered = reduceProfile(viewedList, [trackEvent('Product List Filtered', { category: 'Boots' }, at(2))]);
    expect(filtered.lastCategory).toEqual({ name: 'Boots', at: at(2) });
  });

  it('keeps the most recent category when an older list view arrives late', () => {
    const profile = deliver([listViewed('Boots', at(5)), listViewed('Shoes', at(1))]);
    expect(profile.lastCategory?.name).toBe('Boots');
  });

  it('ignores a product list without a category', () => {
    const profile = reduceProfile(undefined, [listViewed('Shoes', at(1)), trackEvent('Product List Viewed', { list_id: 'x', category: ' ' }, at(2))]);
    expect(profile.lastCategory?.name).toBe('Shoes');
  });

  it('sets the last category from the bought products', () => {
    const profile = reduceProfile(undefined, [orderCompleted([{ id: 'a', category: 'Socks' }], at(1))]);
    expect(profile.lastCategory).toEqual({ name: 'Socks', at: at(1) });
  });
});

describe('reduceProfile: event times', () => {
  it('records the last time of each track event by its name', () => {
    const profile = reduceProfile(undefined, [trackEvent('Checkout Started', {}, at(1)), trackEvent('Signed Up', {}, at(2)), trackEvent('Checkout Started', {}, at(3))]);
    expect(profile.lastEventAt).toEqual({ 'Checkout Started': at(3), 'Signed Up': at(2) });
  });

  it('does not move an event time backwards when an older event arrives late', () => {
    const profile = deliver([trackEvent('Signed Up', {}, at(9)), trackEvent('Signed Up', {}, at(2))]);
    expect(profile.lastEventAt['Signed Up']).toBe(at(9));
  });

  it('keeps at most PROFILE_LIMITS.eventNames names, forgetting the one seen longest ago', () => {
    const events = Array.from({ length: PROFILE_LIMITS.eventNames + 3 }, (_, i) => trackEvent(`Event ${i}`, {}, at(i)));
    const profile = reduceProfile(undefined, events);
    const names = Object.keys(profile.lastEventAt);
    expect(names).toHaveLength(PROFILE_LIMITS.eventNames);
    expect(names).not.toContain('Event 0');
    expect(names).not.toContain('Event 2');
    expect(names).toContain('Event 52');
  });

  it('does not record identify as a track event', () => {
    const profile = reduceProfile(undefined, [identifyEvent({ plan: 'pro' }, at(1))]);
    expect(profile.lastEventAt).toEqual({});
  });
});

describe('reduceProfile: identify traits', () => {
  it('keeps traits from identify, the newest value winning', () => {
    const profile = reduceProfile(undefined, [identifyEvent({ plan: 'free', vip: false }, at(1)), identifyEvent({ plan: 'pro', score: 3, nickname: null }, at(2))]);
    expect(profile.traits).toEqual({ plan: 'pro', vip: false, score: 3, nickname: null });
  });

  it.each(['email', 'phone', 'address', 'birthday', 'password', 'ip', 'lastName', 'last_name', 'lastname'])('drops the contact trait %j', (key) => {
    const profile = reduceProfile(undefined, [identifyEvent({ [key]: 'secret value', plan: 'pro' }, at(1))]);
    expect(profile.traits).toEqual({ plan: 'pro' });
  });

  it('drops contact traits whatever their spelling (Email, PHONE, phone_number)', () => {
    const profile = reduceProfile(undefined, [identifyEvent({ Email: 'anna@example.com', PHONE: '+15551234', phone_number: '+15551234', plan: 'pro' }, at(1))]);
    expect(profile.traits).toEqual({ plan: 'pro' });
    expect(JSON.stringify(profile)).not.toContain('anna@example.com');
  });

  it('drops traits that are objects, arrays or not finite numbers', () => {
    const profile = reduceProfile(undefined, [identifyEvent({ company: { name: 'x' }, tags: ['a'], ratio: Number.NaN, plan: 'pro' }, at(1))]);
    expect(profile.traits).toEqual({ plan: 'pro' });
  });

  it('cuts long trait values and skips long trait names', () => {
    const profile = reduceProfile(undefined, [identifyEvent({ bio: 'x'.repeat(1000), ['k'.repeat(101)]: 'v' }, at(1))]);
    expect(profile.traits.bio).toHaveLength(PROFILE_LIMITS.traitChars);
    expect(Object.keys(profile.traits)).toEqual(['bio']);
  });

  it('keeps at most PROFILE_LIMITS.traits traits, still updating known ones', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, i]));
    const first = reduceProfile(undefined, [identifyEvent(many, at(1))]);
    expect(Object.keys(first.traits)).toHaveLength(PROFILE_LIMITS.traits);
    const second = reduceProfile(first, [identifyEvent({ t0: 'updated', brand_new: true }, at(2))]);
    expect(second.traits.t0).toBe('updated');
    expect(second.traits).not.toHaveProperty('brand_new');
    expect(Object.keys(second.traits)).toHaveLength(PROFILE_LIMITS.traits);
  });
});

describe('reduceProfile: events delivered out of order', () => {
  it('sorts the events of one batch by time before applying them', () => {
    const profile = reduceProfile(undefined, [removed('a', at(3)), added('a', at(1)), added('b', at(2))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });

  it('does not bring back an item when its add arrives after a later removal', () => {
    const profile = deliver([added('b', at(1)), removed('a', at(3)), added('a', at(2))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });

  it('does not bring back an item when its add arrives after a later purchase', () => {
    const profile = deliver([orderCompleted(['a'], at(3)), added('a', at(2))]);
    expect(profile.cart).toEqual([]);
  });

  it('does not bring back an item when its add arrives after a later cart snapshot', () => {
    const profile = deliver([cartViewed(['b'], at(3)), added('a', at(2))]);
    expect(idsOf(profile.cart)).toEqual(['b']);
  });

  it('keeps an add that happened after the removal even when the removal arrives last', () => {
    const profile = deliver([added('a', at(4)), removed('a', at(3))]);
    expect(idsOf(profile.cart)).toEqual(['a']);
  });

  const scenarios: Array<[string, ReturnType<typeof added>[]]> = [
    ['add, remove, add another', [added('a', at(1)), removed('a', at(2)), added('b', at(3), { quantity: 2 })]],
    ['remove before ever adding, then add', [removed('a', at(1)), added('a', at(2)), viewed('a', at(3))]],
    ['add, snapshot, later add, purchase', [added('a', at(1)), cartViewed(['b', 'c'], at(2)), added('d', at(3)), orderCompleted(['b'], at(4))]],
    [
      'views, list view, search, checkout, order',
      [viewed('a', at(1), { category: 'Shoes' }), listViewed('Hats', at(2)), searched('boots', at(3)), checkoutStarted(['a', 'x'], at(4)), orderCompleted(['a'], at(5))],
    ],
    ['two items, one bought, one removed', [added('a', at(1)), added('b', at(2)), orderCompleted(['a'], at(3)), removed('b', at(4)), added('c', at(5))]],
  ];

  it.each(scenarios)('gives the same profile in every delivery order: %s', (_, events) => {
    const expected = reduceProfile(undefined, events);
    for (const order of permutations(events)) {
      const profile = deliver(order);
      expect({ order: order.map((e) => e.messageId), profile: comparable(profile) }).toEqual({
        order: order.map((e) => e.messageId),
        profile: comparable(expected),
      });
    }
  });
});

describe('reduceProfile: purity', () => {
  it('never mutates its input profile', () => {
    const input = reduceProfile(undefined, [
      viewed('a', at(1), { category: 'Shoes' }),
      added('a', at(2), { quantity: 3 }),
      added('b', at(3)),
      searched('boots', at(4)),
      identifyEvent({ plan: 'free' }, at(5)),
    ]);
    const before = structuredClone(input);
    reduceProfile(input, [
      viewed('c', at(6), { category: 'Hats' }),
      removed('a', at(7), 1),
      removed('b', at(8)),
      cartViewed(['a', 'z'], at(9)),
      orderCompleted(['z'], at(10)),
      searched('hats', at(11)),
      identifyEvent({ plan: 'pro' }, at(12)),
    ]);
    expect(input).toEqual(before);
  });

  it('does not reorder the events array it is given', () => {
    const events = [added('a', at(3)), added('b', at(1))];
    reduceProfile(undefined, events);
    expect(events.map((e) => e.properties.product_id)).toEqual(['a', 'b']);
  });
});

/** The parts of a profile that a block can show; seen times are ordered-independent anyway. */
function comparable(profile: Profile) {
  return {
    cart: [...profile.cart].sort((x, y) => x.id.localeCompare(y.id)),
    viewed: profile.viewed,
    purchased: profile.purchased,
    searches: profile.searches,
    lastCategory: profile.lastCategory,
    lastEventAt: profile.lastEventAt,
    orders: profile.orders,
    firstSeen: profile.firstSeen,
    lastSeen: profile.lastSeen,
  };
}
