/**
 * Thompson sampling over a hero split's arms (issue 18's `optimize`), as a
 * pure module: given each arm's people and successes so far, the share of
 * the next people each arm gets. Optimised hero splits use it
 * (core/optimize/optimizer.ts), over the reports' per-arm people (people
 * only: no Apple prefetches, proxies' repeats, scanners or previews).
 *
 * Each arm's success rate is Beta(1 + successes, 1 + failures) under a
 * uniform prior; an arm's share is the probability that it is the best,
 * estimated by drawing from every arm's Beta `draws` times with a seeded
 * generator (the same counts and seed give the same shares). The holdout is
 * kept fixed outside the arms, and every arm keeps a floor share so that an
 * arm that started badly can still recover.
 */
export interface ArmCounts {
  id: string;
  /** People who saw the arm. */
  people: number;
  /** Of them, people who clicked (or converted, as attributed so far). */
  successes: number;
}

export interface AllocationOptions {
  /** The holdout's share in percent (0–50), fixed: never moved by the sampler. */
  holdout: number;
  /** The least share of the arms' part that any arm keeps, 0–1 (0.05: five percent each). */
  floor: number;
  /** Draws from each arm's posterior (more: steadier shares). */
  draws?: number;
  /** Seeds the generator: the same counts and seed give the same allocation. */
  seed?: number;
}

export interface Allocation {
  holdout: number;
  /** Percent of all people, per arm id; with the holdout they add up to 100. */
  arms: Record<string, number>;
}

export const DEFAULT_DRAWS = 4000;

/** A small, fast generator of uniform numbers in [0, 1) (mulberry32). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal by Box–Muller. */
function normal(uniform: () => number): number {
  let u = 0;
  while (u === 0) u = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 through the boost Gamma(a) = Gamma(a + 1)·U^(1/a). */
export function sampleGamma(shape: number, uniform: () => number): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, received ${shape}`);
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = uniform();
    return sampleGamma(shape + 1, uniform) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(uniform);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniform();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) as X / (X + Y) of two gammas. */
export function sampleBeta(a: number, b: number, uniform: () => number): number {
  const x = sampleGamma(a, uniform);
  const y = sampleGamma(b, uniform);
  return x / (x + y);
}

/** Each arm's probability of being the best, from `draws` joint draws of the posteriors. */
export function probabilityBest(arms: readonly ArmCounts[], draws: number, uniform: () => number): number[] {
  const wins = arms.map(() => 0);
  for (let i = 0; i < draws; i++) {
    let best = -1;
    let bestValue = -1;
    for (const [k, arm] of arms.entries()) {
      const successes = Math.max(0, Math.min(arm.successes, arm.people));
      const value = sampleBeta(1 + successes, 1 + Math.max(0, arm.people - successes), uniform);
      if (value > bestValue) {
        bestValue = value;
        best = k;
      }
    }
    wins[best] = (wins[best] ?? 0) + 1;
  }
  return wins.map((w) => w / draws);
}

/**
 * The next allocation: the holdout as it is, then the arms' part divided by
 * each arm's probability of being the best, each arm raised to the floor
 * (taken from the others in proportion to what they have above it).
 */
export function allocate(arms: readonly ArmCounts[], options: AllocationOptions): Allocation {
  if (arms.length === 0) return { holdout: options.holdout, arms: {} };
  const floor = Math.min(Math.max(options.floor, 0), 1 / arms.length);
  const best = probabilityBest(arms, options.draws ?? DEFAULT_DRAWS, seededUniform(options.seed ?? 1));
  const above = best.map((p) => Math.max(0, p - floor));
  const spare = above.reduce((n, p) => n + p, 0);
  const room = 1 - floor * arms.length;
  const shares = best.map((_, k) => floor + (spare > 0 ? ((above[k] as number) / spare) * room : room / arms.length));
  const part = 100 - options.holdout;
  return { holdout: options.holdout, arms: Object.fromEntries(arms.map((arm, k) => [arm.id, (shares[k] as number) * part])) };
}
