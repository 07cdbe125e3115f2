import { describe, expect, it } from 'vitest';
import { productGridBlockSchema, blockSchema, type BlockInput } from '../../../src/core/blocks/schema.ts';
import { problemsFrom, type Problem } from '../../../src/core/shared/validation.ts';

/** The product-grid schema, through the same kind defaulting as blockSchema. */
const gridSchema = { parse: (input: object) => productGridBlockSchema.parse(blockSchema.parse(input)) };

const minimal = {
  id: 'cart-reminder',
  size: { width: 600, height: 300 },
  slots: 3,
  source: [{ from: 'cart' }],
  fallback: { url: 'https://shop.example.com/' },
} satisfies BlockInput;

function problems(input: unknown): Problem[] {
  const result = blockSchema.safeParse(input);
  if (result.success) throw new Error('expected the block to be invalid');
  return problemsFrom(result.error);
}

describe('blockSchema: defaults', () => {
  it('fills in kind, template, params and link', () => {
    const block = gridSchema.parse(minimal);
    expect(block.kind).toBe('product-grid');
    expect(block.template).toBe('product-grid');
    expect(block.params).toEqual({
      headline: 'Picked for you',
      cta: '',
      accent: '#d33c3c',
      background: '#ffffff',
      text: '#111111',
      muted: '#6b7280',
      locale: 'en-US',
      show_price: true,
    });
    expect(block.link).toEqual({ utm: {} });
  });

  it('shows only products in stock, excluding nothing, unless a source says otherwise', () => {
    const [source] = gridSchema.parse(minimal).source;
    expect(source?.where).toEqual({ in_stock: true });
    expect(source?.exclude).toEqual([]);
  });

  it('keeps in_stock true when where names only other filters', () => {
    const block = gridSchema.parse({ ...minimal, source: [{ from: 'cart', where: { on_sale: true } }] });
    expect(block.source[0]?.where).toEqual({ in_stock: true, on_sale: true });
  });

  it('fills in the params a block leaves out and keeps the ones it gives', () => {
    const block = gridSchema.parse({ ...minimal, params: { headline: 'Still thinking about these?', accent: '#d33' } });
    expect(block.params.headline).toBe('Still thinking about these?');
    expect(block.params.accent).toBe('#d33');
    expect(block.params.locale).toBe('en-US');
  });

  it('accepts a single exclude as a list of one', () => {
    const block = gridSchema.parse({ ...minimal, source: [{ from: 'recently_viewed', exclude: 'purchased' }] });
    expect(block.source[0]?.exclude).toEqual(['purchased']);
  });

  it('accepts the block from the design document', () => {
    const block = gridSchema.parse({
      $schema: './schema/block.json',
      id: 'cart-reminder',
      template: 'product-grid',
      size: { width: 600, height: 300 },
      slots: 3,
      source: [
        { from: 'cart', where: { in_stock: true } },
        { from: 'recently_viewed', exclude: 'purchased' },
        { from: 'trending', category: 'profile.last_category' },
      ],
      params: { headline: 'Still thinking about these?', accent: '#d33' },
      link: { utm: { utm_source: 'email', utm_campaign: 'cart' } },
      fallback: { image: 'templates/fallback/cart.png', url: 'https://shop.example.com/' },
    });
    expect(block.source.map((s) => s.from)).toEqual(['cart', 'recently_viewed', 'trending']);
    expect(block.link.utm).toEqual({ utm_source: 'email', utm_campaign: 'cart' });
  });
});

