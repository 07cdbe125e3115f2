import { describe, expect, it } from 'vitest';
import { heroBlockSchema, type HeroBlock } from '../../../src/core/blocks/hero.ts';
import { productSchema } from '../../../src/core/catalog/product.ts';
import { deviceClass, facts, type Facts } from '../../../src/core/decide/facts.ts';
import { chooseVariant, ruleProblems, splitPoint } from '../../../src/core/decide/hero.ts';
import { emptyProfile, type Profile } from '../../../src/core/profiles/profile.ts';

const NOW = Date.parse('2026-03-06T14:30:00Z'); // a Friday
const DAY = 86_400_000;

const variant = (id: string, extra: object = {}) => ({ id, headline: id, url: `https://shop.example.com/${id}`, ...extra });

function hero(fields: object): HeroBlock {
  return heroBlockSchema.parse({
    id: 'hero',
    kind: 'hero',
    size: { width: 600, height: 300 },
    fallback: { url: 'https://shop.example.com/' },
    default: variant('default'),
    ...fields,
  });
}

const catalog = new Map(
  [
    productSchema.parse({ id: 'boot', title: 'Boot', price: 120, sale_price: 90, url: 'https://s.example.com/b', image_url: 'https://c.example.com/b.png', category: 'Shoes' }),
    productSchema.parse({ id: 'hat', title: 'Hat', price: 20, url: 'https://s.example.com/h', image_url: 'https://c.example.com/h.png', category: 'Hats' }),
  ].map((p) => [p.id, p]),
);

function shopper(fields: Partial<Profile>): Profile {
  return { ...emptyProfile(NOW - 10 * DAY), ...fields };
}

const context = (extra: Partial<Parameters<typeof facts>[2]> = {}) => ({ now: NOW, timezone: 'UTC', params: {}, ...extra });

describe('facts for hero rules', () => {
  it('prices the cart from the catalog, names purchased categories and counts days', () => {
    const data = facts(
      shopper({
        cart: [{ id: 'boot', quantity: 2, at: NOW - DAY }],
        purchased: [{ id: 'hat', at: NOW - 3 * DAY }],
        lastSeen: NOW - 2 * DAY,
        lastCategory: { name: 'Shoes', at: NOW - DAY },
        traits: { tier: 'gold' },
      }),
      catalog,
      context(),
    );
    expect(data.profile).toMatchObject({
      known: true,
      cart_count: 2,
      cart_value: 180,
      purchased_categories: ['hats'],
      days_since_last_visit: 2,
      days_since_last_purchase: 3,
      last_category: 'shoes',
      traits: { tier: 'gold' },
    });
  });

  it('gives the local time of the open in the time zone asked for', () => {
    expect(facts(undefined, catalog, context({ timezone: 'America/New_York' })).open).toMatchObject({ hour: 9, minute: 30, weekday: 'fri', date: '2026-03-06', time: '09:30' });
    expect(facts(undefined, catalog, context({ timezone: 'Asia/Tokyo' })).open).toMatchObject({ hour: 23, weekday: 'fri' });
    expect(facts(undefined, catalog, context({ timezone: 'Not/AZone' })).open.timezone).toBe('UTC');
  });

  it('tells mobiles, tablets and desktops apart, and admits it cannot behind image proxies', () => {
    expect(deviceClass('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148')).toBe('mobile');
    expect(deviceClass('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36')).toBe('mobile');
    expect(deviceClass('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)')).toBe('tablet');
    expect(deviceClass('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130')).toBe('desktop');
    expect(deviceClass('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')).toBe('unknown');
    expect(deviceClass('Mozilla/5.0')).toBe('unknown');
    expect(deviceClass(undefined)).toBe('unknown');
  });
});

