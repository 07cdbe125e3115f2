import { z } from 'zod';
import { httpUrl } from '../catalog/product.ts';
import { brandParams, color, commonBlockFields } from './common.ts';

/**
 * A banner: a solid-colour strip with a headline and a subline, the same
 * for every subscriber, linking to one URL. Nothing personal is read or
 * drawn, so every open of a block version shares one render. The text
 * limits keep the strip readable and one render bounded (two lines of
 * headline, one of subline, at any size).
 */
export const bannerParamsSchema = z
  .object({
    ...brandParams,
    // A banner is a coloured strip: dark by default, with light text.
    background: color.default('#1f2937'),
    text: color.default('#ffffff'),
    accent: color.default('#fbbf24'),
    headline: z.string().min(1).max(120),
    subline: z.string().max(200).default(''),
  })
  .strict();

export const bannerBlockSchema = z
  .object({
    ...commonBlockFields,
    kind: z.literal('banner'),
    /** Where a click on the banner goes (`/c/<id>/0`), with `link.utm`. */
    url: httpUrl,
    params: bannerParamsSchema,
  })
  .strict();

export type BannerBlock = z.output<typeof bannerBlockSchema>;
