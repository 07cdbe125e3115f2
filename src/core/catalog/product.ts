import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { attributesSchema, collectAttributes, type Attributes } from './attributes.ts';

/** Limits on catalog fields: a product is copied into every render key and open record. */
export const PRODUCT_ID_MAX_CHARS = 200;
export const PRODUCT_TITLE_MAX_CHARS = 300;
export const URL_MAX_CHARS = 2048;
/** A bulk upsert larger than this should be split by the caller. */
export const CATALOG_BATCH_MAX_PRODUCTS = 1000;

export const httpUrl = z.url({ protocol: /^https?$/, hostname: z.regexes.hostname }).max(URL_MAX_CHARS);

/** The fields opentime itself reads; any other field a shop sends is kept as an attribute. */
const knownFields = {
  id: z.string().min(1).max(PRODUCT_ID_MAX_CHARS),
  title: z.string().min(1).max(PRODUCT_TITLE_MAX_CHARS),
  price: z.number().nonnegative().finite(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD')
    .default('USD'),
  url: httpUrl,
  /** Optional: a product without a photo is drawn with a neutral placeholder. */
  image_url: httpUrl.optional(),
  category: z.string().min(1).max(200).optional(),
  in_stock: z.boolean().default(true),
  sale_price: z.number().nonnegative().finite().optional(),
  attributes: attributesSchema.optional(),
};

const KNOWN_FIELDS = Object.keys(knownFields);
const known = z.object(knownFields);
export type Product = z.output<typeof known>;

export const productSchema = known
  .catchall(attributesSchema.valueType)
  .transform((product, ctx): Product => collectAttributes<Product>(product as Product & Record<string, unknown>, KNOWN_FIELDS, ctx));
export type { Attributes };

const productList = z.array(productSchema).min(1).max(CATALOG_BATCH_MAX_PRODUCTS);

export const catalogUpsertSchema = z.union([productList, z.object({ products: productList }).strict()]);

/**
 * The products of `PUT /v1/catalog/products`: a list, or `{"products": [...]}`.
 * One product sent on its own is refused with a message that says so, not
 * with the problems it would have as a `{"products"}` wrapper.
 */
export function parseCatalogUpsert(body: unknown): Product[] {
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && !('products' in body)) {
    const message = 'expected a list of products, received one object (send it as [ {…} ], or as {"products": [ … ]})';
    throw new AppError('VALIDATION_FAILED', `invalid catalog: (root): ${message}`, { details: [{ path: '(root)', message }] });
  }
  const parsed = parseOrThrow(catalogUpsertSchema, body, 'catalog');
  return Array.isArray(parsed) ? parsed : parsed.products;
}

/** A sale price only counts when it is lower than the price. */
export function effectivePrice(product: Product): { price: number; was?: number } {
  if (product.sale_price !== undefined && product.sale_price < product.price) {
    return { price: product.sale_price, was: product.price };
  }
  return { price: product.price };
}
