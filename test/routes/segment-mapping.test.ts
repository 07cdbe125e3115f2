import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { profileOf as profileIn } from '../specs/harness.ts';

/**
 * Other tools' e-commerce events, sent as those tools shape them, change
 * the profile as Segment's spec events do; events opentime can keep
 * nothing from are answered as `ignored`, not `applied`.
 */
let app: TestApp;
beforeEach(async () => {
  app = await createTestApp();
});
afterEach(async () => {
  await app.close();
});

const profileOf = (id: string) => profileIn(app, id);
const ids = (list: Array<{ id: string }>) => list.map((x) => x.id);

/** Sends a track call and expects it to count as applied. */
async function applied(userId: string, event: string, properties: Record<string, unknown>): Promise<void> {
  const response = await app.send('track', { userId, event, properties });
  expect(response.status).toBe(200);
  expect(await response.json(), event).toMatchObject({ applied: 1, ignored: 0 });
  app.clock.advance(1000);
}

describe('Klaviyo events (its recommended properties)', () => {
  const item = (id: string, quantity = 1) => ({
    ProductID: id,
    SKU: `SKU-${id}`,
    ProductName: `Book ${id}`,
    Quantity: quantity,
    ItemPrice: 9.99,
    RowTotal: 9.99 * quantity,
    ProductURL: `https://shop.example.com/p/${id}`,
    ImageURL: `https://shop.example.com/p/${id}.png`,
    ProductCategories: ['Fiction', 'Children'],
  });

  it('Viewed Product, Added to Cart, Started Checkout and Placed Order shape the profile', async () => {
    await applied('kl-1', 'Viewed Product', {
      ProductName: 'Winnie the Pooh',
      ProductID: '1111',
      SKU: 'WINNIEPOOH',
      Categories: ['Fiction', 'Children'],
      ImageURL: 'https://shop.example.com/p/1111.png',
      URL: 'https://shop.example.com/p/1111',
      Brand: 'Kids Books',
      Price: 9.99,
      CompareAtPrice: 14.99,
    });
    let profile = await profileOf('kl-1');
    expect(ids(profile.viewed)).toEqual(['1111']);
    expect(profile.lastCategory?.name).toBe('Fiction');

    await applied('kl-1', 'Added to Cart', {
      $value: 29.98,
      AddedItemProductName: 'A Tale of Two Cities',
      AddedItemProductID: '1112',
      AddedItemSKU: 'TALEOFTWO',
      AddedItemCategories: ['Classics'],
      AddedItemPrice: 19.99,
      AddedItemQuantity: 2,
      ItemNames: ['A Tale of Two Cities'],
      CheckoutURL: 'https://shop.example.com/checkout',
      Items: [item('1112', 2)],
    });
    profile = await profileOf('kl-1');
    expect(profile.cart).toEqual([expect.objectContaining({ id: '1112', quantity: 2 })]);

    await applied('kl-1', 'Started Checkout', { $event_id: 'cart-77', $value: 29.97, ItemNames: ['Book 1112', 'Book 1113'], Items: [item('1112', 2), item('1113')] });
    profile = await profileOf('kl-1');
    expect(ids(profile.cart).sort()).toEqual(['1112', '1113']);
    expect(profile.lastEventAt['Checkout Started']).toBeDefined();

    await applied('kl-1', 'Placed Order', {
      $event_id: '5001',
      $value: 29.97,
      OrderId: '5001',
      Categories: ['Fiction'],
      ItemNames: ['Book 1112', 'Book 1113'],
      DiscountCode: 'FREESHIP',
      Items: [item('1112', 2), item('1113')],
      BillingAddress: { FirstName: 'Jane', Address1: '1 Main St' },
    });
    profile = await profileOf('kl-1');
    expect(profile.cart).toEqual([]);
    expect(profile.purchased).toEqual(expect.arrayContaining([expect.objectContaining({ id: '1112', orderId: '5001' }), expect.objectContaining({ id: '1113' })]));
    expect(profile.orders).toBe(1);
    // The address in the order is not kept anywhere.
    expect(JSON.stringify(profile)).not.toMatch(/Main St|Jane/);
  });

  it('ProductId spelled another way counts too', async () => {
    await applied('kl-2', 'Viewed Product', { ProductId: '2222', ProductName: 'Shoe' });
    expect(ids((await profileOf('kl-2')).viewed)).toEqual(['2222']);
  });
});

