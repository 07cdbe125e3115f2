import { z } from 'zod';

/** Limits on catalog fields: a product is copied into every render key and open record. */
export const PRODUCT_ID_MAX_CHARS = 200;
export const PRODUCT_TITLE_MAX_CHARS = 300;
export const URL_MAX_CHARS = 2048;
/** A bulk upsert larger than this should be split by the caller. */
export const CATALOG_BATCH_MAX_PRODUCTS = 1000;

export const httpUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
  .max(URL_MAX_CHARS);

export const productSchema = z
  .object({
    id: z.string().min(1).max(PRODUCT_ID_MAX_CHARS),
    title: z.string().min(1).max(PRODUCT_TITLE_MAX_CHARS),
    price: z.number().nonnegative().finite(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD')
      .default('USD'),
    url: httpUrl,
    image_url: httpUrl,
    category: z.string().min(1).max(200).optional(),
    brand: z.string().max(200).optional(),
    in_stock: z.boolean().default(true),
    sale_price: z.number().nonnegative().finite().optional(),
  })
  .strict();

export type Product = z.output<typeof productSchema>;

export const catalogUpsertSchema = z.union([
  z.array(productSchema).min(1).max(CATALOG_BATCH_MAX_PRODUCTS),
  z.object({ products: z.array(productSchema).min(1).max(CATALOG_BATCH_MAX_PRODUCTS) }).strict(),
]);

/** A sale price only counts when it is lower than the price. */
export function effectivePrice(product: Product): { price: number; was?: number } {
  if (product.sale_price !== undefined && product.sale_price < product.price) {
    return { price: product.sale_price, was: product.price };
  }
  return { price: product.price };
}
