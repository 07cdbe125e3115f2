import { z } from 'zod';

/**
 * The answer of GET /v1/reports/blocks/:id and /v1/reports/messages/:message,
 * as a schema: `npm run schema` writes it to templates/schema/report.json,
 * and the report spec checks every answer against it.
 */
const count = z.number().min(0);
const rate = z.number().min(0).nullable();

const money = z
  .object({
    conversions: count,
    revenue: count,
    currency: z.string().length(3).nullable().describe('The currency with the most revenue; the others are in revenue_by_currency.'),
    revenue_by_currency: z.record(z.string(), count),
  })
  .strict();

const metricFields = {
  opens_people: count.describe('Opens by people, directly or through Gmail’s or Yahoo’s proxy; every open counted.'),
  opens_machines: count.describe('Fetches by machines (Apple Mail Privacy Protection, scanners): not opens.'),
  unique_people: count.describe('Distinct known subscribers who opened (exact up to 256 per hour, block, send and variant; then a HyperLogLog estimate).'),
  clicks: count.describe('Clicks by people.'),
  unique_clickers: count,
  click_to_open: rate.describe('unique_clickers / unique_people.'),
  ...money.shape,
  view_through: money.describe('Orders after an open with no click within the window.'),
};

const metrics = z.object(metricFields).strict();

const lift = z
  .object({
    metric: z.enum(['conversion_rate', 'click_to_open']),
    value: z.number().describe('Relative lift over the holdout: 0.25 is 25 % better.'),
    low: z.number().describe('Lower end of the 95 % interval.'),
    high: z.number().describe('Upper end of the 95 % interval.'),
  })
  .strict();

export const reportAnswerSchema = z
  .object({
    scope: z.object({ block: z.string().optional(), message: z.string().optional() }).strict(),
    from: z.string().describe('Start of the first bucket, ISO 8601.'),
    to: z.string(),
    by: z.enum(['hour', 'day']),
    totals: metrics,
    machines: z
      .record(z.string(), z.object({ opens: count, clicks: count, counted_as_people: z.boolean() }).strict())
      .describe('By requester class: apple_prefetch, gmail_proxy, yahoo_proxy, scanner.'),
    series: z.array(metrics.extend({ bucket: z.string().describe('Start of the hour or day, ISO 8601.') }).strict()),
    variants: z.array(
      metrics
        .extend({
          variant: z.string().describe('A hero’s variant or split arm; `holdout` for the control group.'),
          holdout: z.boolean(),
          conversion_rate: rate,
          revenue_per_thousand_opens: z.number().min(0).nullable(),
          lift: lift.nullable(),
          probability_best: z.number().min(0).max(1).nullable(),
          enough_data: z.boolean().describe('False when too few people opened (or converted) to tell the variants apart.'),
          share: z.number().min(0).max(100).nullable().describe('An optimised split’s arm or holdout: its percent of the split’s people in the latest allocation; null otherwise.'),
        })
        .strict(),
    ),
    blocks: z
      .array(metrics.extend({ block: z.string() }).strict())
      .optional()
      .describe('A send’s report: one entry per block in it.'),
    allocations: z
      .array(
        z
          .object({
            at: z.string().describe('When the allocation changed, ISO 8601.'),
            entry: z.string().describe('The split entry’s id.'),
            shares: z.record(z.string(), z.number().min(0).max(100)).describe('Percent of the split’s people, per arm and holdout.'),
          })
          .strict(),
      )
      .optional()
      .describe('A block’s report: every change of its optimised splits’ allocations in the report’s time, oldest first.'),
    personalised: z
      .object({
        opens: count,
        personal: count,
        generic: count,
        fallback: count,
        share: rate,
        why_not: z.record(z.string(), count).describe('anonymous, unsigned, suppressed, no_profile, store_slow, photo_failed, nothing_to_show, format, error.'),
      })
      .strict(),
    gallery: z
      .array(
        z
          .object({
            render: z
              .string()
              .regex(/^[0-9a-f]{16}$/)
              .describe('The render’s id: a hash of what it showed.'),
            image: z.string().describe('Where the render is drawn again (admin key or Studio session): /v1/reports/blocks/<id>/gallery/<render>.png.'),
            shown: z
              .object({
                kind: z.enum(['product-grid', 'hero']),
                variant: z.string().optional(),
                arm: z.string().optional(),
                products: z
                  .array(z.object({ id: z.string(), title: z.string(), price: z.number(), currency: z.string(), source: z.string() }).strict().nullable())
                  .optional()
                  .describe('One entry per slot; null for an empty one.'),
              })
              .strict(),
            first_seen: z.string(),
            last_seen: z.string(),
            opens: count.describe('Opens by people of this render.'),
            clicks: count.describe('Clicks by people on this render.'),
          })
          .strict(),
      )
      .optional()
      .describe('A block’s report: its last 24 distinct renders, newest first, whatever the span.'),
    notes: z.array(z.string()),
  })
  .strict();
