import { describe, expect, it } from 'vitest';
import { mergeProfiles } from '../../../src/core/profiles/merge.ts';
import { PROFILE_LIMITS, type Profile } from '../../../src/core/profiles/profile.ts';
import { at, cartOf, idsOf, profileWith } from '../fixtures.ts';

const anonymous = (partial: Partial<Profile>) => profileWith(partial, at(0));
const known = (partial: Partial<Profile>) => profileWith(partial, at(0));

describe('mergeProfiles', () => {
  it('takes the linked profile as it is when the target has none', () => {
    const from = anonymous({ viewed: [{ id: 'a', at: at(1) }] });
    expect(mergeProfiles(undefined, from)).toBe(from);
  });

  it('unions viewed products, newest first, one entry per product at its latest view', () => {
    const merged = mergeProfiles(
      known({
        viewed: [
          { id: 'a', at: at(5) },
          { id: 'b', at: at(1) },
        ],
      }),
      anonymous({
        viewed: [
          { id: 'c', at: at(3) },
          { id: 'b', at: at(2) },
        ],
      }),
    );
    expect(merged.viewed).toEqual([
      { id: 'a', at: at(5) },
      { id: 'c', at: at(3) },
      { id: 'b', at: at(2) },
    ]);
  });

  it('counts the same item carted on two devices once, with the larger quantity', () => {
    const merged = mergeProfiles(
      known({ cart: [{ id: 'a', quantity: 2, at: at(1) }] }),
      anonymous({
        cart: [
          { id: 'a', quantity: 3, at: at(4) },
          { id: 'b', quantity: 1, at: at(2) },
        ],
      }),
    );
    expect(merged.cart).toEqual([
      { id: 'a', quantity: 3, at: at(4) },
      { id: 'b', quantity: 1, at: at(2) },
    ]);
  });

  it('drops a cart line that the other profile bought after it was carted', () => {
    const merged = mergeProfiles(
      known({ purchased: [{ id: 'a', at: at(5), orderId: 'o-1' }] }),
      anonymous({
        cart: [
          { id: 'a', quantity: 1, at: at(2) },
          { id: 'b', quantity: 1, at: at(3) },
        ],
      }),
    );
    expect(idsOf(merged.cart)).toEqual(['b']);
    expect(merged.purchased).toEqual([{ id: 'a', at: at(5), orderId: 'o-1' }]);
  });

  it('drops a cart line that the other profile removed after it was carted', () => {
    const merged = mergeProfiles(known({ cart: [{ id: 'a', quantity: 1, at: at(1) }] }), anonymous({ cartRemovals: [{ id: 'a', at: at(2) }] }));
    expect(merged.cart).toEqual([]);
    expect(merged.cartRemovals).toEqual([{ id: 'a', at: at(2) }]);
  });

  it('keeps a cart line carted again after the other profile bought or removed it', () => {
    const merged = mergeProfiles(
      known({ purchased: [{ id: 'a', at: at(1) }], cartRemovals: [{ id: 'b', at: at(1) }] }),
      anonymous({
        cart: [
          { id: 'a', quantity: 1, at: at(2) },
          { id: 'b', quantity: 2, at: at(3) },
        ],
      }),
    );
    expect(cartOf(merged)).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('leaves behind contact data that an older version stored in either profile', () => {
    const merged = mergeProfiles(
      known({ traits: { plan: 'pro', first_name: 'Jane' } }),
      anonymous({ traits: { locale: 'de', contact: 'jane@example.com', Phone: '+1 555 010 9999' } }),
    );
    expect(merged.traits).toEqual({ plan: 'pro', locale: 'de' });
  });

  it('lets the target profile win on conflicting traits and keeps the rest', () => {
    const merged = mergeProfiles(known({ traits: { plan: 'pro', vip: true } }), anonymous({ traits: { plan: 'free', locale: 'de' } }));
    expect(merged.traits).toEqual({ plan: 'pro', vip: true, locale: 'de' });
  });

  it('spans both profiles in time and adds up their orders', () => {
    const merged = mergeProfiles({ ...known({ orders: 2 }), firstSeen: at(10), lastSeen: at(20) }, { ...anonymous({ orders: 1 }), firstSeen: at(5), lastSeen: at(15) });
    expect([merged.firstSeen, merged.lastSeen, merged.orders]).toEqual([at(5), at(20), 3]);
  });

  it('keeps the most recent last category from either profile', () => {
    const newerInFrom = mergeProfiles(known({ lastCategory: { name: 'Shoes', at: at(1) } }), anonymous({ lastCategory: { name: 'Hats', at: at(2) } }));
    expect(newerInFrom.lastCategory).toEqual({ name: 'Hats', at: at(2) });
    const onlyInto = mergeProfiles(known({ lastCategory: { name: 'Shoes', at: at(1) } }), anonymous({}));
    expect(onlyInto.lastCategory).toEqual({ name: 'Shoes', at: at(1) });
    expect(mergeProfiles(known({}), anonymous({}))).not.toHaveProperty('lastCategory');
  });

  it('keeps the later cart snapshot time', () => {
    expect(mergeProfiles(known({ cartSnapshotAt: at(3) }), anonymous({ cartSnapshotAt: at(7) })).cartSnapshotAt).toBe(at(7));
    expect(mergeProfiles(known({}), anonymous({ cartSnapshotAt: at(2) })).cartSnapshotAt).toBe(at(2));
    expect(mergeProfiles(known({}), anonymous({}))).not.toHaveProperty('cartSnapshotAt');
  });

  it('keeps the latest time of each event name', () => {
    const merged = mergeProfiles(
      known({ lastEventAt: { 'Checkout Started': at(5), 'Signed Up': at(1) } }),
      anonymous({ lastEventAt: { 'Checkout Started': at(2), 'Cart Viewed': at(3) } }),
    );
    expect(merged.lastEventAt).toEqual({ 'Checkout Started': at(5), 'Signed Up': at(1), 'Cart Viewed': at(3) });
  });

  it('keeps one entry per search query at its latest time', () => {
    const merged = mergeProfiles(
      known({ searches: [{ query: 'boots', at: at(1) }] }),
      anonymous({
        searches: [
          { query: 'hats', at: at(3) },
          { query: 'boots', at: at(2) },
        ],
      }),
    );
    expect(merged.searches).toEqual([
      { query: 'hats', at: at(3) },
      { query: 'boots', at: at(2) },
    ]);
  });

  it('changes no list when the same profile is merged in twice', () => {
    const into = known({
      viewed: [{ id: 'a', at: at(3) }],
      cart: [{ id: 'c', quantity: 2, at: at(4) }],
      purchased: [{ id: 'p', at: at(2) }],
      searches: [{ query: 'q', at: at(1) }],
    });
    const from = anonymous({
      viewed: [{ id: 'b', at: at(5) }],
      cart: [{ id: 'd', quantity: 1, at: at(6) }],
      cartRemovals: [{ id: 'r', at: at(6) }],
      purchased: [{ id: 'p2', at: at(7) }],
      searches: [{ query: 'q2', at: at(8) }],
    });
    const once = mergeProfiles(into, from);
    const twice = mergeProfiles(once, from);
    for (const list of ['viewed', 'cart', 'cartRemovals', 'purchased', 'searches'] as const) {
      expect(twice[list]).toEqual(once[list]);
    }
  });

  it('keeps every list within PROFILE_LIMITS', () => {
    const side = (prefix: string, offset: number) =>
      anonymous({
        viewed: Array.from({ length: 50 }, (_, i) => ({ id: `${prefix}${i}`, at: at(offset + i) })),
        cart: Array.from({ length: 50 }, (_, i) => ({ id: `${prefix}${i}`, quantity: 1, at: at(offset + i) })),
        cartRemovals: Array.from({ length: 20 }, (_, i) => ({ id: `${prefix}r${i}`, at: at(offset + i) })),
        purchased: Array.from({ length: 100 }, (_, i) => ({ id: `${prefix}p${i}`, at: at(offset + i) })),
        searches: Array.from({ length: 10 }, (_, i) => ({ query: `${prefix}${i}`, at: at(offset + i) })),
        lastEventAt: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${prefix} event ${i}`, at(offset + i)])),
        traits: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${prefix}${i}`, i])),
      });
    const merged = mergeProfiles(side('x', 0), side('y', 1000));
    expect(merged.viewed).toHaveLength(PROFILE_LIMITS.viewed);
    expect(merged.cart).toHaveLength(PROFILE_LIMITS.cart);
    expect(merged.cartRemovals).toHaveLength(PROFILE_LIMITS.cartRemovals);
    expect(merged.purchased).toHaveLength(PROFILE_LIMITS.purchased);
    expect(merged.searches).toHaveLength(PROFILE_LIMITS.searches);
    expect(Object.keys(merged.lastEventAt)).toHaveLength(PROFILE_LIMITS.eventNames);
    expect(Object.keys(merged.traits)).toHaveLength(PROFILE_LIMITS.traits);
    // The newest entries survive; the target's own traits survive.
    expect(merged.viewed[0]?.id).toBe('y49');
    expect(merged.lastEventAt).toHaveProperty('y event 49');
    expect(merged.lastEventAt).not.toHaveProperty('x event 0');
    expect(merged.traits).toHaveProperty('x0');
  });

  it('does not mutate either profile', () => {
    const into = known({ viewed: [{ id: 'a', at: at(1) }], cart: [{ id: 'c', quantity: 1, at: at(1) }], lastEventAt: { A: at(1) }, traits: { t: 1 } });
    const from = anonymous({ viewed: [{ id: 'b', at: at(2) }], purchased: [{ id: 'c', at: at(3) }], lastEventAt: { A: at(5) }, traits: { u: 2 } });
    const before = structuredClone([into, from]);
    mergeProfiles(into, from);
    expect([into, from]).toEqual(before);
  });
});
