import type { ReportStore } from '../ports.ts';
import { bucketOf } from './cells.ts';

/**
 * Every change of an optimised hero split's allocation, kept beside the
 * block's report aggregates (scope `a:<block>`, one counting cell per entry
 * and arm, one measure per change holding the share in hundredths of a
 * percent): bounded by the same retention, and read by the block report.
 */
export interface AllocationRecord {
  at: number;
  /** The split entry's id. */
  entry: string;
  holdout: number;
  /** Percent of all people, per arm id; with the holdout they add up to 100. */
  arms: Record<string, number>;
}

export function allocationScope(blockId: string): string {
  return `a:${blockId}`;
}

export async function recordAllocation(store: ReportStore, blockId: string, record: AllocationRecord, retentionMs: number): Promise<void> {
  const scope = allocationScope(blockId);
  const bucket = bucketOf(record.at, 'day');
  const shares: Record<string, number> = { ...record.arms, holdout: record.holdout };
  const counts = Object.entries(shares).map(([arm, share]) => ({
    scope,
    unit: 'day' as const,
    bucket,
    cell: `${record.entry}/${arm}`,
    measure: `at:${record.at}`,
    value: Math.round(share * 100),
  }));
  await store.addToReports({ counts, people: [], touches: [], retentionMs }, record.at);
}

/** Every change of allocation of the block's optimised splits from `from` to `to`, oldest first. */
export async function readAllocations(store: ReportStore, blockId: string, from: number, to: number): Promise<AllocationRecord[]> {
  const rows = await store.readReportCounts(allocationScope(blockId), 'day', bucketOf(from, 'day'), to);
  const records = new Map<string, AllocationRecord>();
  for (const row of rows) {
    if (!row.measure.startsWith('at:')) continue;
    const at = Number(row.measure.slice(3));
    const slash = row.cell.lastIndexOf('/');
    if (!Number.isFinite(at) || at < from || at > to || slash < 0) continue;
    const entry = row.cell.slice(0, slash);
    const arm = row.cell.slice(slash + 1);
    const key = `${at}/${entry}`;
    const record = records.get(key) ?? { at, entry, holdout: 0, arms: {} };
    if (arm === 'holdout') record.holdout = row.value / 100;
    else record.arms[arm] = row.value / 100;
    records.set(key, record);
  }
  return [...records.values()].sort((a, b) => a.at - b.at || a.entry.localeCompare(b.entry));
}
