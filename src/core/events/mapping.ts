import type { EcommerceEvent } from './ecommerce-spec.ts';

/**
 * Other tools' e-commerce events, read as Segment's e-commerce spec: a
 * shop that already sends Klaviyo's, Shopify's web pixel or GA4's events
 * can forward them unchanged. One table row per event name; each row names
 * the spec event it is and the shape its properties come in. A shape reads
 * only where the product, quantity, category, order id or query are, and
 * returns them under the spec's names; everything else stays as it was.
 * docs/collecting-behaviour.md's table is this one (test/core/events/mapping.test.ts checks it).
 *
 * Sources of the shapes: Klaviyo's "integrate a platform without a
 * pre-built integration" guide (Viewed Product, Added to Cart, Started
 * Checkout, Placed Order), Shopify's Web Pixels API standard events
 * (`product_viewed.data.productVariant`, `product_added_to_cart.data.cartLine`,
 * `checkout_*.data.checkout.lineItems[].variant`), GA4's recommended
 * e-commerce events (`items[].item_id`).
 */

type Props = Record<string, unknown>;

/** What a shape found, under the e-commerce spec's property names; values are checked where they are used. */
export interface SpecProperties {
  product_id?: unknown;
  sku?: unknown;
  variant?: unknown;
  quantity?: unknown;
  category?: unknown;
  products?: SpecProperties[];
  order_id?: unknown;
  query?: unknown;
}

function isObject(value: unknown): value is Props {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A pure function of a short string, remembered: every event asks the same
 * few names and keys many times over (mapping, the reducer, trending,
 * neighbours, triggers), and a lookup costs less than lowercasing and a
 * regular expression. Bounded: past `max` names it starts over.
 */
function remembered(compute: (text: string) => string, max = 2000): (text: string) => string {
  const known = new Map<string, string>();
  return (text) => {
    let value = known.get(text);
    if (value === undefined) {
      value = compute(text);
      if (known.size >= max) known.clear();
      if (text.length <= 200) known.set(text, value);
    }
    return value;
  };
}

/** Event names compare without case, and `_` counts as a space: `Viewed_Product` is `Viewed Product`. */
export const canonicalEventName = remembered((name) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, ' '),
);

/** Property names compare without case or separators: `ProductID`, `productId` and `product_id` are one. */
const canonicalKey = remembered((key) => key.toLowerCase().replace(/[^a-z0-9]/g, ''));

/** `obj[name]`, or the value under a key spelled differently (`ProductId` for `ProductID`). */
export function field(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, name)) return obj[name];
  const wanted = canonicalKey(name);
  for (const key of Object.keys(obj)) if (canonicalKey(key) === wanted) return obj[key];
  return undefined;
}

/** Categories come as lists (Klaviyo's `Categories`); the first one is the product's. */
function firstString(value: unknown): unknown {
  return Array.isArray(value) ? value.find((v) => typeof v === 'string' && v.trim() !== '') : value;
}

/** Shopify's ids may be GraphQL ids (`gid://shopify/Product/123`); the catalog knows `123`. */
function shopifyId(value: unknown): unknown {
  const gid = typeof value === 'string' ? /^gid:\/\/shopify\/\w+\/([^/?]+)/.exec(value) : null;
  return gid ? gid[1] : value;
}

/** Drops what a shape did not find, so that it never hides a spec property the event did send. */
function found(props: SpecProperties): SpecProperties | undefined {
  const out = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined && v !== null)) as SpecProperties;
  return Object.keys(out).length > 0 ? out : undefined;
}

function list(value: unknown, read: (item: Props) => SpecProperties | undefined): SpecProperties[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.slice(0, 100).flatMap((item) => {
    const product = isObject(item) ? read(item) : undefined;
    return product ? [product] : [];
  });
}

