import { describe, expect, it } from 'vitest';
import { type MemorySample, soakVerdict } from './send.ts';

const MB = 1024 * 1024;
const full = { layers: { bytes: 510 * MB, cap: 512 * MB }, renders: { bytes: 128 * MB, cap: 128 * MB } };
const soak = (rss: (minute: number) => number, caches: MemorySample['caches'] = full, minutes = 10): MemorySample[] =>
  Array.from({ length: minutes * 2 }, (_, i) => ({ minutes: (i + 1) / 2, rss: rss((i + 1) / 2) * MB, caches }));

describe('the soak verdict', () => {
  it('is met when RSS stays under 1 GB, flat over the last 5 minutes, every cache full', () => {
    const verdict = soakVerdict(soak((m) => 900 + Math.min(m, 4) * 10));
    expect(verdict.met).toBe(true);
    expect(verdict.line).toMatch(/^peak RSS 940 MB; last 5 min 940 MB–940 MB, trend \+0\.0% over them; layers 510 MB\/512 MB, renders 128 MB\/128 MB: met$/);
  });

  it('is not met when RSS still grows over the last 5 minutes, even slowly', () => {
    // 10 MB a minute: 50 MB over the window, 5.7% of its mean (875 MB).
    const verdict = soakVerdict(soak((m) => 800 + m * 10));
    expect(verdict.met).toBe(false);
    expect(verdict.line).toContain('last 5 min 850 MB–900 MB, trend +5.7% over them');
  });

  it('is met by a steady instance whose samples swing with the collector', () => {
    // A 64 MB swing, sample to sample, around a level that does not move.
    const verdict = soakVerdict(soak((m) => 900 + (Math.round(m * 2) % 3 === 0 ? 64 : Math.round(m * 2) % 3 === 1 ? 0 : 30)));
    expect(verdict.line).toMatch(/last 5 min 900 MB–964 MB, trend [+-][0-2]\.\d% over them/);
    expect(verdict.met).toBe(true);
  });

  it('counts what a cache left unfilled against the peak', () => {
    const caches = { ...full, photos: { bytes: 24 * MB, cap: 64 * MB } };
    const verdict = soakVerdict(soak(() => 1000, caches));
    expect(verdict.met).toBe(false);
    expect(verdict.line).toContain('peak RSS 1000 MB (+40 MB unfilled caps = 1040 MB)');
    expect(verdict.line).toContain('photos 24 MB/64 MB (under its cap)');
  });

  it('is not met by a soak shorter than 10 minutes', () => {
    const verdict = soakVerdict(soak(() => 700, full, 3));
    expect(verdict.met).toBe(false);
    expect(verdict.line).toContain('only 3.0 of 10 minutes');
  });
});
