import { z } from 'zod';
import { EVENT_NAME_MAX_CHARS, MESSAGE_ID_MAX_CHARS, SUBJECT_ID_MAX_CHARS } from './limits.ts';

/**
 * Segment's HTTP Tracking API payloads, accepted unchanged. Unknown top-level
 * fields (channel, version, _metadata, …) are allowed and ignored, because
 * every Segment library adds some of its own.
 */

/** Segment libraries send ids as strings, but some senders send numbers. */
const id = z
  .union([z.string().max(SUBJECT_ID_MAX_CHARS), z.number().finite()])
  .transform((v) => String(v).trim())
  .transform((v) => (v === '' ? undefined : v))
  .optional()
  .nullable()
  .transform((v) => v ?? undefined);

const isoTime = z
  .string()
  .max(64)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO-8601 date-time')
  .optional()
  .nullable()
  .transform((v) => v ?? undefined);

const jsonObject = z.record(z.string(), z.unknown());
const optionalObject = jsonObject
  .optional()
  .nullable()
  .transform((v) => v ?? {});

const common = {
  userId: id,
  anonymousId: id,
  messageId: z
    .string()
    .max(MESSAGE_ID_MAX_CHARS)
    .optional()
    .nullable()
    .transform((v) => v ?? undefined),
  timestamp: isoTime,
  originalTimestamp: isoTime,
  sentAt: isoTime,
  context: optionalObject,
  integrations: z.unknown().optional(),
  writeKey: z.string().max(200).optional(),
};

export const trackSchema = z.looseObject({
  ...common,
  type: z.literal('track').optional(),
  event: z.string().min(1).max(EVENT_NAME_MAX_CHARS),
  properties: optionalObject,
});

export const identifySchema = z.looseObject({
  ...common,
  type: z.literal('identify').optional(),
  traits: optionalObject,
});

export const pageSchema = z.looseObject({
  ...common,
  type: z.literal('page').optional(),
  name: z.string().max(EVENT_NAME_MAX_CHARS).optional().nullable(),
  category: z.string().max(EVENT_NAME_MAX_CHARS).optional().nullable(),
  properties: optionalObject,
});

export const screenSchema = z.looseObject({
  ...common,
  type: z.literal('screen').optional(),
  name: z.string().max(EVENT_NAME_MAX_CHARS).optional().nullable(),
  properties: optionalObject,
});

export const groupSchema = z.looseObject({
  ...common,
  type: z.literal('group').optional(),
  groupId: id,
  traits: optionalObject,
});

export const aliasSchema = z.looseObject({
  ...common,
  type: z.literal('alias').optional(),
  previousId: z.union([z.string().min(1).max(SUBJECT_ID_MAX_CHARS), z.number().finite()]).transform(String),
});

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const schemaByType = {
  track: trackSchema,
  identify: identifySchema,
  page: pageSchema,
  screen: screenSchema,
  group: groupSchema,
  alias: aliasSchema,
} satisfies Record<EventType, z.ZodType>;

export type SegmentPayload =
  | ({ type: 'track' } & z.output<typeof trackSchema>)
  | ({ type: 'identify' } & z.output<typeof identifySchema>)
  | ({ type: 'page' } & z.output<typeof pageSchema>)
  | ({ type: 'screen' } & z.output<typeof screenSchema>)
  | ({ type: 'group' } & z.output<typeof groupSchema>)
  | ({ type: 'alias' } & z.output<typeof aliasSchema>);

/** The batch envelope; items are validated one by one so errors name `batch[i]`. */
export const batchEnvelopeSchema = z.looseObject({
  batch: z.array(z.unknown()).min(1).max(10_000),
  sentAt: isoTime,
  context: optionalObject,
  integrations: z.unknown().optional(),
  writeKey: z.string().max(200).optional(),
});
