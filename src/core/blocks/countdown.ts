import { z } from 'zod';
import { httpUrl } from '../catalog/product.ts';
import { brandParams, color, commonBlockFields } from './common.ts';

/**
 * A countdown: an animated GIF (and a PNG still) that counts down to a
 * deadline, one frame per second, frame 1 always the true remaining time.
 */
export const MAX_COUNTDOWN_FRAMES = 120;
/** Offsets from an event are bounded: a countdown longer than a year is not a countdown. */
const MAX_OFFSET_HOURS = 24 * 366;

/** `Intl` knows every IANA zone the runtime does; a name it rejects is not one. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const zoneName = z.string().max(64).refine(isTimeZone, 'expected an IANA time zone such as America/New_York or Europe/Berlin');

/**
 * An absolute instant: ISO 8601 with Z or an offset, so it means one moment
 * everywhere. A pattern rather than z.iso.datetime, whose failures would
 * only say "expected a valid datetime".
 */
export const instantString = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/,
    'expected an ISO time with Z or an offset, such as 2026-12-24T23:59:00-05:00 (or {"at", "zone"} for a local time)',
  )
  // Only for the right shape: a time in the wrong shape is not also "a date that does not exist".
  .refine((text) => !Number.isNaN(Date.parse(text)), { message: 'is not a date that exists', when: (payload) => payload.issues.length === 0 });

/** A wall-clock time in a zone: `{"at": "2026-12-24T23:59", "zone": "America/New_York"}`. */
export const wallClockDeadline = z
  .object({
    at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$/, 'expected a local time such as 2026-12-24T23:59 (no offset; the zone says where)'),
    zone: zoneName,
  })
  .strict();

/** A deadline that is the same for everyone: an instant, or a wall-clock time in a zone. */
export const fixedDeadline = z.union([instantString, wallClockDeadline], {
  error: 'expected an ISO time with an offset, or {"at": "2026-12-24T23:59", "zone": "America/New_York"}',
});

/**
 * Per recipient, from the image URL: `?deadline={{ merge_tag }}` as ISO or
 * epoch seconds. Without a usable value, `fallback` (else the block's
 * fallback image).
 */
export const queryDeadline = z
  .object({
    query: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a query parameter name')
      .refine((name) => name !== 'u' && name !== 'm', 'u and m are the subscriber and message ids'),
    fallback: fixedDeadline.optional(),
  })
  .strict();

/**
 * Per subscriber, from the profile: the last time they sent `after` (e.g.
 * "Checkout Started") plus the offset. No such event, or a suppressed
 * subscriber: `fallback` (else the block's fallback image).
 */
export const eventDeadline = z
  .object({
    after: z.string().min(1).max(200),
    days: z.number().min(0).max(366).optional(),
    hours: z.number().min(0).max(MAX_OFFSET_HOURS).optional(),
    minutes: z
      .number()
      .min(0)
      .max(MAX_OFFSET_HOURS * 60)
      .optional(),
    fallback: fixedDeadline.optional(),
  })
  .strict()
  .refine((d) => (d.days ?? 0) + (d.hours ?? 0) + (d.minutes ?? 0) > 0, {
    message: 'needs an offset: days, hours or minutes after the event',
    path: ['hours'],
  });

// Objects in a union of their own: when no shape fits, the message below says which ones there are (rather than listing types).
export const deadlineSchema = z.union([instantString, z.union([wallClockDeadline, queryDeadline, eventDeadline])], {
  error: 'expected an ISO time with an offset, {"at", "zone"}, {"query": "<URL parameter>"} or {"after": "<event>", "hours": <n>}',
});
export type Deadline = z.output<typeof deadlineSchema>;
export type FixedDeadline = z.output<typeof fixedDeadline>;

/** Which units are shown, biggest first; without days the hours count past 24. */
export const COUNTDOWN_FORMATS = ['dd:hh:mm:ss', 'dd:hh:mm', 'hh:mm:ss', 'hh:mm'] as const;
export type CountdownFormat = (typeof COUNTDOWN_FORMATS)[number];

export const countdownParamsSchema = z
  .object({
    headline: z.string().max(120).default('The sale ends in'),
    /** A smaller line under the headline. */
    subheadline: z.string().max(200).optional(),
    ...brandParams,
    /** The digits and the boxes behind them. */
    digits: color.default('#ffffff'),
    box: color.default('#111111'),
    /** Unit names (days, hours, …) under the digits, in `locale`. */
    labels: z.boolean().default(true),
  })
  .strict();

/** After the deadline: a line of text on the block's background, or an image (templates/ file or URL). */
export const expiredSchema = z.union(
  [z.object({ text: z.string().min(1).max(120), subtext: z.string().max(200).optional() }).strict(), z.object({ image: z.string().min(1).max(500) }).strict()],
  { error: 'expected {"text": "…"} or {"image": "<file under templates/ or URL>"}' },
);
export type ExpiredState = z.output<typeof expiredSchema>;

export const countdownBlockSchema = z
  .object({
    ...commonBlockFields,
    kind: z.literal('countdown'),
    /** The template that draws it: a built-in name or one stored with PUT /v1/templates/:name. */
    template: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a template name')
      .default('countdown'),
    deadline: deadlineSchema,
    /** One frame per second; the GIF plays once and stops on its last frame. */
    frames: z.number().int().min(1).max(MAX_COUNTDOWN_FRAMES).default(60),
    format: z.enum(COUNTDOWN_FORMATS).default('dd:hh:mm:ss'),
    /** Where a click on the countdown goes. */
    url: httpUrl,
    params: countdownParamsSchema.default(() => countdownParamsSchema.parse({})),
    expired: expiredSchema.default({ text: 'This offer has ended' }),
    /**
     * What Apple Mail's privacy proxy gets: it fetches ahead of time and shows
     * that first frame for days, so instead of a clock that will be wrong when
     * read, a still with the headline over the deadline itself. `{deadline}` becomes the date
     * and time in `zone` (the deadline's own zone when it has one, else UTC).
     */
    prefetch: z
      .object({
        text: z.string().min(1).max(120).default('{deadline}'),
        zone: z.string().max(64).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CountdownBlock = z.output<typeof countdownBlockSchema>;
