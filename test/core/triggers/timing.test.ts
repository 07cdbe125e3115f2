import { describe, expect, it } from 'vitest';
import { emptyProfile } from '../../../src/core/profiles/profile.ts';
import { triggerSchema } from '../../../src/core/triggers/schema.ts';
import { sendTime } from '../../../src/core/triggers/timing.ts';
import { retryAfterMs, backoffMs } from '../../../src/core/triggers/delivery.ts';

const at = (iso: string) => Date.parse(iso);
const trigger = (extra: Record<string, unknown>) => triggerSchema.parse({ id: 't', start: { event: 'Product Added' }, destination: { type: 'klaviyo', metric: 'M' }, ...extra });

describe('sendTime: quiet hours', () => {
  const quiet = trigger({ quiet_hours: { from: '21:00', to: '08:00' } });
  it('leaves a due time outside quiet hours as it is', () => {
    expect(sendTime(quiet, at('2026-06-01T12:34:00Z'), undefined)).toBe(at('2026-06-01T12:34:00Z'));
    expect(sendTime(quiet, at('2026-06-01T08:00:00Z'), undefined)).toBe(at('2026-06-01T08:00:00Z'));
  });
  it('moves one in the evening or the night to the end of the quiet hours, across midnight', () => {
    expect(sendTime(quiet, at('2026-06-01T21:00:00Z'), undefined)).toBe(at('2026-06-02T08:00:00Z'));
    expect(sendTime(quiet, at('2026-06-02T03:15:00Z'), undefined)).toBe(at('2026-06-02T08:00:00Z'));
  });
  it('reads the clock in the subscriber\u2019s time zone trait, else the quiet hours\u2019 own', () => {
    const profile = { ...emptyProfile(0), traits: { timezone: 'America/New_York' } };
    // 02:00 UTC is 22:00 in New York (summer): quiet there until 08:00, 12:00 UTC.
    expect(sendTime(quiet, at('2026-06-02T02:00:00Z'), profile)).toBe(at('2026-06-02T12:00:00Z'));
    const tokyo = trigger({ quiet_hours: { from: '22:00', to: '07:00', timezone: 'Asia/Tokyo' } });
    expect(sendTime(tokyo, at('2026-06-01T14:00:00Z'), undefined)).toBe(at('2026-06-01T22:00:00Z'));
  });
});

describe('sendTime: usual open hour', () => {
  const usual = trigger({ send_at: 'usual_open_hour' });
  it('moves the send forward, within a day, to the hour of their opens', () => {
    const profile = { ...emptyProfile(0), lastEventAt: { 'Email Opened': at('2026-05-20T19:42:00Z') } };
    expect(sendTime(usual, at('2026-06-01T12:10:00Z'), profile)).toBe(at('2026-06-01T19:00:00Z'));
    expect(sendTime(usual, at('2026-06-01T20:10:00Z'), profile)).toBe(at('2026-06-02T19:00:00Z'));
  });
  it('sends at the due time for someone who never opened', () => {
    expect(sendTime(usual, at('2026-06-01T12:10:00Z'), emptyProfile(0))).toBe(at('2026-06-01T12:10:00Z'));
  });
});

describe('delivery timing', () => {
  it('reads Retry-After as seconds or a date, bounded to a day', () => {
    const now = at('2026-06-01T12:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 01 Jun 2026 12:02:00 GMT', now)).toBe(120_000);
    expect(retryAfterMs('9999999', now)).toBe(86_400_000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
  it('doubles the backoff at each attempt, with at most 10 % jitter, up to an hour', () => {
    for (const [attempt, plain] of [
      [1, 30_000],
      [2, 60_000],
      [4, 240_000],
      [20, 3_600_000],
    ] as const) {
      const wait = backoffMs(attempt, 30_000);
      expect(wait).toBeGreaterThanOrEqual(plain);
      expect(wait).toBeLessThanOrEqual(plain * 1.1);
    }
  });
});
