import type { ReportStore } from '../ports.ts';
import { DAY_MS } from './cells.ts';
import { buildReport } from './report.ts';

/** What a sampler (an `optimize` split) needs of each arm: people who opened, who clicked, and conversions. */
export interface ArmCounts {
  arm: string;
  holdout: boolean;
  people: number;
  clickers: number;
  clicks: number;
  conversions: number;
}

/**
 * Per arm of a hero's split (and the holdout), over the last `days` days up
 * to `now`, read from the report aggregates by day: the small read a bandit
 * or Thompson sampler calls before it weights the arms.
 */
export async function readArmCounts(store: ReportStore, blockId: string, now: number, days = 30): Promise<ArmCounts[]> {
  const report = await buildReport(store, { block: blockId, from: now - (days - 1) * DAY_MS, to: now, by: 'day' });
  return report.variants.map((v) => ({ arm: v.variant, holdout: v.holdout, people: v.unique_people, clickers: v.unique_clickers, clicks: v.clicks, conversions: v.conversions }));
}
