import { describe, expect, it } from 'vitest';
import { ignoredReason } from '../../../src/core/profiles/ignored.ts';
import { T0, identifyEvent, trackEvent } from '../fixtures.ts';

describe('ignoredReason: events opentime can keep nothing from', () => {
  it('names what a product event, a search or a list view lacks', () => {
    expect(ignoredReason(trackEvent('Product Added', { name: 'Shoe' }, T0))).toBe('Product Added names no product: expected properties.product_id or sku (or products[])');
    expect(ignoredReason(trackEvent('Products Searched', { query: ' ' }, T0))).toBe('Products Searched names no query: expected properties.query');
    expect(ignoredReason(trackEvent('Product List Viewed', {}, T0))).toBe('Product List Viewed names no category: expected properties.category');
  });

  it('keeps events that carry what they are for, in any spelling', () => {
    expect(ignoredReason(trackEvent('Product Added', { productId: 'a' }, T0))).toBeUndefined();
    expect(ignoredReason(trackEvent('Product Viewed', { products: [{ sku: 'b' }] }, T0))).toBeUndefined();
    expect(ignoredReason(trackEvent('Products Searched', { Query: 'boots' }, T0))).toBeUndefined();
  });

  it('keeps every other track event, whose time countdowns and rules may use, and cart, checkout and order events without products', () => {
    for (const name of ['Newsletter Signup', 'Email Opened', 'Checkout Started', 'Cart Viewed', 'Order Completed']) {
      expect(ignoredReason(trackEvent(name, {}, T0)), name).toBeUndefined();
    }
  });

  it('keeps page, screen, group and alias calls', () => {
    for (const type of ['page', 'screen', 'group', 'alias'] as const) expect(ignoredReason(trackEvent('X', {}, T0, { type }))).toBeUndefined();
  });

  it('ignores an identify with only contact data or nothing, unless it links', () => {
    expect(ignoredReason(identifyEvent({ firstName: 'Jane', contact: '+1 555 010 9999' }, T0))).toBe(
      'identify keeps no trait: contact data (email, phone, names, addresses) is never stored',
    );
    expect(ignoredReason(identifyEvent({}, T0))).toBe('identify carries no traits and nothing to link');
    expect(ignoredReason(identifyEvent({ email: 'jane@example.com' }, T0))).toBeUndefined();
    expect(ignoredReason({ ...identifyEvent({}, T0), anonymousId: 'anon-1' })).toBeUndefined();
    expect(ignoredReason(identifyEvent({ plan: 'gold' }, T0))).toBeUndefined();
  });

  it('keeps an event that carries consent, which was applied', () => {
    const consent = { consent: { categoryPreferences: { Personalization: false } } };
    expect(ignoredReason({ ...identifyEvent({}, T0), context: consent })).toBeUndefined();
    expect(ignoredReason(trackEvent('Product Viewed', {}, T0, { context: consent }))).toBeUndefined();
  });
});
