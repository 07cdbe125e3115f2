import type { BlockInput } from '../core/blocks/schema.ts';
import type { Product } from '../core/catalog/product.ts';

/**
 * The demo shop: eight products whose photos opentime draws itself (no
 * internet needed), a block that shows them, and a crowd whose browsing
 * makes some of them trending.
 */
export interface DemoProduct {
  id: string;
  title: string;
  price: number;
  sale_price?: number;
  category: string;
  /** Background tint and the product's own colour in its photo. */
  tint: string;
  color: string;
  drawing: 'sneaker' | 'bag' | 'mug' | 'sweater' | 'headphones' | 'plant' | 'sunglasses' | 'watch';
}

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  { id: 'trail-runner', title: 'Trail Runner Sneaker', price: 89, sale_price: 69, category: 'shoes', tint: '#fde8e4', color: '#e4573d', drawing: 'sneaker' },
  { id: 'weekender', title: 'Canvas Weekender Bag', price: 120, category: 'bags', tint: '#dff3f1', color: '#1f8a80', drawing: 'bag' },
  { id: 'pour-over-mug', title: 'Ceramic Pour-Over Mug', price: 24, category: 'home', tint: '#fdf3d7', color: '#d99a1e', drawing: 'mug' },
  { id: 'merino-crew', title: 'Merino Crew Sweater', price: 95, category: 'apparel', tint: '#e2e8f5', color: '#2f4b8f', drawing: 'sweater' },
  { id: 'studio-headphones', title: 'Studio Wireless Headphones', price: 149, sale_price: 119, category: 'electronics', tint: '#ece4f7', color: '#6b3fb0', drawing: 'headphones' },
  { id: 'desk-plant', title: 'Desk Plant in Terracotta', price: 32, category: 'home', tint: '#e3f3e1', color: '#3d8b3d', drawing: 'plant' },
  { id: 'aviators', title: 'Aviator Sunglasses', price: 65, category: 'accessories', tint: '#e0f0fb', color: '#1d6fa5', drawing: 'sunglasses' },
  { id: 'field-watch', title: 'Leather Field Watch', price: 210, category: 'accessories', tint: '#f3e9df', color: '#8a5a33', drawing: 'watch' },
];

export const DEMO_BLOCK_ID = 'demo-picks';

/**
 * The attribute that marks a product the demo wrote, so that turning the
 * demo off removes the demo's products and never a shop's own product that
 * happens to have the same id (it replaced the demo's and has no mark).
 */
export const DEMO_MARK = { seeded_by: 'opentime-demo' } as const;

export function demoCatalog(origin: string): Product[] {
  return DEMO_PRODUCTS.map((p) => {
    const product: Product = {
      id: p.id,
      title: p.title,
      price: p.price,
      currency: 'USD',
      url: `${origin}/demo/shop/${p.id}`,
      image_url: `${origin}/demo/products/${p.id}.png`,
      category: p.category,
      in_stock: true,
      attributes: { ...DEMO_MARK },
    };
    if (p.sale_price !== undefined) product.sale_price = p.sale_price;
    return product;
  });
}

export function demoBlock(origin: string): BlockInput {
  return {
    id: DEMO_BLOCK_ID,
    template: 'product-grid',
    size: { width: 600, height: 300 },
    slots: 3,
    source: [
      { from: 'cart', where: { in_stock: true } },
      { from: 'recently_viewed', exclude: 'purchased' },
      { from: 'trending', category: 'profile.last_category', exclude: 'purchased' },
      { from: 'products', ids: ['weekender', 'merino-crew', 'field-watch'] },
    ],
    params: { headline: 'Picked for you', cta: 'Shop now →', accent: '#d33c3c' },
    link: { utm: { utm_source: 'email', utm_medium: 'opentime', utm_campaign: 'demo' } },
    fallback: { url: `${origin}/demo/shop`, text: 'See what’s new in the shop →' },
  };
}
