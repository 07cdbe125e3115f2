import type { Activity } from './activity.ts';

/**
 * Scores from a profile's activity at a moment: pure and deterministic (the
 * same activity and moment give the same scores), recomputed at every event
 * (kept in the profile as of its latest event) and at every open (as facts
 * of that moment). docs/profiles.md#scores explains each to a marketer.
 */
export interface Scores {
  /** 0–100: recency, frequency and depth of attention. */
  engagement_score: number;
  engagement_tier: 'high' | 'medium' | 'low';
  /** Recency, frequency and monetary value, each 1–5 (null without an order). */
  rfm_recency: number | null;
  rfm_frequency: number | null;
  rfm_monetary: number | null;
  rfm_segment: RfmSegment;
  /** The median number of days between the subscriber's orders (null with fewer than two). */
  purchase_interval_days: number | null;
  /** Days until the next order is due by that interval: 0 when it is due or overdue (null with fewer than two orders). */
  days_to_next_purchase: number | null;
}

export type RfmSegment = 'champions' | 'loyal' | 'potential_loyalist' | 'new_customer' | 'needs_attention' | 'at_risk' | 'hibernating' | 'prospect';

const DAY_MS = 86_400_000;

/** Engagement: the points of each part (they add up to 100). */
export const ENGAGEMENT_POINTS = { recency: 40, visits: 15, opens: 10, clicks: 10, dwell: 15, scroll: 10 } as const;
/** The last-activity recency halves its points every this many days. */
export const RECENCY_HALF_LIFE_DAYS = 14;
/** Frequency and depth look at this many days back. */
export const ENGAGEMENT_WINDOW_DAYS = 30;
/** Full points at this many visit days, opens, clicks in the window, and at this average dwell. */
export const ENGAGEMENT_FULL = { visits: 10, opens: 10, clicks: 5, dwellSeconds: 120 } as const;
export const TIER_AT_LEAST = { high: 60, medium: 30 } as const;

/**
 * RFM breakpoints. Each is fixed rather than taken from the shop's own
 * customers, so that one subscriber's score never moves because of others;
 * they follow the quintiles of a typical e-commerce customer base.
 */
export const RFM_RECENCY_DAYS = [14, 30, 90, 180] as const; // ≤14 days → 5 … >180 → 1
export const RFM_FREQUENCY_ORDERS = [2, 3, 5, 10] as const; // 1 order → 1 … ≥10 → 5
export const RFM_MONETARY_VALUE = [50, 150, 400, 1000] as const; // <50 → 1 … ≥1000 → 5

const days = (ms: number) => ms / DAY_MS;

function engagement(activity: Activity, now: number): number {
  const last = Math.max(
    activity.visitDays[0] !== undefined ? (activity.visitDays[0] + 1) * DAY_MS - 1 : -Infinity,
    activity.opens[0] ?? -Infinity,
    activity.clicks[0] ?? -Infinity,
  );
  const since = Number.isFinite(last) ? Math.max(0, days(now - Math.min(last, now))) : Infinity;
  const from = now - ENGAGEMENT_WINDOW_DAYS * DAY_MS;
  const visits = activity.visitDays.filter((d) => (d + 1) * DAY_MS > from && d * DAY_MS <= now).length;
  const opens = activity.opens.filter((t) => t > from && t <= now).length;
  const clicks = activity.clicks.filter((t) => t > from && t <= now).length;
  const pages = activity.pages.filter((p) => p.at > from && p.at <= now);
  const dwell = pages.length === 0 ? 0 : pages.reduce((n, p) => n + p.dwell, 0) / pages.length;
  const scroll = pages.length === 0 ? 0 : pages.reduce((n, p) => n + p.scroll, 0) / pages.length;
  const P = ENGAGEMENT_POINTS;
  const points =
    (Number.isFinite(since) ? P.recency * 0.5 ** (since / RECENCY_HALF_LIFE_DAYS) : 0) +
    P.visits * Math.min(1, visits / ENGAGEMENT_FULL.visits) +
    P.opens * Math.min(1, opens / ENGAGEMENT_FULL.opens) +
    P.clicks * Math.min(1, clicks / ENGAGEMENT_FULL.clicks) +
    P.dwell * Math.min(1, dwell / ENGAGEMENT_FULL.dwellSeconds) +
    P.scroll * scroll;
  return Math.round(points);
}

/** 5 for a value within the first breakpoint, down to 1 past the last (`ascending`: 1 below the first, up to 5). */
function band(value: number, breakpoints: readonly number[], ascending: boolean): number {
  const index = breakpoints.findIndex((b) => (ascending ? value < b : value <= b));
  const position = index === -1 ? breakpoints.length : index;
  return ascending ? position + 1 : 5 - position;
}

function segment(r: number, f: number): RfmSegment {
  if (r >= 4 && f >= 4) return 'champions';
  if (r >= 4 && f >= 2) return 'potential_loyalist';
  if (r >= 4) return 'new_customer';
  if (r === 3 && f >= 4) return 'loyal';
  if (r <= 2 && f >= 3) return 'at_risk';
  if (r <= 2) return 'hibernating';
  return 'needs_attention';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function scoresOf(activity: Activity | undefined, orders: number, now: number): Scores {
  const a = activity ?? { visitDays: [], opens: [], clicks: [], pages: [], orders: [] };
  const engagementScore = engagement(a, now);
  const tier = engagementScore >= TIER_AT_LEAST.high ? 'high' : engagementScore >= TIER_AT_LEAST.medium ? 'medium' : 'low';
  const past = a.orders.filter((o) => o.at <= now);
  const scores: Scores = {
    engagement_score: engagementScore,
    engagement_tier: tier,
    rfm_recency: null,
    rfm_frequency: null,
    rfm_monetary: null,
    rfm_segment: 'prospect',
    purchase_interval_days: null,
    days_to_next_purchase: null,
  };
  const latest = past[0];
  if (latest === undefined) return scores;
  // Orders counted before activity was kept still count towards frequency.
  const count = Math.max(orders, past.length);
  const r = band(days(now - latest.at), RFM_RECENCY_DAYS, false);
  const f = band(count, RFM_FREQUENCY_ORDERS, true);
  const m = band(
    past.reduce((n, o) => n + o.value, 0),
    RFM_MONETARY_VALUE,
    true,
  );
  Object.assign(scores, { rfm_recency: r, rfm_frequency: f, rfm_monetary: m, rfm_segment: segment(r, f) });
  if (past.length >= 2) {
    const intervals = past.slice(0, -1).map((o, i) => days(o.at - (past[i + 1] as { at: number }).at));
    const interval = median(intervals);
    scores.purchase_interval_days = Math.round(interval * 10) / 10;
    scores.days_to_next_purchase = Math.max(0, Math.ceil(interval - days(now - latest.at)));
  }
  return scores;
}
