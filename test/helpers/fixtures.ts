import type { BlockInput } from '../../src/core/blocks/schema.ts';
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
