/**
 * Segment's e-commerce v2 event names, and the lenient matching that lets
 * `product_viewed` or `product viewed` from other senders count too.
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

const byCanonicalName = new Map<string, EcommerceEvent>(
  Object.entries(ECOMMERCE_EVENTS).map(([key, name]) => [canonical(name), key as EcommerceEvent]),
);

function canonical(name: string): string {
  return name.trim().toLowerCase().replace(/[_\s]+/g, ' ');
}

export function ecommerceEvent(name: string | undefined): EcommerceEvent | undefined {
  return name === undefined ? undefined : byCanonicalName.get(canonical(name));
}

/** A product as it appears in event properties (`product_id`, falling back to `sku`, then `id`). */
export interface EventProduct {
  id: string;
  quantity: number;
  category?: string;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 200);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function eventProduct(props: Record<string, unknown>): EventProduct | undefined {
  const id = idOf(props.product_id) ?? idOf(props.sku) ?? idOf(props.id);
  if (id === undefined) return undefined;
  const rawQuantity = typeof props.quantity === 'number' ? props.quantity : Number(props.quantity);
  const quantity = Number.isFinite(rawQuantity) && rawQuantity > 0 ? Math.min(Math.floor(rawQuantity), 999) : 1;
  const product: EventProduct = { id, quantity };
  if (typeof props.category === 'string' && props.category.trim() !== '') product.category = props.category.trim().slice(0, 200);
  return product;
}

/** The `products` array of Cart Viewed, Checkout Started, Order Completed. */
export function eventProducts(props: Record<string, unknown>): EventProduct[] | undefined {
  if (!Array.isArray(props.products)) return undefined;
  const products: EventProduct[] = [];
  for (const item of props.products.slice(0, 100)) {
    if (typeof item === 'object' && item !== null) {
      const product = eventProduct(item as Record<string, unknown>);
      if (product) products.push(product);
    }
  }
  return products;
}