describe("Shopify's web pixel events (the Web Pixels API's data)", () => {
  const variant = (productId: string, sku: string) => ({
    id: `4461056920${productId.slice(-4)}`,
    image: { src: `https://cdn.shopify.com/${productId}.jpg` },
    price: { amount: 24.95, currencyCode: 'GBP' },
    product: { id: productId, title: 'Ski Wax', type: 'Wax', untranslatedTitle: 'Ski Wax', url: '/products/ski-wax', vendor: 'Snowdrop' },
    sku,
    title: 'Default Title',
    untranslatedTitle: 'Default Title',
  });

  it('product_viewed, product_added_to_cart, checkout_started and checkout_completed shape the profile', async () => {
    // A custom pixel may forward event.data as the properties…
    await applied('sh-1', 'product_viewed', { productVariant: variant('8266836345064', 'WAX-1') });
    let profile = await profileOf('sh-1');
    expect(ids(profile.viewed)).toEqual(['8266836345064']);
    expect(profile.lastCategory?.name).toBe('Wax');

    // …or the whole event.
    await applied('sh-1', 'product_added_to_cart', {
      id: 'sh-event-2',
      name: 'product_added_to_cart',
      clientId: 'client-1',
      timestamp: '2026-06-01T12:00:00.000Z',
      data: { cartLine: { cost: { totalAmount: { amount: 49.9, currencyCode: 'GBP' } }, merchandise: variant('8266836345064', 'WAX-1'), quantity: 2 } },
    });
    profile = await profileOf('sh-1');
    expect(profile.cart).toEqual([expect.objectContaining({ id: '8266836345064', quantity: 2 })]);

    const lineItem = (productId: string, quantity: number) => ({
      id: `line-${productId}`,
      quantity,
      title: 'Ski Wax',
      variant: variant(productId, `SKU-${productId}`),
      discountAllocations: [],
      finalLinePrice: { amount: 24.95 * quantity, currencyCode: 'GBP' },
      properties: [],
      sellingPlanAllocation: null,
    });
    const checkout = (order: { id: string } | null) => ({
      attributes: [],
      currencyCode: 'GBP',
      email: 'buyer@example.com',
      phone: '+44 20 7946 0958',
      lineItems: [lineItem('8266836345064', 2), lineItem('7000000000001', 1)],
      order,
      token: 'tok-1',
      shippingAddress: { address1: '1 High St', city: 'London' },
      totalPrice: { amount: 74.85, currencyCode: 'GBP' },
    });
    await applied('sh-1', 'checkout_started', { checkout: checkout(null) });
    profile = await profileOf('sh-1');
    expect(ids(profile.cart).sort()).toEqual(['7000000000001', '8266836345064']);

    await applied('sh-1', 'checkout_completed', { checkout: checkout({ id: 'gid://shopify/Order/450789469' }) });
    profile = await profileOf('sh-1');
    expect(profile.cart).toEqual([]);
    expect(profile.purchased).toEqual(expect.arrayContaining([expect.objectContaining({ id: '8266836345064', orderId: '450789469' })]));
    expect(JSON.stringify(profile)).not.toMatch(/buyer@example\.com|High St|7946/);
  });

  it('product_removed_from_cart takes the line out; a GraphQL product id is read as its number', async () => {
    await applied('sh-2', 'product_added_to_cart', { cartLine: { merchandise: variant('gid://shopify/Product/123', 'A'), quantity: 1 } });
    expect(ids((await profileOf('sh-2')).cart)).toEqual(['123']);
    await applied('sh-2', 'product_removed_from_cart', { cartLine: { merchandise: variant('gid://shopify/Product/123', 'A'), quantity: 1 } });
    expect((await profileOf('sh-2')).cart).toEqual([]);
  });
});

