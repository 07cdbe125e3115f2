import { z } from 'zod';
import { httpUrl } from '../catalog/product.ts';
import { brandParams, color, commonBlockFields } from './common.ts';

/**
 * A hero: one of several variants (background image or colour, headline,
 * sub-copy, call to action, click URL), chosen at open by ordered rules over
 * the profile, the open and the URL's parameters. The first rule that
 * matches wins; `default` when none does. A split entry divides the
 * subscribers it matches between arms by a stable hash, with a holdout that
 * gets the default.
 */
const VARIANT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const variantSchema = z
  .object({
    id: z.string().regex(VARIANT_ID, 'expected lowercase letters, digits, - and _'),
    headline: z.string().max(120),
    subcopy: z.string().max(300).default(''),
    cta: z.string().max(40).default(''),
    url: httpUrl,
    background: z
      .object({
        /** An http(s) URL or a file under templates/. */
        image: z.string().min(1).max(2048).optional(),
        color: color.optional(),
      })
      .strict()
      .default({}),
    /** Text colour over this variant's background. */
    text: color.optional(),
  })
  .strict();
export type Variant = z.output<typeof variantSchema>;

/** A JSONLogic rule: an object such as {"==": [{"var": "profile.last_category"}, "shoes"]}. */
const rule = z.record(z.string(), z.unknown());

const armSchema = variantSchema.extend({ weight: z.number().positive().max(1000) });

/**
 * Thompson sampling over a split's arms: each arm's share of the next people
 * follows its chance of being the best at `goal`, recomputed off the request
 * path at most every `every_minutes`. The holdout keeps its share; every arm
 * keeps at least `floor` of the arms' part.
 */
export const optimizeSchema = z
  .object({
    goal: z.enum(['clicks', 'conversions']),
    /** The least share of the arms' part any arm keeps (0.05: five percent). */
    floor: z.number().min(0).max(0.5).default(0.05),
    every_minutes: z.number().int().min(1).max(1440).default(15),
  })
  .strict();
export type OptimizeSettings = z.output<typeof optimizeSchema>;

const entrySchema = z.union([
  variantSchema.extend({ when: rule.optional() }).strict(),
  z
    .object({
      id: z.string().regex(VARIANT_ID, 'expected lowercase letters, digits, - and _'),
      when: rule.optional(),
      split: z
        .object({
          arms: z.array(armSchema).min(2).max(10),
          /** Percent of the matched subscribers who get the default variant instead (the control group). */
          holdout: z.number().min(0).max(99).default(0),
          /** Moves people towards the better arms as results arrive; without it the weights hold. */
          optimize: optimizeSchema.optional(),
        })
        .strict(),
    })
    .strict(),
]);
export type HeroEntry = z.output<typeof entrySchema>;
export type SplitEntry = Extract<HeroEntry, { split: unknown }>;

export const heroParamsSchema = z
  .object({
    ...brandParams,
    /** The headline of the static fallback image. */
    headline: z.string().max(120).default(''),
    /** IANA time zone for the open's local time in rules (`open.hour`, `open.weekday`); a `tz` URL parameter overrides it. */
    timezone: z.string().max(64).default('UTC'),
  })
  .strict();

export const heroBlockSchema = z
  .object({
    ...commonBlockFields,
    kind: z.literal('hero'),
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a template name')
      .default('hero'),
    variants: z.array(entrySchema).max(50).default([]),
    default: variantSchema,
    params: heroParamsSchema.default(() => heroParamsSchema.parse({})),
    /**
     * What Apple Mail's privacy proxy gets: it fetches ahead of time and keeps
     * the image for days, so a time-sensitive hero ("ends tonight") can name a
     * variant that stays true whenever it is read ("ends Fri 23:59 ET").
     */
    prefetch: z
      .object({ variant: z.string().regex(VARIANT_ID, 'expected a variant id') })
      .strict()
      .optional(),
  })
  .strict();

export type HeroBlock = z.output<typeof heroBlockSchema>;
