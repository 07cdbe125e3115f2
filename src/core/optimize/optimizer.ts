import type { HeroBlock, SplitEntry } from '../blocks/hero.ts';
import { splitPoint } from '../decide/hero.ts';
import type { BackgroundRunner, Clock, Logger, ReportStore } from '../ports.ts';
import { readArmCounts, type ArmCounts } from '../reports/arms.ts';
import { readAllocations, recordAllocation } from '../reports/allocations.ts';
import { DAY_MS } from '../reports/cells.ts';
import { allocate, type Allocation } from '../recommend/sampler.ts';

/**
 * `optimize` on a hero split: the allocation (each arm's share of the next
 * people) is computed here, off the request path, from the report
 * aggregates (people only: Apple's prefetch, proxies' repeats, scanners and
 * previews are never in them), at most every `every_minutes`, and kept per
 * instance. Deciding stays pure: it is handed the allocation. Every
 * change is kept in the store (reports/allocations.ts).
 */

/** How many days of results the sampler reads: conversions count as attributed so far. */
export const RESULT_DAYS = 30;
/** How far back the latest stored allocation is looked for (every_minutes is at most a day). */
const LATEST_LOOKBACK_MS = 2 * DAY_MS;
/** After a failed read, or while another instance computes, look again this soon. */
const RETRY_MS = 10_000;

/** The sampler's answer for a split, from the arms' counts (arms nobody has seen yet count as empty). */
export function sampleAllocation(entry: SplitEntry, counts: readonly ArmCounts[], seed: number): Allocation {
  const goal = entry.split.optimize?.goal ?? 'clicks';
  const byArm = new Map(counts.filter((c) => !c.holdout).map((c) => [c.arm, c]));
  const arms = entry.split.arms.map((arm) => {
    const seen = byArm.get(arm.id);
    return { id: arm.id, people: seen?.people ?? 0, successes: (goal === 'clicks' ? seen?.clickers : seen?.conversions) ?? 0 };
  });
  const allocation = allocate(arms, { holdout: entry.split.holdout, floor: entry.split.optimize?.floor ?? 0.05, seed });
  return { holdout: allocation.holdout, arms: Object.fromEntries(Object.entries(allocation.arms).map(([id, share]) => [id, hundredths(share)])) };
}

function hundredths(share: number): number {
  return Math.round(share * 100) / 100;
}

/** Whether an allocation still fits the entry (the block may have been edited since). */
export function fitsEntry(allocation: Pick<Allocation, 'holdout' | 'arms'>, entry: SplitEntry): boolean {
  const ids = Object.keys(allocation.arms);
  return allocation.holdout === entry.split.holdout && ids.length === entry.split.arms.length && entry.split.arms.every((arm) => arm.id in allocation.arms);
}

function sameShares(a: Pick<Allocation, 'holdout' | 'arms'>, b: Pick<Allocation, 'holdout' | 'arms'>): boolean {
  const ids = Object.keys(a.arms);
  return a.holdout === b.holdout && ids.length === Object.keys(b.arms).length && ids.every((id) => a.arms[id] === b.arms[id]);
}

export interface OptimizerDeps {
  store: ReportStore;
  clock: Clock;
  background: BackgroundRunner;
  logger: Logger;
  retentionMs: number;
  /** False for previews: they read the stored allocation and never compute or store one. */
  writes: boolean;
}

interface Cached {
  allocation?: Allocation;
  checkAfter: number;
  pending: boolean;
}

/** The allocations of the optimised splits, one cache per instance, refreshed in the background. */
export class Optimizer {
  private readonly cache = new Map<string, Cached>();
  private readonly deps: OptimizerDeps;

  constructor(deps: OptimizerDeps) {
    this.deps = deps;
  }

  /**
   * The current allocation of each optimised split of the block, by entry id,
   * from this instance's cache; a split without one yet (or with one that no
   * longer fits the block) is left out, and its weights hold. A stale or
   * missing one is refreshed after the response.
   */
  current(block: HeroBlock): Map<string, Allocation> {
    const now = this.deps.clock.now();
    const allocations = new Map<string, Allocation>();
    for (const entry of optimisedSplits(block)) {
      const key = cacheKey(block.id, entry.id);
      const cached = this.cache.get(key);
      if (cached?.allocation && fitsEntry(cached.allocation, entry)) allocations.set(entry.id, cached.allocation);
      if (cached?.pending || (cached && cached.checkAfter > now && (cached.allocation === undefined || fitsEntry(cached.allocation, entry)))) continue;
      const marked: Cached = { ...cached, checkAfter: now + RETRY_MS, pending: true };
      this.cache.set(key, marked);
      this.deps.background(
        this.refresh(block, entry, false).catch((error: unknown) => {
          this.cache.set(key, { ...this.cache.get(key), checkAfter: this.deps.clock.now() + RETRY_MS, pending: false });
          this.deps.logger.warn('could not refresh a split’s allocation', { block: block.id, entry: entry.id, error: (error as Error).message });
        }),
      );
    }
    return allocations;
  }

