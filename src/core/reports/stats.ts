import { probabilityBest as chancesOfBest, seededUniform } from '../recommend/sampler.ts';

/**
 * The statistics a marketer reads off a split: the lift of a variant over
 * the holdout with a 95 % interval, and the probability that each arm is
 * best. Rates are successes (conversions, or clicks) per person who opened.
 */
export interface Rate {
  successes: number;
  trials: number;
}

export interface Lift {
  /** Relative: 0.25 is 25 % better than the holdout. */
  value: number;
  low: number;
  high: number;
}

const Z95 = 1.959964;

/** Relative lift of `arm` over `control` with a 95 % interval (log risk ratio; +½ when a count is 0); null without trials. */
export function relativeLift(arm: Rate, control: Rate): Lift | null {
  if (arm.trials <= 0 || control.trials <= 0) return null;
  const zero = arm.successes === 0 || control.successes === 0;
  const sa = arm.successes + (zero ? 0.5 : 0);
  const sc = control.successes + (zero ? 0.5 : 0);
  const na = arm.trials + (zero ? 1 : 0);
  const nc = control.trials + (zero ? 1 : 0);
  const ratio = sa / na / (sc / nc);
  const se = Math.sqrt(Math.max(0, 1 / sa - 1 / na + 1 / sc - 1 / nc));
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  const observed = control.successes > 0 ? arm.successes / arm.trials / (control.successes / control.trials) : ratio;
  return { value: round(observed - 1), low: round(ratio * Math.exp(-Z95 * se) - 1), high: round(ratio * Math.exp(Z95 * se) - 1) };
}

const DRAWS = 4000;

/** For each arm, the probability that its rate is the highest (uniform priors; the sampler's draws, with a fixed seed so the same counts give the same figures). */
export function probabilityBest(arms: readonly Rate[]): number[] {
  if (arms.length === 0) return [];
  const counts = arms.map((arm, i) => ({ id: String(i), people: arm.trials, successes: arm.successes }));
  return chancesOfBest(counts, DRAWS, seededUniform(0x5eed)).map((p) => Math.round(p * 1000) / 1000);
}

/** Below these, a split's numbers are shown but said to be too few to tell. */
export const MIN_PEOPLE_PER_GROUP = 100;
export const MIN_SUCCESSES = 10;

export function enoughData(groups: readonly Rate[]): boolean {
  const successes = groups.reduce((n, g) => n + g.successes, 0);
  return groups.length >= 2 && groups.every((g) => g.trials >= MIN_PEOPLE_PER_GROUP) && successes >= MIN_SUCCESSES;
}