describe('blockSchema: problems, each at its JSON path', () => {
  it('lists the sources there are', () => {
    expect(problems({ ...minimal, source: [{ from: 'cart' }, { from: 'wishlist' }] })).toEqual([
      {
        path: 'source[1].from',
        message: 'expected one of cart, recently_viewed, purchased, viewed_together, bought_together, similar, for_you, price_drop, trending, bestsellers, new_arrivals, products',
      },
    ]);
  });

  it('lists what a source can exclude', () => {
    const message = 'expected one of purchased, cart, viewed (or a list of them)';
    expect(problems({ ...minimal, source: [{ from: 'cart', exclude: 'bought' }] })).toEqual([{ path: 'source[0].exclude', message }]);
    expect(problems({ ...minimal, source: [{ from: 'cart', exclude: ['cart', 'bought'] }] })).toEqual([{ path: 'source[0].exclude', message }]);
  });

  it('requires ids for fixed products, and only there', () => {
    expect(problems({ ...minimal, source: [{ from: 'products' }, { from: 'cart', ids: ['a'] }] })).toEqual([
      { path: 'source[0].ids', message: 'is required when from is "products"' },
      { path: 'source[1].ids', message: 'only applies when from is "products"' },
    ]);
  });

  it('allows a source category only for trending, bestsellers and new arrivals', () => {
    expect(problems({ ...minimal, source: [{ from: 'recently_viewed', category: 'Shoes' }] })).toEqual([
      { path: 'source[0].category', message: 'only applies to trending, bestsellers and new_arrivals (use where.category to filter others)' },
    ]);
    expect(blockSchema.safeParse({ ...minimal, source: [{ from: 'new_arrivals', category: 'Shoes' }] }).success).toBe(true);
  });

  it('takes a JSONLogic filter over product fields on any source, and refuses one that is not an object', () => {
    expect(blockSchema.safeParse({ ...minimal, source: [{ from: 'for_you', filter: { '<': [{ var: 'final_price' }, 50] } }] }).success).toBe(true);
    expect(problems({ ...minimal, source: [{ from: 'bought_together', filter: 'cheap' }] })).toEqual([{ path: 'source[0].filter', message: 'expected object, received string' }]);
  });

  it('checks where filters and names unknown ones', () => {
    expect(problems({ ...minimal, source: [{ from: 'cart', where: { in_stock: 'yes', price: 3, min_price: -1 } }] })).toEqual([
      { path: 'source[0].where.in_stock', message: 'expected boolean, received string' },
      { path: 'source[0].where.min_price', message: 'must be at least 0' },
      { path: 'source[0].where', message: 'unknown field "price"' },
    ]);
  });

  it('keeps limit between 1 and the most slots a block can have', () => {
    expect(
      problems({
        ...minimal,
        source: [
          { from: 'cart', limit: 0 },
          { from: 'cart', limit: 5 },
          { from: 'cart', limit: 1.5 },
        ],
      }),
    ).toEqual([
      { path: 'source[0].limit', message: 'must be at least 1' },
      { path: 'source[1].limit', message: 'must be at most 4' },
      { path: 'source[2].limit', message: 'expected int, received number' },
    ]);
  });

  it('needs at least one source and at most ten', () => {
    expect(problems({ ...minimal, source: [] })).toEqual([{ path: 'source', message: 'must have at least 1 item' }]);
    expect(problems({ ...minimal, source: Array.from({ length: 11 }, () => ({ from: 'cart' })) })).toEqual([{ path: 'source', message: 'must have at most 10 items' }]);
  });

  it('explains what a block id may contain', () => {
    for (const id of ['Cart Reminder', '-cart', 'x'.repeat(65), '']) {
      expect(problems({ ...minimal, id })).toEqual([{ path: 'id', message: 'expected lowercase letters, digits, - and _ (at most 64)' }]);
    }
  });

  it('keeps slots and size within what a render can afford', () => {
    expect(problems({ ...minimal, slots: 0, size: { width: 99, height: 1201 } })).toEqual([
      { path: 'size.width', message: 'must be at least 100' },
      { path: 'size.height', message: 'must be at most 1200' },
      { path: 'slots', message: 'must be at least 1' },
    ]);
    expect(problems({ ...minimal, slots: 5 })).toEqual([{ path: 'slots', message: 'must be at most 4' }]);
  });

  it('says which required fields are missing', () => {
    const found = problems({ id: 'grid' });
    expect(found).toHaveLength(4);
    expect(found).toEqual(
      expect.arrayContaining([
        { path: 'size', message: 'is required (expected object)' },
        { path: 'slots', message: 'is required (expected number)' },
        { path: 'source', message: 'is required (expected array)' },
        { path: 'fallback', message: 'is required (expected object)' },
      ]),
    );
  });

  it('explains colours in the words of the schema', () => {
    expect(problems({ ...minimal, params: { accent: 'red' } })).toEqual([{ path: 'params.accent', message: 'expected a hex colour such as #d33 or #dd3333' }]);
  });

  it('names unknown fields at the root and in params', () => {
    expect(problems({ ...minimal, colour: '#fff', params: { colour: '#fff' } })).toEqual([
      { path: 'params', message: 'unknown field "colour"' },
      { path: '(root)', message: 'unknown field "colour"' },
    ]);
  });

  it('only links to http(s) URLs', () => {
    for (const url of ['javascript:alert(1)', 'ftp://shop.example.com/', 'shop.example.com']) {
      expect(problems({ ...minimal, fallback: { url } })).toEqual([{ path: 'fallback.url', message: 'expected an http(s) URL' }]);
    }
  });

  it('checks UTM parameter names', () => {
    expect(problems({ ...minimal, link: { utm: { 'utm source': 'email' } } })).toEqual([{ path: 'link.utm.utm source', message: 'expected a query parameter name' }]);
  });

  it('limits text lengths', () => {
    expect(problems({ ...minimal, params: { headline: 'x'.repeat(121) } })).toEqual([{ path: 'params.headline', message: 'must be at most 120 characters' }]);
  });

  it('does not accept a template name that could not be one', () => {
    expect(problems({ ...minimal, template: 'My Template!' })).toEqual([{ path: 'template', message: 'expected a template name' }]);
  });
});