/** Shopify's pixel hands `event.data` to a subscriber; a forwarder may send it, or the whole event. */
const shopifyData = (p: Props): Props => (isObject(p.data) ? p.data : p);
const shopifyVariant = (v: unknown, quantity?: unknown): SpecProperties | undefined =>
  isObject(v) ? found({ product_id: shopifyId(field(v.product, 'id')), sku: v.sku, variant: shopifyId(v.id), category: field(v.product, 'type'), quantity }) : undefined;
const shopifyLine = (line: Props, variantKey: 'merchandise' | 'variant') => shopifyVariant(line[variantKey], line.quantity);

/** GTM's dataLayer nests GA4's parameters under `ecommerce`; gtag sends them flat. */
const ga4Params = (p: Props): Props => (isObject(p.ecommerce) ? p.ecommerce : p);
const ga4Item = (item: Props) => found({ product_id: item.item_id, quantity: item.quantity, category: item.item_category, variant: item.item_variant });

const klaviyoItem = (item: Props) =>
  found({
    product_id: field(item, 'ProductID'),
    sku: field(item, 'SKU'),
    quantity: field(item, 'Quantity'),
    category: firstString(field(item, 'ProductCategories') ?? field(item, 'Categories')),
  });

interface Shape {
  /** Where the shape reads, for the table in docs/collecting-behaviour.md. */
  reads: string;
  read(props: Props): SpecProperties | undefined;
}

const SHAPES = {
  klaviyoProduct: {
    reads: '`ProductID`, `SKU`, `Categories[0]`',
    read: (p) => found({ product_id: field(p, 'ProductID'), sku: field(p, 'SKU'), category: firstString(field(p, 'Categories')) }),
  },
  klaviyoAddedItem: {
    reads: '`AddedItemProductID`, `AddedItemSKU`, `AddedItemQuantity`, `AddedItemCategories[0]`',
    read: (p) =>
      found({
        product_id: field(p, 'AddedItemProductID'),
        sku: field(p, 'AddedItemSKU'),
        quantity: field(p, 'AddedItemQuantity'),
        category: firstString(field(p, 'AddedItemCategories')),
      }),
  },
  klaviyoItems: {
    reads: '`Items[]`: `ProductID`, `SKU`, `Quantity`, `ProductCategories[0]`; `OrderId`',
    read: (p) => found({ products: list(field(p, 'Items'), klaviyoItem), order_id: field(p, 'OrderId') }),
  },
  shopifyProductVariant: {
    reads: '`productVariant`: `product.id`, `sku`, `product.type`',
    read: (p) => shopifyVariant(shopifyData(p).productVariant),
  },
  shopifyCartLine: {
    reads: '`cartLine`: `merchandise` (a variant as above), `quantity`',
    read: (p) => {
      const line = shopifyData(p).cartLine;
      return isObject(line) ? shopifyLine(line, 'merchandise') : undefined;
    },
  },
  shopifyCart: {
    reads: '`cart.lines[]`: `merchandise`, `quantity`',
    read: (p) => found({ products: list(field(shopifyData(p).cart, 'lines'), (line) => shopifyLine(line, 'merchandise')) }),
  },
  shopifyCheckout: {
    reads: '`checkout.lineItems[]`: `variant`, `quantity`; `checkout.order.id`',
    read: (p) => {
      const checkout = shopifyData(p).checkout;
      if (!isObject(checkout)) return undefined;
      return found({ products: list(checkout.lineItems, (item) => shopifyLine(item, 'variant')), order_id: shopifyId(field(checkout.order, 'id')) });
    },
  },
  shopifyCollection: {
    reads: '`collection.title` (as the category)',
    read: (p) => found({ category: field(shopifyData(p).collection, 'title') }),
  },
  shopifySearch: {
    reads: '`searchResult.query`',
    read: (p) => found({ query: field(shopifyData(p).searchResult, 'query') }),
  },
  ga4Items: {
    reads: '`items[]`: `item_id`, `quantity`, `item_category`; `transaction_id` (also under `ecommerce`)',
    read: (p) => {
      const params = ga4Params(p);
      return found({ products: list(params.items, ga4Item), order_id: params.transaction_id });
    },
  },
  ga4Search: {
    reads: '`search_term`',
    read: (p) => found({ query: p.search_term }),
  },
} satisfies Record<string, Shape>;