describe("GA4's recommended e-commerce events (items[].item_id)", () => {
  const tee = { item_id: 'SKU_12345', item_name: 'Stan and Friends Tee', item_category: 'Apparel', item_variant: 'green', price: 10.01, quantity: 3 };
  const cap = { item_id: 'SKU_12346', item_name: "Google Grey Women's Tee", item_category: 'Apparel', price: 21.01, quantity: 1 };

  it('view_item, add_to_cart, remove_from_cart, begin_checkout and purchase shape the profile', async () => {
    await applied('ga-1', 'view_item', { currency: 'USD', value: 30.03, items: [tee] });
    expect(ids((await profileOf('ga-1')).viewed)).toEqual(['SKU_12345']);
    await applied('ga-1', 'add_to_cart', { currency: 'USD', value: 51.04, items: [tee, cap] });
    expect((await profileOf('ga-1')).cart).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'SKU_12345', quantity: 3 }), expect.objectContaining({ id: 'SKU_12346', quantity: 1 })]),
    );
    await applied('ga-1', 'remove_from_cart', { currency: 'USD', value: 21.01, items: [cap] });
    expect(ids((await profileOf('ga-1')).cart)).toEqual(['SKU_12345']);
    await applied('ga-1', 'begin_checkout', { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', items: [tee] });
    await applied('ga-1', 'purchase', { transaction_id: 'T_12345', value: 30.03, tax: 4.9, shipping: 5.99, currency: 'USD', items: [tee] });
    const profile = await profileOf('ga-1');
    expect(profile.cart).toEqual([]);
    expect(profile.purchased).toEqual([expect.objectContaining({ id: 'SKU_12345', orderId: 'T_12345' })]);
  });

  it('reads the parameters under `ecommerce`, as a GTM dataLayer push has them', async () => {
    await applied('ga-2', 'add_to_cart', { ecommerce: { currency: 'USD', items: [cap] } });
    expect(ids((await profileOf('ga-2')).cart)).toEqual(['SKU_12346']);
  });

  it('counts mapped views in trending', async () => {
    await applied('ga-3', 'view_item', { items: [cap] });
    const trending = await app.deps.store.topTrending('trending', app.clock.now(), 10);
    expect(trending).toContain('SKU_12346');
  });
});

describe('spec events with camelCase properties', () => {
  it('takes productId and SKU as product_id and sku', async () => {
    await applied('cc-1', 'Product Viewed', { productId: 'camel' });
    await applied('cc-1', 'Product Added', { SKU: 'upper', Quantity: 2 });
    await applied('cc-1', 'Order Completed', { orderId: 'o-9', products: [{ productId: 'upper' }] });
    const profile = await profileOf('cc-1');
    expect(ids(profile.viewed)).toEqual(['camel']);
    expect(profile.purchased).toEqual([expect.objectContaining({ id: 'upper', orderId: 'o-9' })]);
  });
});

describe('events that change nothing', () => {
  it('are answered as ignored, with the reason, and leave the profile as it was', async () => {
    const response = await app.send('track', { userId: 'ig-1', event: 'Product Viewed', messageId: 'no-product', properties: { name: 'A shoe' } });
    expect(await response.json()).toMatchObject({
      applied: 0,
      ignored: 1,
      ignoredEvents: [{ messageId: 'no-product', reason: 'Product Viewed names no product: expected properties.product_id or sku (or products[])' }],
    });
    const profile = await profileOf('ig-1');
    expect(profile.viewed).toEqual([]);
    expect(profile.lastEventAt).toEqual({});
  });

  it('count an identify that carries only contact data as ignored', async () => {
    const response = await app.send('identify', { userId: 'ig-2', traits: { firstName: 'Jane', phone: '+1 555 010 9999' } });
    expect(await response.json()).toMatchObject({ applied: 0, ignored: 1 });
  });

  it('are counted apart from applied ones in a batch', async () => {
    const response = await app.send('batch', {
      batch: [
        { type: 'track', userId: 'ig-3', event: 'Added to Cart', properties: { AddedItemProductID: 'kept' } },
        { type: 'track', userId: 'ig-3', event: 'view_item', properties: { items: [] } },
        { type: 'track', userId: 'ig-3', event: 'Newsletter Signup' },
      ],
    });
    expect(await response.json()).toMatchObject({ applied: 2, ignored: 1, rejected: [] });
  });
});