describe('chooseVariant', () => {
  const block = hero({
    variants: [
      { ...variant('cart'), when: { '>': [{ var: 'profile.cart_value' }, 100] } },
      { ...variant('shoes'), when: { '==': [{ var: 'profile.last_category' }, 'shoes'] } },
      { ...variant('evening'), when: { '>=': [{ var: 'open.hour' }, 18] } },
      { ...variant('vip'), when: { '==': [{ var: 'params.tier' }, 'vip'] } },
      { ...variant('mobile'), when: { '==': [{ var: 'open.device' }, 'mobile'] } },
      { ...variant('lapsed'), when: { '>': [{ var: 'profile.days_since_last_purchase' }, 30] } },
    ],
  });
  const choose = (profile: Profile | undefined, extra: Partial<Parameters<typeof facts>[2]> = {}) =>
    chooseVariant(block, facts(profile, catalog, context(extra)), 'u:x').variant.id;

  it('takes the first rule that matches, in order', () => {
    const both = shopper({ cart: [{ id: 'boot', quantity: 2, at: NOW }], lastCategory: { name: 'Shoes', at: NOW } });
    expect(choose(both)).toBe('cart');
    expect(choose(shopper({ lastCategory: { name: 'Shoes', at: NOW } }))).toBe('shoes');
  });

  it('reads the local time, URL parameters, the device and days since a purchase', () => {
    expect(choose(undefined, { timezone: 'Europe/Berlin' })).toBe('default'); // 15:30 there
    expect(choose(undefined, { timezone: 'Asia/Tokyo' })).toBe('evening'); // 23:30 there
    expect(choose(undefined, { params: { tier: 'vip' } })).toBe('vip');
    expect(choose(undefined, { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148' })).toBe('mobile');
    expect(choose(shopper({ purchased: [{ id: 'hat', at: NOW - 45 * DAY }] }))).toBe('lapsed');
  });

  it('falls back to the default variant when nothing matches', () => {
    expect(chooseVariant(block, facts(undefined, catalog, context()), undefined)).toEqual({ variant: block.default, entry: 'default' });
  });

  it('splits subscribers by a stable hash, near the configured ratio, with a holdout that gets the default', () => {
    const split = hero({
      variants: [
        {
          id: 'spring',
          split: {
            holdout: 10,
            arms: [
              { ...variant('a'), weight: 3 },
              { ...variant('b'), weight: 1 },
            ],
          },
        },
      ],
    });
    const data: Facts = facts(undefined, catalog, context());
    const counts: Record<string, number> = { a: 0, b: 0, holdout: 0 };
    for (let i = 0; i < 10_000; i++) {
      const choice = chooseVariant(split, data, `u:subscriber-${i}`);
      counts[choice.arm as string] = (counts[choice.arm as string] ?? 0) + 1;
      if (choice.arm === 'holdout') expect(choice.variant.id).toBe('default');
      expect(chooseVariant(split, data, `u:subscriber-${i}`).arm).toBe(choice.arm);
    }
    // 10% holdout, then 3:1 → 67.5% and 22.5%.
    expect((counts.holdout as number) / 10_000).toBeCloseTo(0.1, 1);
    expect(Math.abs((counts.a as number) / 10_000 - 0.675)).toBeLessThan(0.02);
    expect(Math.abs((counts.b as number) / 10_000 - 0.225)).toBeLessThan(0.02);
  });

  it('puts a subscriber in independent buckets for different blocks', () => {
    const same = Array.from({ length: 200 }, (_, i) => splitPoint(`u:${i}`, 'hero-a') < 0.5 === splitPoint(`u:${i}`, 'hero-b') < 0.5).filter(Boolean).length;
    expect(same).toBeGreaterThan(70);
    expect(same).toBeLessThan(130);
  });

  it('refuses to run code: the method operation does not exist', () => {
    const sneaky = hero({ variants: [{ ...variant('x'), when: { method: ['', 'constructor'] } }] });
    expect(ruleProblems(sneaky, facts(undefined, catalog, context()))).toEqual([{ path: 'variants[0].when', message: expect.stringContaining('Unrecognized operation method') }]);
  });
});
