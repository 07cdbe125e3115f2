import { z } from 'zod';
import { httpUrl } from '../catalog/product.ts';

/**
 * The fields every block kind shares. Every limit keeps one render bounded:
 * a render costs CPU per pixel.
 */
export const BLOCK_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MIN_SIZE_PX = 100;
export const MAX_SIZE_PX = 1200;

export const color = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'expected a hex colour such as #d33 or #dd3333');

/** Colours and the headline every kind has, so that every kind can draw its static fallback. */
export const brandParams = {
  accent: color.default('#d33c3c'),
  background: color.default('#ffffff'),
  text: color.default('#111111'),
  muted: color.default('#6b7280'),
  /** BCP 47 locale for prices, dates and labels, e.g. en-US, de-DE. */
  locale: z.string().min(2).max(35).default('en-US'),
};

/**
 * How long an open's decision holds for that subscriber and message:
 * `live` decides at every open; `sticky` reuses the first open's decision
 * for `minutes`; `first_open` freezes it. The click always follows the
 * open record.
 */
export const lockSchema = z
  .discriminatedUnion('policy', [
    z.object({ policy: z.literal('live') }).strict(),
    z
      .object({
        policy: z.literal('sticky'),
        minutes: z
          .number()
          .int()
          .min(1)
          .max(60 * 24 * 30),
      })
      .strict(),
    z.object({ policy: z.literal('first_open') }).strict(),
  ])
  .default({ policy: 'live' });
export type Lock = z.output<typeof lockSchema>;

export const commonBlockFields = {
  $schema: z.string().optional(),
  id: z.string().regex(BLOCK_ID_PATTERN, 'expected lowercase letters, digits, - and _ (at most 64)'),
  size: z
    .object({
      width: z.number().int().min(MIN_SIZE_PX).max(MAX_SIZE_PX),
      height: z.number().int().min(MIN_SIZE_PX).max(MAX_SIZE_PX),
    })
    .strict(),
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
  lock: lockSchema,
  /**
   * Orders are attributed to a subscriber's last click on this block within
   * `window_days` (an order after an open with no click, within the same
   * window, is reported apart as view-through). See docs/reports.md.
   */
  attribution: z
    .object({ window_days: z.number().int().min(1).max(90).default(7) })
    .strict()
    .default({ window_days: 7 }),
  /**
   * The image's alt text in emails: what a subscriber whose client blocks images reads, and what a
   * screen reader says. Unset: the block's headline. `opentime links` puts it in the snippet.
   */
  alt: z.string().max(200).optional(),
  /**
   * Only show personal content to a request with a subscriber token or a
   * signature (`t=`, `sig=`, `jwt=`); others get the generic block and clicks
   * the fallback URL. Unset: OPENTIME_REQUIRE_SIGNATURE.
   */
  require_signature: z.boolean().optional(),
  /**
   * The image's encoding: `auto` sends a JPEG when the render holds photos
   * and a PNG when it is flat (smaller and exact there); `png` or `jpeg`
   * forces one. Served at the same `/i/<block>.png` URL, with the Content-Type
   * of the bytes. JPEGs are encoded by sharp on Node and the core's encoder on Workers.
   * Not `format`: a countdown's `format` is its digits'.
   */
  image_format: z.enum(['auto', 'png', 'jpeg']).default('auto'),
};
