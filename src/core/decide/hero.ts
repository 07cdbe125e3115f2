import jsonLogic from 'json-logic-js';
import type { HeroBlock, Variant } from '../blocks/hero.ts';
import type { Allocation } from '../recommend/sampler.ts';
import type { Facts } from './facts.ts';

// `method` calls arbitrary methods of values: no rule needs it, and no rule may run code.
jsonLogic.rm_operation('method');

/** Which variant a hero shows, and why (for the open record and the stats). */
export interface HeroChoice {
  variant: Variant;
  /** The entry that matched (`default` when none did). */
  entry: string;
  /** For a split: the arm, or `holdout`. */
  arm?: string;
  /** For a split: the arm's share of the split's people when chosen, in percent (an optimised split's current allocation). */
  share?: number;
}

/** A stable number in [0, 1) for (subscriber, block): the same subscriber always lands in the same arm. */
export function splitPoint(subjectKey: string, blockId: string): number {
  // FNV-1a, 32-bit, then a final avalanche so nearby ids spread out.
  let hash = 0x811c9dc5;
  for (const char of `${blockId}\u0000${subjectKey}`) {
    hash ^= char.codePointAt(0) as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}

export function matches(rule: Record<string, unknown> | undefined, data: Facts): boolean {
  if (rule === undefined) return true;
  return Boolean(jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
}

/**
 * The first entry whose rule matches wins. A split divides by a stable hash
 * of the subscriber (anonymous opens all land at one point, so they see one
 * arm consistently) into its cumulative shares: the weights, or for an
 * optimised split its current allocation (by entry id) when it has one, so
 * a subscriber keeps an arm while the shares hold. The holdout share gets
 * the default variant.
 */
export function chooseVariant(block: HeroBlock, data: Facts, subjectKey: string | undefined, allocations?: ReadonlyMap<string, Allocation>): HeroChoice {
  for (const entry of block.variants) {
    if (!matches(entry.when, data)) continue;
    if (!('split' in entry)) {
      const { when: _when, ...variant } = entry;
      return { variant, entry: entry.id };
    }
    const { holdout, arms } = entry.split;
    const point = splitPoint(subjectKey ?? 'anonymous', block.id) * 100;
    if (point < holdout) return { variant: block.default, entry: entry.id, arm: 'holdout', share: holdout };
    const allocation = allocations?.get(entry.id);
    const allocated = allocation ? arms.map((arm) => allocation.arms[arm.id] ?? 0) : [];
    const weights = allocated.reduce((n, w) => n + w, 0) > 0 ? allocated : arms.map((arm) => arm.weight);
    const total = weights.reduce((n, w) => n + w, 0);
    let at = ((point - holdout) / (100 - holdout)) * total;
    for (const [k, arm] of arms.entries()) {
      const weight = weights[k] as number;
      at -= weight;
      if (at < 0 || k === arms.length - 1) {
        const { weight: _weight, ...variant } = arm;
        return { variant, entry: entry.id, arm: arm.id, share: Math.round((weight / total) * (100 - holdout) * 100) / 100 };
      }
    }
  }
  return { variant: block.default, entry: 'default' };
}

/** A variant by id: a plain entry, a split's arm, or the default. */
export function findVariant(block: HeroBlock, id: string): Variant | undefined {
  if (block.default.id === id) return block.default;
  for (const entry of block.variants) {
    if ('split' in entry) {
      const arm = entry.split.arms.find((a) => a.id === id);
      if (arm) {
        const { weight: _weight, ...variant } = arm;
        return variant;
      }
    } else if (entry.id === id) {
      const { when: _when, ...variant } = entry;
      return variant;
    }
  }
  return undefined;
}

/** Problems with a block's rules (unknown operations), by JSON path, for validation. */
export function ruleProblems(block: HeroBlock, sample: Facts): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (block.prefetch && !findVariant(block, block.prefetch.variant)) {
    problems.push({ path: 'prefetch.variant', message: `no variant named ${JSON.stringify(block.prefetch.variant)}` });
  }
  block.variants.forEach((entry, i) => {
    const optimize = 'split' in entry ? entry.split.optimize : undefined;
    if (optimize && 'split' in entry && optimize.floor * entry.split.arms.length > 1) {
      problems.push({
        path: `variants[${i}].split.optimize.floor`,
        message: `must be at most ${Math.floor(100 / entry.split.arms.length) / 100} with ${entry.split.arms.length} arms (each arm keeps the floor)`,
      });
    }
    if (entry.when === undefined) return;
    try {
      jsonLogic.apply(entry.when as jsonLogic.RulesLogic, sample);
    } catch (error) {
      problems.push({ path: `variants[${i}].when`, message: `is not a JSONLogic rule opentime can run: ${(error as Error).message}` });
    }
  });
  return problems;
}
