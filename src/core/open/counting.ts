import type { RequesterClass } from '../audience/requester.ts';
import type { ErrorCode } from '../shared/errors.ts';
import type { OpenFact } from '../reports/facts.ts';
import type { OpenWrites } from './writes.ts';

export type OpenOutcome = 'personal' | 'generic' | 'fallback';

/** What reports need of an open beyond its counters (core/reports/): left out when the subscriber was past their rate limit. */
export type OpenReport = Omit<OpenFact, 'blockId' | 'requester' | 'at'>;

/**
 * The one counting rule of every open, whatever the kind and whatever was
 * served: by requester class; a machine's fetch as `opens.machine` only; a
 * person's as `opens`, `opens.<outcome>` and `block.<id>.opens` (no block
 * counter when no block could be read). With `report`, the open goes to
 * the report aggregates too, once.
 */
export function countOpen(
  writes: OpenWrites,
  who: { machine: boolean; requester?: RequesterClass | undefined },
  outcome: OpenOutcome,
  blockId: string | undefined,
  report?: OpenReport,
): void {
  if (report && blockId !== undefined && who.requester) writes.reportOpen({ ...report, blockId, requester: who.requester, at: writes.now() });
  for (const name of openCounters(who, outcome, blockId)) writes.count(name);
}

/** The counters an open adds one to (see countOpen). */
export function openCounters(who: { machine: boolean; requester?: RequesterClass | undefined }, outcome: OpenOutcome, blockId: string | undefined): string[] {
  const names = who.requester ? [`opens.by.${who.requester}`] : [];
  if (who.machine) names.push('opens.machine');
  else {
    names.push('opens', `opens.${outcome}`);
    if (blockId !== undefined) names.push(`block.${blockId}.opens`);
  }
  return names;
}

/**
 * How an answer given again (the answer memo) is counted: as the open it
 * repeats, by the same rule, with its counter names and its report fact
 * made once for all its repeats.
 */
export interface OpenTally {
  counters: readonly string[];
  fact: OpenFact | undefined;
}

export function tallyOf(who: { machine: boolean; requester?: RequesterClass | undefined }, outcome: OpenOutcome, blockId: string, report: OpenReport, at: number): OpenTally {
  return { counters: openCounters(who, outcome, blockId), fact: who.requester ? { ...report, blockId, requester: who.requester, at } : undefined };
}

export function countTally(writes: OpenWrites, tally: OpenTally): void {
  if (tally.fact) writes.reportOpenAgain(tally.fact, writes.now());
  for (const name of tally.counters) writes.count(name);
}

/** Why an open fell back, as reports name it. */
export function fallbackWhy(code: ErrorCode | undefined): string {
  if (code === 'STORE_TIMEOUT' || code === 'STORE_UNAVAILABLE') return 'fallback:store_slow';
  if (code === 'IMAGE_FETCH_FAILED') return 'fallback:photo_failed';
  return 'fallback:error';
}
