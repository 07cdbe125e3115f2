import { z } from 'zod';
import { reportAnswerSchema } from '../reports/report-schema.ts';
import { bannerBlockSchema } from './banner.ts';
import { countdownBlockSchema } from './countdown.ts';
import { heroBlockSchema } from './hero.ts';
import { productGridBlockSchema } from './product-grid.ts';

/**
 * JSON Schema files for editors: a block JSON with `"$schema":
 * "./schema/block.json"` gets completion and red squiggles in VS Code.
 * Generated from the same zod schemas the API validates with (`npm run
 * schema`), as input schemas: fields with defaults are optional.
 */
const gridInput = productGridBlockSchema.extend({ kind: z.literal('product-grid').optional() });

export function jsonSchemas(): Record<string, object> {
  const options = { io: 'input', unrepresentable: 'any' } as const;
  const titled = (title: string, description: string, schema: z.ZodType) => ({ title, description, ...z.toJSONSchema(schema, options) });
  return {
    'block.json': titled(
      'opentime block',
      'A block of any kind: product grid (the default), hero, countdown or banner.',
      z.union([gridInput, heroBlockSchema, countdownBlockSchema, bannerBlockSchema]),
    ),
    'product-grid.json': titled('opentime product grid', '1–4 products chosen by ordered sources.', gridInput),
    'hero.json': titled('opentime hero', 'A variant chosen by rules, with A/B splits.', heroBlockSchema),
    'countdown.json': titled('opentime countdown', 'A countdown to a deadline, as an animated GIF or a still PNG.', countdownBlockSchema),
    'banner.json': titled('opentime banner', 'A solid-colour strip with a headline and a subline, linking to one URL.', bannerBlockSchema),
    'report.json': {
      title: 'opentime report',
      description: 'The answer of GET /v1/reports/blocks/:id and /v1/reports/messages/:message (docs/reports.md).',
      ...z.toJSONSchema(reportAnswerSchema, { io: 'output' }),
    },
  };
}