describe('blockSchema: banner', () => {
  const banner = {
    id: 'free-shipping',
    kind: 'banner',
    size: { width: 600, height: 120 },
    url: 'https://shop.example.com/shipping',
    params: { headline: 'Free shipping this weekend' },
    fallback: { url: 'https://shop.example.com/' },
  } satisfies BlockInput;

  it('accepts a headline and a link, and colours it as a dark strip with light text', () => {
    const block = blockSchema.parse(banner);
    expect(block.kind).toBe('banner');
    expect(block.params).toMatchObject({ headline: 'Free shipping this weekend', subline: '', background: '#1f2937', text: '#ffffff' });
  });

  it('refuses each invalid field at its JSON path', () => {
    const paths = (input: object) => problems(input).map((p) => p.path);
    expect(paths({ ...banner, url: 'javascript:alert(1)' })).toEqual(['url']);
    expect(paths({ ...banner, params: {} })).toEqual(['params.headline']);
    expect(paths({ ...banner, params: { headline: 'x'.repeat(121) } })).toEqual(['params.headline']);
    expect(paths({ ...banner, params: { headline: 'Sale', subline: 'x'.repeat(201) } })).toEqual(['params.subline']);
    expect(paths({ ...banner, params: { headline: 'Sale', background: 'navy' } })).toEqual(['params.background']);
    expect(paths({ ...banner, params: { headline: 'Sale', cta: 'Shop' } })).toEqual(['params']);
    expect(paths({ ...banner, slots: 3 })).toEqual(['(root)']);
  });
});

describe('blockSchema: a hero split', () => {
  const hero = {
    id: 'launch-hero',
    kind: 'hero',
    size: { width: 600, height: 300 },
    default: { id: 'everyone', headline: 'New season', url: 'https://shop.example.com/' },
    fallback: { url: 'https://shop.example.com/' },
  };
  const split = (extra: object) => ({
    ...hero,
    variants: [
      {
        id: 'launch',
        split: {
          arms: [
            { id: 'bold', weight: 1, headline: 'Bold', url: 'https://shop.example.com/bold' },
            { id: 'calm', weight: 1, headline: 'Calm', url: 'https://shop.example.com/calm' },
          ],
          ...extra,
        },
      },
    ],
  });

  it('takes optimize with a goal, and names a bad one inside the split, not the whole entry', () => {
    expect(blockSchema.safeParse(split({ optimize: { goal: 'clicks' } })).success).toBe(true);
    expect(problems(split({ optimize: { goal: 'opens' } }))).toEqual([{ path: 'variants[0].split.optimize.goal', message: 'expected one of clicks, conversions' }]);
    expect(problems(split({ optimize: { goal: 'clicks', floor: 0.9 } }))).toEqual([{ path: 'variants[0].split.optimize.floor', message: 'must be at most 0.5' }]);
    expect(problems(split({ optimize: { goal: 'clicks', speed: 2 } }))).toEqual([{ path: 'variants[0].split.optimize', message: 'unknown field "speed"' }]);
    expect(problems(split({ holdout: 100 })).map((p) => p.path)).toEqual(['variants[0].split.holdout']);
  });
});
