/**
 * Segment's e-commerce v2 event names that shape a profile. The lenient
 * matching (`product_viewed`, other tools' names for the same events) is in
 * profiles/ecommerce.ts and events/mapping.ts; this leaf keeps the two from
 * importing each other.
 */
export const ECOMMERCE_EVENTS = {
  productViewed: 'Product Viewed',
  productClicked: 'Product Clicked',
  productAdded: 'Product Added',
  productRemoved: 'Product Removed',
  cartViewed: 'Cart Viewed',
  checkoutStarted: 'Checkout Started',
  orderCompleted: 'Order Completed',
  productsSearched: 'Products Searched',
  productListViewed: 'Product List Viewed',
  productListFiltered: 'Product List Filtered',
} as const;

export type EcommerceEvent = keyof typeof ECOMMERCE_EVENTS;
