import { ApiError, get, query } from './api.ts';

/** `GET /v1/reports/blocks/:id` (docs/reports.md): aggregates, never raw opens. */
export interface Money {
  conversions: number;
  revenue: number;
  currency: string | null;
  revenue_by_currency?: Record<string, number>;
}

export interface Metrics extends Money {
  opens_people: number;
  opens_machines: number;
  unique_people: number;
  clicks: number;
  unique_clickers: number;
  click_to_open: number | null;
  view_through?: Money;
}

export interface VariantRow extends Metrics {
  variant: string;
  holdout: boolean;
  conversion_rate: number | null;
  lift: { metric: string; value: number; low: number; high: number } | null;
  probability_best: number | null;
  enough_data: boolean;
}

export interface Report {
  scope: { block?: string; message?: string };
  from: string;
  to: string;
  by: 'hour' | 'day';
  totals: Metrics;
  machines: Record<string, { opens: number; clicks: number; counted_as_people: boolean }>;
  series: Array<Metrics & { bucket: string }>;
  variants: VariantRow[];
  personalised: { opens: number; personal: number; generic: number; fallback: number; share: number | null; why_not: Record<string, number> };
  /** A block's last distinct renders, newest first. */
  gallery?: GalleryEntry[];
  notes: string[];
}

export interface GalleryEntry {
  render: string;
  image: string;
  shown: {
    kind: 'product-grid' | 'hero';
    variant?: string;
    arm?: string;
    products?: Array<{ id: string; title: string; price: number; currency: string; source: string } | null>;
  };
  first_seen: string;
  last_seen: string;
  opens: number;
  clicks: number;
}

const DAY_MS = 86_400_000;

export function reportFor(id: string, from: Date, to: Date, by: 'hour' | 'day', message?: string): Promise<Report> {
  return get<Report>(`/v1/reports/blocks/${encodeURIComponent(id)}${query({ from: from.toISOString(), to: to.toISOString(), by, message })}`);
}

/**
 * People and clicks of the last 7 days for the block list. Where the
 * reports route is not there (an older server), the all-time counters of
 * /v1/stats, said so.
 */
export async function weekTotals(id: string): Promise<{ people: number; clicks: number; allTime?: boolean }> {
  const to = new Date();
  try {
    const report = await reportFor(id, new Date(to.getTime() - 7 * DAY_MS), to, 'day');
    return { people: report.totals.unique_people, clicks: report.totals.clicks };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404 || error.code === 'BLOCK_NOT_FOUND') throw error;
    const { counters } = await get<{ counters: Record<string, number> }>('/v1/stats');
    return { people: counters[`block.${id}.opens`] ?? 0, clicks: counters[`block.${id}.clicks`] ?? 0, allTime: true };
  }
}