export type ShapeName = keyof typeof SHAPES;

export interface EventMapping {
  tool: 'Klaviyo' | 'Shopify' | 'GA4';
  /** The name the tool sends. */
  event: string;
  /** The e-commerce spec event it is. */
  spec: EcommerceEvent;
  shape: ShapeName;
}

export const EVENT_MAPPINGS: readonly EventMapping[] = [
  { tool: 'Klaviyo', event: 'Viewed Product', spec: 'productViewed', shape: 'klaviyoProduct' },
  { tool: 'Klaviyo', event: 'Added to Cart', spec: 'productAdded', shape: 'klaviyoAddedItem' },
  { tool: 'Klaviyo', event: 'Started Checkout', spec: 'checkoutStarted', shape: 'klaviyoItems' },
  { tool: 'Klaviyo', event: 'Placed Order', spec: 'orderCompleted', shape: 'klaviyoItems' },
  { tool: 'Shopify', event: 'product_viewed', spec: 'productViewed', shape: 'shopifyProductVariant' },
  { tool: 'Shopify', event: 'product_added_to_cart', spec: 'productAdded', shape: 'shopifyCartLine' },
  { tool: 'Shopify', event: 'product_removed_from_cart', spec: 'productRemoved', shape: 'shopifyCartLine' },
  { tool: 'Shopify', event: 'cart_viewed', spec: 'cartViewed', shape: 'shopifyCart' },
  { tool: 'Shopify', event: 'checkout_started', spec: 'checkoutStarted', shape: 'shopifyCheckout' },
  { tool: 'Shopify', event: 'checkout_completed', spec: 'orderCompleted', shape: 'shopifyCheckout' },
  { tool: 'Shopify', event: 'collection_viewed', spec: 'productListViewed', shape: 'shopifyCollection' },
  { tool: 'Shopify', event: 'search_submitted', spec: 'productsSearched', shape: 'shopifySearch' },
  { tool: 'GA4', event: 'view_item', spec: 'productViewed', shape: 'ga4Items' },
  { tool: 'GA4', event: 'select_item', spec: 'productClicked', shape: 'ga4Items' },
  { tool: 'GA4', event: 'add_to_cart', spec: 'productAdded', shape: 'ga4Items' },
  { tool: 'GA4', event: 'remove_from_cart', spec: 'productRemoved', shape: 'ga4Items' },
  { tool: 'GA4', event: 'view_cart', spec: 'cartViewed', shape: 'ga4Items' },
  { tool: 'GA4', event: 'begin_checkout', spec: 'checkoutStarted', shape: 'ga4Items' },
  { tool: 'GA4', event: 'purchase', spec: 'orderCompleted', shape: 'ga4Items' },
  { tool: 'GA4', event: 'search', spec: 'productsSearched', shape: 'ga4Search' },
];

const byName = new Map(EVENT_MAPPINGS.map((m) => [canonicalEventName(m.event), m]));

export function eventMapping(name: string): EventMapping | undefined {
  return byName.get(canonicalEventName(name));
}

/** Where a shape reads, for documentation. */
export function shapeReads(shape: ShapeName): string {
  return SHAPES[shape].reads;
}

/**
 * The spec properties found in a mapped event's own shape, or undefined
 * when the name is not mapped or the shape is not there (a Shopify-named
 * `product_viewed` that already carries `product_id` is read as the spec).
 */
export function mappedProperties(name: string, props: Props): SpecProperties | undefined {
  const mapping = eventMapping(name);
  return mapping === undefined ? undefined : SHAPES[mapping.shape].read(props);
}
