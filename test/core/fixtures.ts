/**
 * Factories for core unit tests: events as the reducer receives them (already
 * normalised), profiles, and catalog products and blocks parsed through their
 * schemas so that defaults apply exactly as in production.
 */
import { blockSchema, productGridBlockSchema, type BlockInput, type ProductGridBlock } from '../../src/core/blocks/schema.ts';
import { productSchema, type Product } from '../../src/core/catalog/product.ts';
import type { TrackedEvent } from '../../src/core/events/normalize.ts';
import { emptyProfile, type Profile } from '../../src/core/profiles/profile.ts';
import { reduceProfile } from '../../src/core/profiles/reducer.ts';

/** A fixed start time; `at(n)` is n minutes later. */
export const T0 = Date.parse('2026-03-01T09:00:00Z');
export const at = (minutes: number): number => T0 + minutes * 60_000;

let sequence = 0;

export function trackEvent(name: string, properties: Record<string, unknown>, timestamp: number, overrides: Partial<TrackedEvent> = {}): TrackedEvent {
  sequence += 1;
  return {
    type: 'track',
    messageId: `m-${sequence}`,
    userId: 'user-1',
    event: name,
    properties,
    traits: {},
    timestamp,
    receivedAt: timestamp,
    context: {},
    ...overrides,
  };
}

export function identifyEvent(traits: Record<string, unknown>, timestamp: number): TrackedEvent {
  sequence += 1;
  return { type: 'identify', messageId: `m-${sequence}`, userId: 'user-1', properties: {}, traits, timestamp, receivedAt: timestamp, context: {} };
}

type Line = string | { id: string; quantity?: number; category?: string };

function productProps(line: Line): Record<string, unknown> {
  if (typeof line === 'string') return { product_id: line };
  const props: Record<string, unknown> = { product_id: line.id };
  if (line.quantity !== undefined) props.quantity = line.quantity;
  if (line.category !== undefined) props.category = line.category;
  return props;
}

export const viewed = (id: string, timestamp: number, extra: Record<string, unknown> = {}) => trackEvent('Product Viewed', { product_id: id, ...extra }, timestamp);
export const clicked = (id: string, timestamp: number, extra: Record<string, unknown> = {}) => trackEvent('Product Clicked', { product_id: id, ...extra }, timestamp);
export const added = (id: string, timestamp: number, extra: Record<string, unknown> = {}) => trackEvent('Product Added', { product_id: id, ...extra }, timestamp);
export const removed = (id: string, timestamp: number, quantity?: number) =>
  trackEvent('Product Removed', quantity === undefined ? { product_id: id } : { product_id: id, quantity }, timestamp);
export const cartViewed = (lines: readonly Line[], timestamp: number) => trackEvent('Cart Viewed', { products: lines.map(productProps) }, timestamp);
export const checkoutStarted = (lines: readonly Line[], timestamp: number) => trackEvent('Checkout Started', { products: lines.map(productProps) }, timestamp);
export const orderCompleted = (lines: readonly Line[], timestamp: number, orderId: string | number = 'order-1') =>
  trackEvent('Order Completed', { order_id: orderId, products: lines.map(productProps) }, timestamp);
export const searched = (query: string, timestamp: number) => trackEvent('Products Searched', { query }, timestamp);
export const listViewed = (category: string, timestamp: number) => trackEvent('Product List Viewed', { category }, timestamp);

/** Applies events one delivery at a time, as separate requests would. */
export function deliver(events: readonly TrackedEvent[], start?: Profile): Profile {
  let profile = start;
  for (const event of events) profile = reduceProfile(profile, [event]);
  if (!profile) throw new Error('deliver needs at least one event or a start profile');
  return profile;
}

/** Every order of `items` (for small arrays). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

export function profileWith(partial: Partial<Profile> = {}, start = T0): Profile {
  return { ...emptyProfile(start), ...partial };
}

export const cartOf = (profile: Profile) => profile.cart.map((line) => [line.id, line.quantity] as const);
export const idsOf = (list: ReadonlyArray<{ id: string }>) => list.map((x) => x.id);

export function product(fields: { id: string } & Record<string, unknown>): Product {
  return productSchema.parse({
    title: `Product ${fields.id}`,
    price: 20,
    url: `https://shop.example.com/p/${fields.id}`,
    image_url: `https://cdn.example.com/${fields.id}.jpg`,
    ...fields,
  });
}

export function catalog(...products: Product[]): Map<string, Product> {
  return new Map(products.map((p) => [p.id, p]));
}

export function block(fields: Partial<BlockInput> = {}): ProductGridBlock {
  return productGridBlockSchema.parse(
    blockSchema.parse({
      id: 'grid',
      size: { width: 600, height: 300 },
      slots: 3,
      source: [{ from: 'cart' }],
      fallback: { url: 'https://shop.example.com/' },
      ...fields,
    }),
  );
}
