import { describe, expect, it } from 'vitest';
import { RateLimiter, createRateLimits, hashKey } from '../../../src/core/audience/rate-limit.ts';
import { testClock } from '../../helpers/app.ts';

describe('RateLimiter', () => {
  it('allows a whole allowance at once, then refuses until it refills', () => {
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 3, windowSeconds: 60 }, clock);
    expect([1, 2, 3].map(() => limiter.take('alice').allowed)).toEqual([true, true, true]);
    const refused = limiter.take('alice');
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0, retryAfterSeconds: 20, resetSeconds: 60 });
    clock.advance(19_999);
    expect(limiter.take('alice').allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take('alice')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('counts the remaining requests and the seconds until it is whole again', () => {
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 10, windowSeconds: 1 }, clock);
    expect(limiter.take('k')).toMatchObject({ allowed: true, remaining: 9, resetSeconds: 1, retryAfterSeconds: 0 });
    clock.advance(10_000);
    expect(limiter.take('k').remaining).toBe(9);
  });

  it('keeps keys apart', () => {
    const limiter = new RateLimiter({ limit: 1, windowSeconds: 60 }, testClock());
    expect(limiter.take('alice').allowed).toBe(true);
    expect(limiter.take('alice').allowed).toBe(false);
    expect(limiter.take('bob').allowed).toBe(true);
  });

  it('does not let refused requests push the refill further away', () => {
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 1, windowSeconds: 10 }, clock);
    limiter.take('x');
    for (let i = 0; i < 100; i++) {
      clock.advance(50);
      limiter.take('x');
    }
    clock.advance(5_000);
    expect(limiter.take('x').allowed).toBe(true);
  });

  it('neither refills nor drains when the clock steps back', () => {
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 2, windowSeconds: 60 }, clock);
    limiter.take('x');
    clock.advance(-3_600_000);
    expect(limiter.take('x')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take('x').allowed).toBe(false);
  });

  it('holds at most maxKeys buckets, dropping the least recently used', () => {
    // A window so long that nothing refills while the clock moves on (a bucket's place in the order moves at most once a second).
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 1, windowSeconds: 1e9 }, clock, 100);
    limiter.take('kept');
    const keptAllowed: boolean[] = [];
    for (let i = 0; i < 1000; i++) {
      clock.advance(100);
      limiter.take(`someone-${i}`);
      if (i % 10 === 0) keptAllowed.push(limiter.take('kept').allowed);
    }
    expect(limiter.size).toBe(100);
    // Used every second or so, so held all along: spent each time, never a new full bucket.
    expect(keptAllowed.filter(Boolean)).toEqual([]);
    expect(limiter.take('kept').allowed).toBe(false);
    // Dropped long ago: a new, full bucket.
    expect(limiter.take('someone-0').allowed).toBe(true);
  });

  it('holds the buckets of one window for a stream of new keys, not maxKeys of them, and limits as before', () => {
    const clock = testClock();
    const limiter = new RateLimiter({ limit: 4, windowSeconds: 60 }, clock, 100_000);
    // A send: 100 new subscribers a second for five minutes, each opening once.
    for (let second = 0; second < 300; second++) {
      for (let i = 0; i < 100; i++) limiter.take(`s-${second}-${i}`);
      clock.advance(1000);
    }
    expect(limiter.size).toBeLessThanOrEqual(100 * 61);
    // A subscriber of the last minute is still spent; one of the first minutes starts full, as it would anyway.
    const recent = `s-299-0`;
    for (let i = 0; i < 3; i++) expect(limiter.take(recent).allowed).toBe(true);
    expect(limiter.take(recent).allowed).toBe(false);
  });

  it('costs the same memory for a long key as for a short one', () => {
    expect(hashKey('a'.repeat(256))).toBeTypeOf('number');
    expect(Number.isSafeInteger(hashKey('x'))).toBe(true);
    expect(hashKey('alice')).not.toBe(hashKey('alicf'));
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(hashKey(`subscriber-${i}`));
    expect(seen.size).toBe(100_000);
  });

  it('refuses a limit that could never allow anything', () => {
    expect(() => new RateLimiter({ limit: 0, windowSeconds: 1 }, testClock())).toThrow(/at least 1/);
  });
});

describe('createRateLimits', () => {
  it('has no limiter for a limit of 0, nor without settings', () => {
    const clock = testClock();
    expect(createRateLimits(undefined, clock)).toEqual({});
    const limits = createRateLimits({ opensPerMinute: 0, eventsPerSecond: 5 }, clock);
    expect(limits.subscriber).toBeUndefined();
    expect(limits.apiKey?.limit).toBe(5);
  });
});
