import { describe, expect, it } from 'vitest';
import { facts } from '../../../src/core/decide/facts.ts';
import type { TrackedEvent } from '../../../src/core/events/normalize.ts';
import { reduceProfile } from '../../../src/core/profiles/reducer.ts';
import { scoresOf } from '../../../src/core/profiles/scores.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
let n = 0;
const track = (event: string, properties: Record<string, unknown>, at: number): TrackedEvent => ({
  type: 'track',
  messageId: `m${++n}`,
  userId: 'u',
  event,
  properties,
  traits: {},
  timestamp: at,
  receivedAt: at,
  context: {},
});
const order = (at: number, revenue: number) => track('Order Completed', { order_id: `o${at}`, revenue, products: [{ product_id: 'p' }] }, at);
const scoresAt = (events: TrackedEvent[], now = NOW) => {
  const profile = reduceProfile(undefined, events);
  return scoresOf(profile.activity, profile.orders, now);
};

describe('scores: engagement', () => {
  it('is high for a subscriber who visits, opens, clicks and reads pages through, and low for one long gone', () => {
    const busy: TrackedEvent[] = [];
    for (let d = 0; d < 12; d++) {
      busy.push(track('Product Viewed', { product_id: `p${d}` }, NOW - d * DAY));
      busy.push(track('Email Opened', {}, NOW - d * DAY - 1000));
      busy.push(track('Page Engaged', { dwell_seconds: 150, scroll_depth: 0.9 }, NOW - d * DAY - 2000));
      if (d < 6) busy.push(track('Email Link Clicked', {}, NOW - d * DAY - 3000));
    }
    expect(scoresAt(busy)).toMatchObject({ engagement_tier: 'high' });
    expect(scoresAt(busy).engagement_score).toBeGreaterThanOrEqual(95);
    const gone = scoresAt([track('Product Viewed', { product_id: 'p' }, NOW - 120 * DAY)]);
    expect(gone).toMatchObject({ engagement_tier: 'low' });
    expect(gone.engagement_score).toBe(0);
  });

  it('counts dwell time and scroll depth from the snippet’s Page Engaged events', () => {
    const skim = scoresAt([track('Page Engaged', { dwell_seconds: 5, scroll_depth: 10 }, NOW)]);
    const read = scoresAt([track('Page Engaged', { dwell_seconds: 120, scroll_depth: 100 }, NOW)]);
    // 15 points for dwell (5 s of 120) and 10 for scroll (10% of 100%), each score rounded on its own.
    expect(Math.abs(read.engagement_score - skim.engagement_score - (15 * (1 - 5 / 120) + 10 * 0.9))).toBeLessThanOrEqual(1);
  });

  it('is the same whatever order the events arrive in', () => {
    const events = [track('Email Opened', {}, NOW - 3 * DAY), track('Product Viewed', { product_id: 'a' }, NOW - DAY), order(NOW - 10 * DAY, 80), order(NOW - 40 * DAY, 20)];
    const forwards = reduceProfile(reduceProfile(undefined, events.slice(0, 2)), events.slice(2));
    const backwards = reduceProfile(reduceProfile(undefined, events.slice(2)), events.slice(0, 2));
    expect(scoresOf(backwards.activity, backwards.orders, NOW)).toEqual(scoresOf(forwards.activity, forwards.orders, NOW));
  });
});

describe('scores: RFM', () => {
  it('is a prospect before any order', () => {
    expect(scoresAt([track('Product Viewed', { product_id: 'a' }, NOW)])).toMatchObject({ rfm_segment: 'prospect', rfm_recency: null, days_to_next_purchase: null });
  });

  it('bands recency, frequency and monetary value from 1 to 5 and names the segment', () => {
    const champion = Array.from({ length: 10 }, (_, i) => order(NOW - i * 7 * DAY - DAY, 120));
    expect(scoresAt(champion)).toMatchObject({ rfm_recency: 5, rfm_frequency: 5, rfm_monetary: 5, rfm_segment: 'champions' });
    expect(scoresAt([order(NOW - 2 * DAY, 30)])).toMatchObject({ rfm_recency: 5, rfm_frequency: 1, rfm_monetary: 1, rfm_segment: 'new_customer' });
    const lapsed = [order(NOW - 200 * DAY, 200), order(NOW - 260 * DAY, 200), order(NOW - 300 * DAY, 200)];
    expect(scoresAt(lapsed)).toMatchObject({ rfm_recency: 1, rfm_frequency: 3, rfm_monetary: 4, rfm_segment: 'at_risk' });
  });
});

describe('scores: expected days to the next purchase', () => {
  it('is the median interval between the subscriber’s own orders less the days since the last', () => {
    const events = [order(NOW - 5 * DAY, 10), order(NOW - 35 * DAY, 10), order(NOW - 65 * DAY, 10), order(NOW - 125 * DAY, 10)];
    expect(scoresAt(events)).toMatchObject({ purchase_interval_days: 30, days_to_next_purchase: 25 });
    expect(scoresAt(events, NOW + 40 * DAY)).toMatchObject({ days_to_next_purchase: 0 });
  });
});

describe('scores as facts', () => {
  it('are what hero rules read as profile.*, as of the open', () => {
    const profile = reduceProfile(undefined, [order(NOW - 40 * DAY, 90), order(NOW - 10 * DAY, 90)]);
    const f = facts(profile, new Map(), { now: NOW, timezone: 'UTC', params: {} });
    expect(f.profile).toMatchObject({ rfm_segment: 'potential_loyalist', purchase_interval_days: 30, days_to_next_purchase: 20 });
    expect(reduceProfile(undefined, [order(NOW, 1)]).scores?.rfm_segment).toBe('new_customer');
  });
});
