import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_MAPPINGS, canonicalEventName, eventMapping, field, mappedProperties, shapeReads } from '../../../src/core/events/mapping.ts';
import { normalizeEvent } from '../../../src/core/events/normalize.ts';
import { ECOMMERCE_EVENTS, ecommerceEvent } from '../../../src/core/profiles/ecommerce.ts';

const RECEIVED = Date.parse('2026-03-01T12:00:00.000Z');
const track = (event: string, properties: Record<string, unknown>) => normalizeEvent({ userId: 'u', event, properties }, 'track', RECEIVED);

describe('the mapping table', () => {
  it('names each event once, and never a spec name for another spec event', () => {
    const names = EVENT_MAPPINGS.map((m) => canonicalEventName(m.event));
    expect(new Set(names).size).toBe(names.length);
    for (const [key, name] of Object.entries(ECOMMERCE_EVENTS)) {
      const mapping = eventMapping(name);
      if (mapping) expect(mapping.spec).toBe(key);
    }
  });

  it('is the table docs/collecting-behaviour.md shows, row for row', () => {
    const doc = readFileSync(new URL('../../../docs/collecting-behaviour.md', import.meta.url), 'utf8');
    for (const m of EVENT_MAPPINGS) {
      expect(doc, m.event).toContain(`| ${m.tool} | \`${m.event}\` | \`${ECOMMERCE_EVENTS[m.spec]}\` | ${shapeReads(m.shape)} |`);
    }
  });

  it('lets countdowns and rules name an event the way the tool does', () => {
    expect(ecommerceEvent('Started Checkout')).toBe('checkoutStarted');
    expect(ecommerceEvent('begin_checkout')).toBe('checkoutStarted');
    expect(ecommerceEvent('checkout_completed')).toBe('orderCompleted');
  });
});

describe('normalizeEvent with a mapped event', () => {
  it('renames it to the spec event and adds the spec properties beside its own', () => {
    const event = track('Viewed Product', { ProductID: '1111', SKU: 'W-1', Categories: ['Fiction'], Price: 9.99 });
    expect(event.event).toBe('Product Viewed');
    expect(event.properties).toEqual({ ProductID: '1111', SKU: 'W-1', Categories: ['Fiction'], Price: 9.99, product_id: '1111', sku: 'W-1', category: 'Fiction' });
  });

  it('leaves a spec-shaped event under a lenient name as it was', () => {
    const event = track('product_viewed', { product_id: 'a' });
    expect(event.event).toBe('Product Viewed');
    expect(event.properties).toEqual({ product_id: 'a' });
  });

  it('keeps an event it does not know', () => {
    const event = track('Newsletter Signup', { list: 'weekly' });
    expect(event.event).toBe('Newsletter Signup');
    expect(event.properties).toEqual({ list: 'weekly' });
  });

  it('reads nothing from a shape that is not there, or not an object', () => {
    expect(mappedProperties('product_viewed', { productVariant: 'x' })).toBeUndefined();
    expect(mappedProperties('checkout_completed', { checkout: [1] })).toBeUndefined();
    expect(mappedProperties('purchase', { items: 'nope' })).toBeUndefined();
    expect(mappedProperties('purchase', { items: [null, 3, { item_id: 'ok' }] })).toEqual({ products: [{ product_id: 'ok' }] });
  });
});

describe('field', () => {
  it('finds a property whatever its case or separators, the exact key first', () => {
    expect(field({ ProductId: 'a' }, 'ProductID')).toBe('a');
    expect(field({ 'product-id': 'b' }, 'product_id')).toBe('b');
    expect(field({ productId: 'c', product_id: 'd' }, 'product_id')).toBe('d');
    expect(field(null, 'x')).toBeUndefined();
    expect(field(['a'], '0')).toBeUndefined();
  });
});
