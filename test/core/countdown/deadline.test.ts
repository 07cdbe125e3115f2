import { describe, expect, it } from 'vitest';
import { deadlineSchema, type Deadline } from '../../../src/core/blocks/countdown.ts';
import { lastEventTime, parseQueryDeadline, resolveDeadline, type DeadlineInputs } from '../../../src/core/countdown/deadline.ts';
import { profileWith } from '../fixtures.ts';

const CHECKOUT = Date.parse('2026-06-01T10:15:30.500Z');

function inputs(query: Record<string, string> = {}, lastEventAt: Record<string, number> = {}): DeadlineInputs & { profileReads: number } {
  const result = {
    profileReads: 0,
    query: (name: string) => query[name],
    profile: async () => {
      result.profileReads++;
      return profileWith({ lastEventAt });
    },
  };
  return result;
}

const resolve = (deadline: unknown, given = inputs()) => resolveDeadline(deadlineSchema.parse(deadline) as Deadline, given);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('resolveDeadline', () => {
  it('reads a fixed instant and a wall-clock time in a zone, to the second', async () => {
    expect(await resolve('2026-12-24T23:59:00-05:00')).toEqual({ at: Date.parse('2026-12-25T04:59:00Z'), source: 'fixed' });
    expect(await resolve('2026-12-24T23:59:00.900Z')).toEqual({ at: Date.parse('2026-12-24T23:59:00Z'), source: 'fixed' });
    expect(await resolve({ at: '2026-12-24T23:59', zone: 'Europe/Berlin' })).toEqual({ at: Date.parse('2026-12-24T22:59:00Z'), source: 'fixed' });
  });

  it('takes a per-recipient deadline from the URL parameter the block names, ISO or epoch seconds', async () => {
    const deadline = { query: 'ends' };
    expect(await resolve(deadline, inputs({ ends: '2026-07-01T00:00:00+02:00' }))).toEqual({ at: Date.parse('2026-06-30T22:00:00Z'), source: 'query' });
    expect(await resolve(deadline, inputs({ ends: '1782864000' }))).toEqual({ at: 1782864000_000, source: 'query' });
  });

  it('uses the fallback deadline when the URL parameter is missing or unusable, and nothing when there is none', async () => {
    const withFallback = { query: 'ends', fallback: { at: '2026-07-01T00:00', zone: 'America/New_York' } };
    const queries: Array<Record<string, string>> = [{}, { ends: 'soon' }, { ends: '2026-07-01T00:00' }, { ends: '99999999999999' }, { ends: '1900-01-01T00:00:00Z' }];
    for (const query of queries) {
      expect(await resolve(withFallback, inputs(query))).toEqual({ at: Date.parse('2026-07-01T04:00:00Z'), source: 'fallback' });
      expect(await resolve({ query: 'ends' }, inputs(query))).toBeUndefined();
    }
  });

  it('counts from an event in the profile plus the offset', async () => {
    const given = inputs({}, { 'Checkout Started': CHECKOUT });
    expect(await resolve({ after: 'Checkout Started', hours: 48 }, given)).toEqual({ at: Date.parse('2026-06-03T10:15:30Z'), source: 'event' });
    expect(await resolve({ after: 'checkout_started', days: 1, hours: 1, minutes: 30 }, given)).toEqual({ at: Date.parse('2026-06-02T11:45:30Z'), source: 'event' });
    expect(given.profileReads).toBe(2);
  });

  it('matches custom event names exactly and e-commerce names as the reducer stores them', () => {
    const profile = profileWith({ lastEventAt: { 'Checkout Started': 1, 'Webinar Registered': 2 } });
    expect(lastEventTime(profile, 'checkout started')).toBe(1);
    expect(lastEventTime(profile, 'Webinar Registered')).toBe(2);
    expect(lastEventTime(profile, 'webinar registered')).toBeUndefined();
    expect(lastEventTime(undefined, 'Checkout Started')).toBeUndefined();
  });

  it('falls back when the subscriber never sent the event', async () => {
    const fallback = '2026-06-10T00:00:00Z';
    expect(await resolve({ after: 'Checkout Started', hours: 48, fallback }, inputs({}, {}))).toEqual({ at: Date.parse(fallback), source: 'fallback' });
    expect(await resolve({ after: 'Checkout Started', hours: 48 }, inputs({}, {}))).toBeUndefined();
  });

  it('reads the profile only for event deadlines', async () => {
    const given = inputs({ ends: '1782864000' });
    await resolve('2026-12-24T23:59:00Z', given);
    await resolve({ query: 'ends' }, given);
    expect(given.profileReads).toBe(0);
  });
});

describe('parseQueryDeadline', () => {
  it('accepts ISO times with Z or an offset and epoch seconds, nothing else', () => {
    expect(iso(parseQueryDeadline('2026-07-01T10:00:00Z'))).toBe('2026-07-01T10:00:00.000Z');
    expect(iso(parseQueryDeadline('2026-07-01T10:00+0530'))).toBe('2026-07-01T04:30:00.000Z');
    expect(iso(parseQueryDeadline(' 1782864000 '))).toBe('2026-07-01T00:00:00.000Z');
    for (const bad of ['', 'tomorrow', '2026-07-01', '2026-07-01T10:00', '1782864000000', '-1', '1e9', undefined]) {
      expect(parseQueryDeadline(bad)).toBeUndefined();
    }
  });
});
