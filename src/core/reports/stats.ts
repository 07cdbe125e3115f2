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

/** A fixed-seed generator, so that the same counts always give the same probabilities. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Marsaglia and Tsang's gamma sampler, for shape ≥ 1 (a Beta(1 + s, 1 + f) posterior's shapes always are). */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

const DRAWS = 4000;

/** For each arm, the probability that its rate is the highest (uniform priors, Monte Carlo with a fixed seed). */
export function probabilityBest(arms: readonly Rate[]): number[] {
  if (arms.length === 0) return [];
  const random = mulberry32(0x5eed);
  const wins = new Array<number>(arms.length).fill(0);
  for (let draw = 0; draw < DRAWS; draw++) {
    let best = -1;
    let bestAt = 0;
    arms.forEach((arm, i) => {
      const failures = Math.max(0, arm.trials - arm.successes);
      const a = gamma(1 + arm.successes, random);
      const b = gamma(1 + failures, random);
      const sample = a / (a + b);
      if (sample > best) {
        best = sample;
        bestAt = i;
      }
    });
    wins[bestAt] = (wins[bestAt] as number) + 1;
  }
  return wins.map((w) => Math.round((w / DRAWS) * 1000) / 1000);
}

/** Below these, a split's numbers are shown but said to be too few to tell. */
export const MIN_PEOPLE_PER_GROUP = 100;
export const MIN_SUCCESSES = 10;

export function enoughData(groups: readonly Rate[]): boolean {
  const successes = groups.reduce((n, g) => n + g.successes, 0);
  return groups.length >= 2 && groups.every((g) => g.trials >= MIN_PEOPLE_PER_GROUP) && successes >= MIN_SUCCESSES;
}