  /**
   * For a preview, which should show what a subscriber would see: the cached
   * allocation while it is fresh, else the stored one, read now. A failed
   * read leaves the split to its weights.
   */
  async read(block: HeroBlock): Promise<Map<string, Allocation>> {
    const now = this.deps.clock.now();
    const allocations = new Map<string, Allocation>();
    for (const entry of optimisedSplits(block)) {
      const cached = this.cache.get(cacheKey(block.id, entry.id));
      const fresh = cached?.allocation && fitsEntry(cached.allocation, entry) && cached.checkAfter > now ? cached.allocation : undefined;
      const allocation = fresh ?? (await this.refresh(block, entry, false).catch(() => undefined));
      if (allocation) allocations.set(entry.id, allocation);
    }
    return allocations;
  }

  /** Computes every optimised split's allocation now, whatever its age (`POST /v1/reports/blocks/:id/allocations`). */
  async refreshNow(block: HeroBlock): Promise<Map<string, Allocation>> {
    const allocations = new Map<string, Allocation>();
    for (const entry of optimisedSplits(block)) {
      const allocation = await this.refresh(block, entry, true);
      if (allocation) allocations.set(entry.id, allocation);
    }
    return allocations;
  }

  /**
   * Adopts the stored allocation while it is younger than `every_minutes`;
   * else the one instance that claims this period computes a new one from
   * the results so far and stores it when it changed (the others adopt it
   * when they look again).
   */
  private async refresh(block: HeroBlock, entry: SplitEntry, force: boolean): Promise<Allocation | undefined> {
    const { store, clock } = this.deps;
    const key = cacheKey(block.id, entry.id);
    const every = (entry.split.optimize?.every_minutes ?? 15) * 60_000;
    const now = clock.now();
    const adopt = (allocation: Allocation | undefined, checkAfter: number) => {
      const fits = allocation !== undefined && fitsEntry(allocation, entry);
      this.cache.set(key, { ...(fits ? { allocation } : {}), checkAfter, pending: false });
      return fits ? allocation : undefined;
    };
    // Ahead of now too: a change stored within this millisecond (a forced refresh) is one later.
    const latest = (await readAllocations(store, block.id, now - LATEST_LOOKBACK_MS, now + DAY_MS)).filter((r) => r.entry === entry.id).at(-1);
    const stored = latest ? { holdout: latest.holdout, arms: latest.arms } : undefined;
    const fresh = latest !== undefined && now - latest.at < every && stored !== undefined && fitsEntry(stored, entry);
    if (!this.deps.writes || (fresh && !force)) return adopt(stored, fresh && latest ? latest.at + every : now + Math.min(every, RETRY_MS));
    const period = Math.floor(now / every);
    // Per period and per shape of the split: an edited split gets its own allocation at once.
    const shape = `${entry.split.holdout}:${entry.split.arms.map((arm) => arm.id).join(',')}`;
    if (!force && !(await store.claimOnce(`allocate:${block.id}/${entry.id}:${period}:${shape}`, now, Math.ceil(every / 1000) * 2))) {
      return adopt(stored, now + Math.min(every, RETRY_MS));
    }
    const counts = await readArmCounts(store, block.id, now, RESULT_DAYS);
    const allocation = sampleAllocation(entry, counts, Math.floor(splitPoint(String(period), `${block.id}/${entry.id}`) * 0x7fffffff));
    if (!stored || !fitsEntry(stored, entry) || !sameShares(stored, allocation)) {
      // One measure per change: a second change within the same millisecond goes one later.
      const at = latest && latest.at >= now ? latest.at + 1 : now;
      await recordAllocation(store, block.id, { at, entry: entry.id, ...allocation }, this.deps.retentionMs);
    }
    return adopt(allocation, now + every);
  }
}

function optimisedSplits(block: HeroBlock): SplitEntry[] {
  return block.variants.filter((entry): entry is SplitEntry => 'split' in entry && entry.split.optimize !== undefined);
}

function cacheKey(blockId: string, entryId: string): string {
  return `${blockId}/${entryId}`;
}
