import { ECOMMERCE_EVENTS, type EcommerceEvent } from '../events/ecommerce-spec.ts';
import { EVENT_MAPPINGS, canonicalEventName, field, mappedProperties } from '../events/mapping.ts';

export { ECOMMERCE_EVENTS, type EcommerceEvent };

const byCanonicalName = new Map<string, EcommerceEvent>([
  ...EVENT_MAPPINGS.map((m): [string, EcommerceEvent] => [canonicalEventName(m.event), m.spec]),
  ...Object.entries(ECOMMERCE_EVENTS).map(([key, name]): [string, EcommerceEvent] => [canonicalEventName(name), key as EcommerceEvent]),
]);

export function ecommerceEvent(name: string | undefined): EcommerceEvent | undefined {
  return name === undefined ? undefined : byCanonicalName.get(canonicalEventName(name));
}

/**
 * A track event as the spec names it: `Viewed Product` (Klaviyo) becomes
 * `Product Viewed`, and properties in another tool's shape gain the spec's
 * (`product_id`, `products`, …) next to their own.
 */
export function specEvent(name: string, properties: Record<string, unknown>): { event: string; properties: Record<string, unknown> } {
  const kind = ecommerceEvent(name);
  if (kind === undefined) return { event: name, properties };
  const mapped = mappedProperties(name, properties);
  return { event: ECOMMERCE_EVENTS[kind], properties: mapped ? { ...properties, ...mapped } : properties };
}

/** A product as it appears in event properties (`product_id`, falling back to `sku`, then `id`). */
export interface EventProduct {
  id: string;
  quantity: number;
  /** The event said how many (a removal of 1 of 3 leaves 2; without a quantity the line goes). */
  quantityGiven: boolean;
  category?: string;
  /** The unit price the event carried (what the subscriber saw), for price drops. */
  price?: number;
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 200);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Spec names are read whatever their case or separators: `productId`, `ProductID`, `SKU`, `Quantity`. */
export function eventProduct(props: Record<string, unknown>): EventProduct | undefined {
  const id = idOf(field(props, 'product_id')) ?? idOf(field(props, 'sku')) ?? idOf(props.id);
  if (id === undefined) return undefined;
  const given = field(props, 'quantity');
  const rawQuantity = typeof given === 'number' ? given : Number(given);
  const quantity = Number.isFinite(rawQuantity) && rawQuantity > 0 ? Math.min(Math.floor(rawQuantity), 999) : 1;
  const product: EventProduct = { id, quantity, quantityGiven: typeof given === 'number' || typeof given === 'string' };
  const category = field(props, 'category');
  if (typeof category === 'string' && category.trim() !== '') product.category = category.trim().slice(0, 200);
  const price = Number(field(props, 'price'));
  if (field(props, 'price') !== undefined && field(props, 'price') !== '' && Number.isFinite(price) && price >= 0) product.price = price;
  return product;
}

/** The `products` array of Cart Viewed, Checkout Started, Order Completed. */
export function eventProducts(props: Record<string, unknown>): EventProduct[] | undefined {
  const list = field(props, 'products');
  if (!Array.isArray(list)) return undefined;
  const products: EventProduct[] = [];
  for (const item of list.slice(0, 100)) {
    if (typeof item === 'object' && item !== null) {
      const product = eventProduct(item as Record<string, unknown>);
      if (product) products.push(product);
    }
  }
  return products;
}

/**
 * The products of a one-product event (Product Viewed, Added, Removed):
 * the product in its properties, or else each of `products` (GA4's
 * `add_to_cart` may carry several items).
 */
export function eventItems(props: Record<string, unknown>): EventProduct[] {
  const one = eventProduct(props);
  return one ? [one] : (eventProducts(props) ?? []);
}

/** The order id of Order Completed (`order_id`, `orderId`, `OrderId`). */
export function eventOrderId(props: Record<string, unknown>): string | undefined {
  const id = field(props, 'order_id');
  return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 200) : undefined;
}
