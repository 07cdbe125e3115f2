import jsonLogic from 'json-logic-js';
import { z } from 'zod';
import { BLOCK_ID_PATTERN } from '../blocks/common.ts';
import { isTimeZone } from '../decide/facts.ts';

/**
 * A trigger as JSON: which event (or catalog change) starts an episode for a
 * subscriber, how long it waits, what cancels it, what must still hold when
 * it fires, how often one subscriber may get it, and which ESP sends it. The
 * API validates with this schema and `npm run schema` writes
 * templates/schema/trigger.json from it. No field holds a secret: an ESP's
 * key comes from the environment (OPENTIME_KLAVIYO_API_KEY, …).
 */
export const TRIGGER_ID_PATTERN = BLOCK_ID_PATTERN;
/** An episode waits at most this long: the store keeps every waiting episode, and a month-old moment is no longer one. */
export const MAX_WAIT_DAYS = 90;
export const MAX_TRIGGER_BLOCKS = 10;
export const MAX_CANCEL_EVENTS = 20;

const eventName = z.string().min(1).max(200);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day such as 21:00');
const zone = z.string().refine(isTimeZone, 'expected an IANA time zone such as Europe/Berlin');

const eventStart = z.object({ event: eventName }).strict();
/** A catalog moment: a product's price fell, or it came back in stock; for whoever viewed or carted it lately. */
const catalogStart = z
  .object({
    catalog: z.enum(['price_drop', 'back_in_stock']),
    /** Who counts as interested: subscribers who did this with the product … */
    interest: z
      .array(z.enum(['viewed', 'carted']))
      .min(1)
      .default(['viewed', 'carted']),
    /** … within this many days before the change. */
    within_days: z.number().int().min(1).max(90).default(30),
    /** price_drop: the smallest fall that counts, in percent of the old price. */
    min_drop_percent: z.number().min(0).max(100).default(1),
  })
  .strict();

const wait = z
  .object({
    days: z.number().int().min(0).max(MAX_WAIT_DAYS).optional(),
    hours: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_DAYS * 24)
      .optional(),
    minutes: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_DAYS * 1440)
      .optional(),
    seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_DAYS * 86_400)
      .optional(),
  })
  .strict()
  .refine((w) => waitMs(w) <= MAX_WAIT_DAYS * 86_400_000, `must be at most ${MAX_WAIT_DAYS} days in all`);

/** JSONLogic, checked when the episode fires; `method` is removed (core/decide/hero.ts), so no rule runs code. */
const rule = z.record(z.string(), z.unknown()).refine((value) => jsonLogic.is_logic(value), 'expected a JSONLogic rule such as {">": [{"var": "profile.cart_count"}, 0]}');

const destination = z.discriminatedUnion('type', [
  z.object({ type: z.literal('klaviyo'), metric: z.string().min(1).max(128) }).strict(),
  z
    .object({
      type: z.literal('braze'),
      campaign_id: z.string().min(1).max(128).optional(),
      canvas_id: z.string().min(1).max(128).optional(),
    })
    .strict()
    .refine((d) => (d.campaign_id === undefined) !== (d.canvas_id === undefined), 'needs campaign_id or canvas_id (one of them)'),
  z.object({ type: z.literal('customerio'), event: z.string().min(1).max(100) }).strict(),
  z.object({ type: z.literal('iterable'), workflow_id: z.number().int().positive() }).strict(),
  z.object({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }).max(2048) }).strict(),
]);

export const triggerSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(TRIGGER_ID_PATTERN, 'expected lowercase letters, digits, - and _ (at most 64)'),
    description: z.string().max(500).optional(),
    /** The trigger's kill switch: false starts no episode and closes waiting ones when they come due. */
    enabled: z.boolean().default(true),
    /** Records what would be sent (GET /v1/triggers/:id/sends) instead of sending it. */
    dry_run: z.boolean().default(false),
    start: z.union([eventStart, catalogStart], { error: 'expected {"event": "Product Added"} or {"catalog": "price_drop" | "back_in_stock"}' }),
    wait: wait.default({ hours: 1 }),
    cancel: z
      .object({ events: z.array(eventName).max(MAX_CANCEL_EVENTS).default([]) })
      .strict()
      .default({ events: [] }),
    when: rule.optional(),
    cap: z
      .object({ per_subscriber: z.number().int().min(1).max(100), days: z.number().int().min(1).max(365) })
      .strict()
      .default({ per_subscriber: 1, days: 1 }),
    quiet_hours: z
      .object({ from: clock, to: clock, timezone: zone.default('UTC') })
      .strict()
      .optional(),
    send_at: z.enum(['due', 'usual_open_hour']).default('due'),
    blocks: z.array(z.string().regex(BLOCK_ID_PATTERN, 'expected a block id')).max(MAX_TRIGGER_BLOCKS).default([]),
    destination,
  })
  .strict();

export type TriggerInput = z.input<typeof triggerSchema>;
export type TriggerConfig = z.output<typeof triggerSchema>;
export type TriggerDestination = TriggerConfig['destination'];
export type DestinationType = TriggerDestination['type'];

export interface StoredTrigger {
  config: TriggerConfig;
  version: number;
  updatedAt: number;
}

export function waitMs(w: { days?: number | undefined; hours?: number | undefined; minutes?: number | undefined; seconds?: number | undefined }): number {
  return (((w.days ?? 0) * 24 + (w.hours ?? 0)) * 60 + (w.minutes ?? 0)) * 60_000 + (w.seconds ?? 0) * 1000;
}

export const startsOnEvent = (t: TriggerConfig): t is TriggerConfig & { start: { event: string } } => 'event' in t.start;
export const startsOnCatalog = (t: TriggerConfig): t is TriggerConfig & { start: z.output<typeof catalogStart> } => 'catalog' in t.start;
