import type { BlockInput } from '../../src/core/blocks/schema.ts';
import type { BlockKind } from '../../src/core/kinds/registry.ts';
import type { PhotoColor } from './photo-colors.ts';

/**
 * The catalog and block the route tests use on Node and inside workerd
 * (portable): six products with flat-colour photos, two per category, from
 * wherever that runtime's tests serve photos.
 */
export function catalogWithPhotos(photoUrl: (color: PhotoColor) => string) {
  const product = (id: PhotoColor, category: string, price: number, extra: object = {}) => ({
    id: `p-${id}`,
    title: `The ${id[0]?.toUpperCase()}${id.slice(1)} One`,
    price,
    currency: 'USD',
    url: `https://shop.example.com/products/${id}`,
    image_url: photoUrl(id),
    category,
    in_stock: true,
    ...extra,
  });
  return [
    product('red', 'shoes', 80),
    product('green', 'shoes', 60, { sale_price: 45 }),
    product('blue', 'bags', 120),
    product('orange', 'bags', 90),
    product('purple', 'home', 30),
    product('teal', 'home', 25),
  ];
}

/** A three-slot product grid: cart, then recently viewed, then trending, then fixed products. */
export function testBlock(overrides: Partial<BlockInput> = {}): BlockInput {
  return {
    id: 'grid',
    template: 'product-grid',
    size: { width: 600, height: 300 },
    slots: 3,
    source: [
      { from: 'cart' },
      { from: 'recently_viewed', exclude: 'purchased' },
      { from: 'trending', exclude: 'purchased' },
      { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] },
    ],
    params: { headline: 'Still thinking about these?' },
    link: { utm: { utm_source: 'email', utm_campaign: 'cart' } },
    fallback: { url: 'https://shop.example.com/' },
    ...overrides,
  };
}

/**
 * One block of each kind, for the tests that hold every kind to the same
 * rules (the kind registry's, the open pipeline's): typed by the schema's
 * kinds, so the compiler asks for one more here when a kind is added.
 */
export const BLOCK_OF_EVERY_KIND: Record<BlockKind, BlockInput> = {
  'product-grid': testBlock({ id: 'grid' }),
  hero: {
    id: 'hero',
    kind: 'hero',
    size: { width: 600, height: 300 },
    fallback: { url: 'https://shop.example.com/' },
    default: { id: 'everyone', headline: 'New this week', url: 'https://shop.example.com/new', background: { color: '#114477' } },
  } as BlockInput,
  countdown: {
    id: 'timer',
    kind: 'countdown',
    size: { width: 600, height: 150 },
    // Three days after the test clock's start (test/helpers/app.ts START, 2026-06-01T12:00:00Z).
    deadline: '2026-06-04T12:00:00.000Z',
    url: 'https://shop.example.com/sale',
    params: { headline: 'The sale ends in' },
    fallback: { url: 'https://shop.example.com/' },
  } as BlockInput,
  banner: {
    id: 'strip',
    kind: 'banner',
    size: { width: 600, height: 120 },
    url: 'https://shop.example.com/sale',
    params: { headline: 'Free shipping this weekend', subline: 'On every order over $50' },
    fallback: { url: 'https://shop.example.com/' },
  } as BlockInput,
};
