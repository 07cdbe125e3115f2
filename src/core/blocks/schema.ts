import { z } from 'zod';
import { httpUrl } from '../catalog/product.ts';

/**
 * The block config a marketer writes (see templates/*.json). Every limit here
 * keeps one block's render bounded: a render costs CPU per pixel and per slot.
 */
export const BLOCK_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_SLOTS = 4;
export const MIN_SIZE_PX = 100;
export const MAX_SIZE_PX = 1200;
export const MAX_FIXED_PRODUCTS = 100;

const color = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'expected a hex colour such as #d33 or #dd3333');

export const PROFILE_SOURCES = ['cart', 'recently_viewed', 'purchased'] as const;
export const SHARED_SOURCES = ['trending', 'bestsellers', 'products'] as const;
export const SOURCE_KINDS = [...PROFILE_SOURCES, ...SHARED_SOURCES] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const EXCLUDABLE = ['purchased', 'cart', 'viewed'] as const;

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
    /** trending/bestsellers: a category name, or `profile.last_category`. */
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
    if (source.category !== undefined && source.from !== 'trending' && source.from !== 'bestsellers') {
      ctx.addIssue({ code: 'custom', path: ['category'], message: 'only applies to trending and bestsellers (use where.category to filter others)' });
    }
  });

export type Source = z.output<typeof sourceSchema>;

export const productGridParamsSchema = z
  .object({
    headline: z.string().max(120).default('Picked for you'),
    subheadline: z.string().max(200).optional(),
    /** Label under each product, e.g. "Shop now"; empty hides it. */
    cta: z.string().max(40).default(''),
    accent: color.default('#d33c3c'),
    background: color.default('#ffffff'),
    text: color.default('#111111'),
    muted: color.default('#6b7280'),
    /** BCP 47 locale for prices, e.g. en-US, de-DE. */
    locale: z.string().min(2).max(35).default('en-US'),
    show_price: z.boolean().default(true),
  })
  .strict();

export const blockSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(BLOCK_ID_PATTERN, 'expected lowercase letters, digits, - and _ (at most 64)'),
    kind: z.literal('product-grid').default('product-grid'),
    template: z.literal('product-grid').default('product-grid'),
    size: z
      .object({
        width: z.number().int().min(MIN_SIZE_PX).max(MAX_SIZE_PX),
        height: z.number().int().min(MIN_SIZE_PX).max(MAX_SIZE_PX),
      })
      .strict(),
    slots: z.number().int().min(1).max(MAX_SLOTS),
    source: z.array(sourceSchema).min(1).max(10),
    params: productGridParamsSchema.default(() => productGridParamsSchema.parse({})),
    link: z
      .object({
        utm: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a query parameter name'), z.string().max(200)).default({}),
      })
      .strict()
      .default({ utm: {} }),
    fallback: z
      .object({
        /** Where a click goes when there is nothing to show. */
        url: httpUrl,
        /** A static image for when opentime cannot render: a file under templates/ or an http(s) URL. */
        image: z.string().max(500).optional(),
        /** The line shown on the generated fallback image when there is no `image`. */
        text: z.string().max(120).optional(),
      })
      .strict(),
  })
  .strict();

export type BlockInput = z.input<typeof blockSchema>;
export type BlockConfig = z.output<typeof blockSchema>;

/** A block as stored: its config and the version the store gave it. */
export interface StoredBlock {
  config: BlockConfig;
  version: number;
  updatedAt: number;
}
