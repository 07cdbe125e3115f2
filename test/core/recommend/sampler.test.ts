import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { allocate, sampleBeta, sampleGamma, seededUniform, type ArmCounts } from '../../../src/core/recommend/sampler.ts';

// jStat (a maintained statistics library) gives the Beta distribution the sampler's draws are checked against.
const jStat = createRequire(import.meta.url)('jstat') as {
  beta: { cdf(x: number, a: number, b: number): number };
  gamma: { cdf(x: number, shape: number, scale: number): number };
};

/** The Kolmogorov–Smirnov distance between samples and a CDF. */
function ksDistance(samples: number[], cdf: (x: number) => number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  let d = 0;
  for (const [i, x] of sorted.entries()) {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
  }
  return d;
}

const N = 5000;
// At 5,000 samples a correct sampler stays under this distance 99.9% of the time (1.95 / √n).
const CRITICAL = 1.95 / Math.sqrt(N);

describe('the Beta sampler, against jStat’s Beta distribution', () => {
  for (const [a, b] of [
    [0.5, 0.5],
    [1, 1],
    [2, 5],
    [1, 30],
    [31, 971],
  ] as const) {
    it(`draws Beta(${a}, ${b})`, () => {
      const uniform = seededUniform(a * 1000 + b);
      const samples = Array.from({ length: N }, () => sampleBeta(a, b, uniform));
      expect(ksDistance(samples, (x) => jStat.beta.cdf(x, a, b))).toBeLessThan(CRITICAL);
    });
  }

  it('draws Gamma with shapes below and above 1', () => {
    for (const shape of [0.3, 4.5]) {
      const uniform = seededUniform(7);
      const samples = Array.from({ length: N }, () => sampleGamma(shape, uniform));
      expect(ksDistance(samples, (x) => jStat.gamma.cdf(x, shape, 1))).toBeLessThan(CRITICAL);
    }
  });

  it('refuses a shape that is not positive', () => {
    expect(() => sampleGamma(0, seededUniform(1))).toThrow('gamma shape must be positive, received 0');
  });
});

describe('allocation', () => {
  it('keeps the holdout fixed and gives each arm at least its floor', () => {
    const arms: ArmCounts[] = [
      { id: 'a', people: 5000, successes: 400 },
      { id: 'b', people: 5000, successes: 100 },
      { id: 'c', people: 5000, successes: 90 },
    ];
    const allocation = allocate(arms, { holdout: 10, floor: 0.05, seed: 3 });
    expect(allocation.holdout).toBe(10);
    const total = Object.values(allocation.arms).reduce((n, s) => n + s, 0);
    expect(total + allocation.holdout).toBeCloseTo(100, 9);
    expect(allocation.arms.b).toBeCloseTo(0.05 * 90, 6);
    expect(allocation.arms.a).toBeCloseTo(0.9 * 90, 6);
  });

  it('splits evenly while nothing is known, and is the same for the same counts and seed', () => {
    const arms = [
      { id: 'a', people: 0, successes: 0 },
      { id: 'b', people: 0, successes: 0 },
    ];
    const first = allocate(arms, { holdout: 0, floor: 0.1, seed: 9 });
    expect(first.arms.a).toBeGreaterThan(45);
    expect(first.arms.a).toBeLessThan(55);
    expect(allocate(arms, { holdout: 0, floor: 0.1, seed: 9 })).toEqual(first);
  });

  it('moves people to the better arm over a simulated send, while the holdout stays fixed', () => {
    const rates: Record<string, number> = { control: 0.02, better: 0.04 };
    const counts: ArmCounts[] = Object.keys(rates).map((id) => ({ id, people: 0, successes: 0 }));
    const coin = seededUniform(42);
    const shares: number[] = [];
    let holdoutPeople = 0;
    for (let round = 0; round < 30; round++) {
      const allocation = allocate(counts, { holdout: 10, floor: 0.05, seed: round + 1, draws: 2000 });
      expect(allocation.holdout).toBe(10);
      shares.push(allocation.arms.better ?? 0);
      // 1,000 people an hour, each to the holdout or an arm by the current shares.
      for (let person = 0; person < 1000; person++) {
        const point = coin() * 100 - allocation.holdout;
        if (point < 0) {
          holdoutPeople++;
          continue;
        }
        const control = allocation.arms.control ?? 0;
        const arm = (point < control ? counts[0] : counts[1]) as ArmCounts;
        arm.people++;
        if (coin() < (rates[arm.id] as number)) arm.successes++;
      }
    }
    expect(shares[0]).toBeCloseTo(45, -1);
    expect(shares.at(-1)).toBeGreaterThan(75);
    expect(holdoutPeople / 30_000).toBeCloseTo(0.1, 1);
    expect(counts.find((c) => c.id === 'control')?.people).toBeGreaterThan(30_000 * 0.9 * 0.05 * 0.8);
  });
});
