import { ApiError, get, query } from './api.ts';

/** `GET /v1/reports/blocks/:id` (docs/reports.md): aggregates, never raw opens. */
export interface Totals {
  opens_people: number;
  opens_machines: number;
  unique_people: number;
  clicks: number;
  unique_clickers: number;
  click_to_open: number | null;
  conversions: number;
  revenue: number;
  currency?: string;
  view_through?: number;
}

export interface VariantRow extends Partial<Totals> {
  variant?: string;
  arm?: string;
  id?: string;
  lift?: number | null | { value?: number; low?: number; high?: number };
  lift_interval?: [number, number];
  probability_best?: number | null;
}

export interface Report {
  block: string;
  from?: string;
  to?: string;
  totals: Totals;
  machines?: Record<string, number>;
  series: Array<Partial<Totals> & { bucket: string }>;
  variants?: VariantRow[];
  personalised?: { share?: number; personal?: number; generic?: number; reasons?: Record<string, number> } & Record<string, unknown>;
  gallery?: Array<{ image_url?: string; url?: string; label?: string; opens?: number } & Record<string, unknown>>;
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
