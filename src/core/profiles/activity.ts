import type { TrackedEvent } from '../events/normalize.ts';
import { field } from '../events/mapping.ts';
import { ecommerceEvent } from './ecommerce.ts';

/**
 * What the scores are computed from (profiles/scores.ts): bounded lists of
 * when the subscriber visited, opened and clicked, how long and how far they
 * read pages, and when they ordered for how much. Each list keeps its newest
 * entries whatever order events arrive in, so the scores are the same for
 * the same events.
 */
export interface Activity {
  /** UTC day numbers (epoch days) with a visit to the shop, newest first. */
  visitDays: number[];
  /** Email opens and clicks (the events opentime records), newest first. */
  opens: number[];
  clicks: number[];
  /** Pages the snippet reported as read: seconds on the page and the share scrolled (0–1), newest first. */
  pages: Array<{ at: number; dwell: number; scroll: number }>;
  /** Orders: when, and for how much (the order's revenue, else its products' prices), newest first. */
  orders: Array<{ at: number; value: number }>;
}

export const ACTIVITY_LIMITS = { visitDays: 60, opens: 30, clicks: 30, pages: 20, orders: 30 } as const;
/** The snippet's engagement event (data-autocapture="engagement"). */
export const PAGE_ENGAGED = 'Page Engaged';
/** A page read longer than this counts as this long: a tab left open is not attention. */
export const MAX_DWELL_SECONDS = 1800;

const DAY_MS = 86_400_000;

export function emptyActivity(): Activity {
  return { visitDays: [], opens: [], clicks: [], pages: [], orders: [] };
}

/** Keeps the newest `limit`, newest first, one entry per key. */
function newest<T>(items: T[], key: (t: T) => number | string, at: (t: T) => number, limit: number): T[] {
  const seen = new Set<number | string>();
  return items
    .sort((a, b) => at(b) - at(a))
    .filter((t) => {
      const k = key(t);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .slice(0, limit);
}

const VISIT_EVENTS = new Set([
  'productViewed',
  'productClicked',
  'productListViewed',
  'productListFiltered',
  'productsSearched',
  'productAdded',
  'productRemoved',
  'cartViewed',
  'checkoutStarted',
]);

function orderValue(props: Record<string, unknown>): number {
  for (const name of ['revenue', 'total', 'value']) {
    const given = Number(field(props, name));
    if (field(props, name) !== undefined && Number.isFinite(given) && given >= 0) return given;
  }
  let sum = 0;
  const list = field(props, 'products');
  for (const item of Array.isArray(list) ? list.slice(0, 100) : []) {
    if (typeof item !== 'object' || item === null) continue;
    const price = Number(field(item, 'price'));
    const quantity = Number(field(item, 'quantity') ?? 1);
    if (Number.isFinite(price) && price >= 0) sum += price * (Number.isFinite(quantity) && quantity > 0 ? Math.min(quantity, 999) : 1);
  }
  return Math.round(sum * 100) / 100;
}

/** The activity after one event (a new object; `current` is not changed). */
export function recordActivity(current: Activity | undefined, event: TrackedEvent): Activity {
  const a = current ?? emptyActivity();
  const at = event.timestamp;
  const next: Activity = { visitDays: a.visitDays, opens: a.opens, clicks: a.clicks, pages: a.pages, orders: a.orders };
  const visit = () => {
    next.visitDays = newest(
      [Math.floor(at / DAY_MS), ...a.visitDays],
      (d) => d,
      (d) => d,
      ACTIVITY_LIMITS.visitDays,
    );
  };
  if (event.type === 'page') visit();
  if (event.type !== 'track') return next;
  const name = event.event ?? '';
  const kind = ecommerceEvent(name);
  if (name === 'Email Opened')
    next.opens = newest(
      [at, ...a.opens],
      (t) => t,
      (t) => t,
      ACTIVITY_LIMITS.opens,
    );
  else if (name === 'Email Link Clicked')
    next.clicks = newest(
      [at, ...a.clicks],
      (t) => t,
      (t) => t,
      ACTIVITY_LIMITS.clicks,
    );
  else if (name === PAGE_ENGAGED) {
    const dwell = Number(field(event.properties, 'dwell_seconds'));
    const scroll = Number(field(event.properties, 'scroll_depth'));
    if (Number.isFinite(dwell) && dwell >= 0) {
      const page = { at, dwell: Math.min(dwell, MAX_DWELL_SECONDS), scroll: Number.isFinite(scroll) ? Math.min(1, Math.max(0, scroll > 1 ? scroll / 100 : scroll)) : 0 };
      next.pages = newest(
        [page, ...a.pages],
        (p) => `${p.at}|${p.dwell}|${p.scroll}`,
        (p) => p.at,
        ACTIVITY_LIMITS.pages,
      );
    }
    visit();
  } else if (kind === 'orderCompleted') {
    // Two order events at the same moment are one order (a retried send with a new messageId).
    next.orders = newest(
      [{ at, value: orderValue(event.properties) }, ...a.orders],
      (o) => o.at,
      (o) => o.at,
      ACTIVITY_LIMITS.orders,
    );
  } else if (kind !== undefined && VISIT_EVENTS.has(kind)) visit();
  return next;
}

/** Two activities as one (linking an anonymous visitor into a known subscriber). */
export function mergeActivity(a: Activity | undefined, b: Activity | undefined): Activity | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    visitDays: newest(
      [...a.visitDays, ...b.visitDays],
      (d) => d,
      (d) => d,
      ACTIVITY_LIMITS.visitDays,
    ),
    opens: newest(
      [...a.opens, ...b.opens],
      (t) => t,
      (t) => t,
      ACTIVITY_LIMITS.opens,
    ),
    clicks: newest(
      [...a.clicks, ...b.clicks],
      (t) => t,
      (t) => t,
      ACTIVITY_LIMITS.clicks,
    ),
    pages: newest(
      [...a.pages, ...b.pages],
      (p) => `${p.at}|${p.dwell}|${p.scroll}`,
      (p) => p.at,
      ACTIVITY_LIMITS.pages,
    ),
    orders: newest(
      [...a.orders, ...b.orders],
      (o) => o.at,
      (o) => o.at,
      ACTIVITY_LIMITS.orders,
    ),
  };
}
