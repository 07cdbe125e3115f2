import { z } from 'zod';
import { brandParams, commonBlockFields } from './common.ts';

/** A product grid: 1–4 products chosen by ordered sources, with prices and a call to action. */
export const MAX_SLOTS = 4;
export const MAX_FIXED_PRODUCTS = 100;

/** Sources drawn from the subscriber's own behaviour (a slot from one makes the decision personal). */
export const PROFILE_SOURCES = ['cart', 'recently_viewed', 'purchased', 'viewed_together', 'bought_together', 'similar', 'for_you', 'price_drop'] as const;
export const SHARED_SOURCES = ['trending', 'bestsellers', 'new_arrivals', 'products'] as const;
/** Sources ranked from a shared list that a `category` narrows. */
export const CATEGORY_SOURCES = ['trending', 'bestsellers', 'new_arrivals'] as const;
export const SOURCE_KINDS = [...PROFILE_SOURCES, ...SHARED_SOURCES] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const EXCLUDABLE = ['purchased', 'cart', 'viewed'] as const;

/** A JSONLogic rule over a product's fields (see docs/recommendations.md#filter). */
export const MAX_FILTER_CHARS = 4000;
const filterSchema = z
  .record(z.string(), z.unknown())
  .refine((rule) => JSON.stringify(rule).length <= MAX_FILTER_CHARS, `expected a JSONLogic rule of at most ${MAX_FILTER_CHARS} characters`);

/** `profile.last_category` means the category the subscriber browsed last. */
export const LAST_CATEGORY = 'profile.last_category';

export const sourceSchema = z
  .object({
    from: z.enum(SOURCE_KINDS),
    where: z
      .object({
        /** Only products in stock (the default). `false` shows out-of-stock products too. */
        in_stock: z.boolean().default(true),
        category: z.string().min(1).max(200).optional(),
        on_sale: z.boolean().optional(),
        min_price: z.number().nonnegative().optional(),
        max_price: z.number().nonnegative().optional(),
      })
      .strict()
      .default({ in_stock: true }),
    exclude: z
      .union([z.enum(EXCLUDABLE), z.array(z.enum(EXCLUDABLE)).max(EXCLUDABLE.length)], {
        // Zod's own words for a failed union are "Invalid input".
        error: `expected one of ${EXCLUDABLE.join(', ')} (or a list of them)`,
      })
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .default([]),
    /** A JSONLogic rule over the product's fields; only products for which it is true are shown. */
    filter: filterSchema.optional(),
    /** trending/bestsellers/new_arrivals: a category name, or `profile.last_category`. */
    category: z.string().min(1).max(200).optional(),
    /** products: fixed product ids, in order. */
    ids: z.array(z.string().min(1).max(200)).min(1).max(MAX_FIXED_PRODUCTS).optional(),
    /** At most this many slots from this source. */
    limit: z.number().int().min(1).max(MAX_SLOTS).optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    if (source.from === 'products' && source.ids === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ids'], message: 'is required when from is "products"' });
    }
    if (source.from !== 'products' && source.ids !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ids'], message: 'only applies when from is "products"' });
    }
    if (source.category !== undefined && !(CATEGORY_SOURCES as readonly string[]).includes(source.from)) {
      ctx.addIssue({ code: 'custom', path: ['category'], message: 'only applies to trending, bestsellers and new_arrivals (use where.category to filter others)' });
    }
  });

export type Source = z.output<typeof sourceSchema>;

export const productGridParamsSchema = z
  .object({
    headline: z.string().max(120).default('Picked for you'),
    subheadline: z.string().max(200).optional(),
    /** Label under each product, e.g. "Shop now"; empty hides it. */
    cta: z.string().max(40).default(''),
    ...brandParams,
    show_price: z.boolean().default(true),
  })
  .strict();

export const productGridBlockSchema = z
  .object({
    ...commonBlockFields,
    kind: z.literal('product-grid'),
    /** The template that draws it: a built-in name or one stored with PUT /v1/templates/:name. */
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a template name')
      .default('product-grid'),
    slots: z.number().int().min(1).max(MAX_SLOTS),
    source: z.array(sourceSchema).min(1).max(10),
    params: productGridParamsSchema.default(() => productGridParamsSchema.parse({})),
  })
  .strict();

export type ProductGridBlock = z.output<typeof productGridBlockSchema>;
