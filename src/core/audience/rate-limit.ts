import type { Clock } from '../ports.ts';

/**
 * Rate limits, kept in memory per instance, keyed by who is asking in a way
 * an image proxy cannot blur: a subscriber id (`u=`) for opens, an API key
 * for the events API. Never by IP address: Gmail's, Yahoo's and Apple's
 * proxies put millions of readers behind a few addresses, so a per-IP limit
 * would throttle whole mailbox providers.
 *
 * Each key has a token bucket: `limit` tokens, refilled evenly over
 * `windowSeconds`, so a key may spend its whole allowance at once and then
 * one request every windowSeconds / limit. Memory is bounded: keys are
 * hashed to numbers (a 256-character id costs no more than a short one)
 * and at most `maxKeys` buckets are kept, the least recently used dropped
 * first. A dropped bucket starts full again, which only ever errs towards
 * letting a request through; the limit is a guard against one subscriber
 * or one sender hammering an instance, not an accounting system.
 */
export interface RateLimit {
  /** Requests allowed per window (the bucket's size). */
  limit: number;
  windowSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Whole requests left right now. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one more request is allowed (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When it last moved to the end of the least-recently-used order. */
  moved: number;
}

/** Below this many buckets, none is dropped for being full again (the check is not worth its cost). */
const PRUNE_ABOVE = 1024;

/** How stale a bucket's place in the least-recently-used order may be. */
const REORDER_MS = 1000;

/** 100,000 buckets of about 80 bytes each: under 10 MB however many keys an attacker invents. */
export const RATE_LIMIT_MAX_KEYS = 100_000;

/**
 * FNV-1a over the UTF-16 code units, twice with different offsets, folded
 * into 53 bits (a safe integer). Two keys that collide share a bucket, which
 * at these sizes happens about once in 10^6 runs of 100,000 keys.
 */
export function hashKey(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193) >>> 0;
    b = Math.imul(b ^ unit, 0x01000193) >>> 0;
  }
  return (a & 0x1fffff) * 0x100000000 + b;
}

export class RateLimiter {
  readonly limit: number;
  private readonly perMs: number;
  private readonly windowMs: number;
  private readonly buckets = new Map<number, Bucket>();
  private readonly clock: Clock;
  private readonly maxKeys: number;

  constructor(rate: RateLimit, clock: Clock, maxKeys = RATE_LIMIT_MAX_KEYS) {
    if (!(rate.limit >= 1) || !(rate.windowSeconds > 0))
      throw new Error(`[opentime] [rate-limit] expected a limit of at least 1 per a positive window, received ${rate.limit} per ${rate.windowSeconds} s`);
    this.limit = rate.limit;
    this.perMs = rate.limit / (rate.windowSeconds * 1000);
    this.windowMs = rate.windowSeconds * 1000;
    this.clock = clock;
    this.maxKeys = Math.max(1, maxKeys);
  }

  /** Buckets held now (at most maxKeys). */
  get size(): number {
    return this.buckets.size;
  }

  /** Spends one request of `key`'s allowance, if it has one. */
  take(key: string): RateDecision {
    const left = this.spend(key);
    const allowed = left >= 0;
    const tokens = allowed ? left : left + 1;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((this.limit - tokens) / this.perMs / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)),
    };
  }

  /** As take, for a caller that needs only the answer (every open asks): no decision to describe. */
  allows(key: string): boolean {
    return this.spend(key) >= 0;
  }

  /** Tokens left after spending one, or, when there was none to spend, what is left minus one (negative). */
  private spend(key: string): number {
    const id = hashKey(key);
    const now = this.clock.now();
    const bucket = this.buckets.get(id);
    // A clock that steps back (NTP, a test clock) refills nothing rather than draining.
    const tokens = bucket ? Math.min(this.limit, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs) : this.limit;
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    if (bucket) {
      // Re-inserted so that Map order is least recently used first, at most once a second: within that, order does not matter.
      if (now - bucket.moved >= REORDER_MS) {
        this.buckets.delete(id);
        this.buckets.set(id, bucket);
        bucket.moved = now;
      }
      bucket.tokens = left;
      bucket.at = now;
    } else this.buckets.set(id, { tokens: left, at: now, moved: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    if (this.buckets.size > PRUNE_ABOVE) this.prune(now);
    return allowed ? left : left - 1;
  }

  /**
   * Drops the oldest buckets that are full again (untouched for a whole
   * window): the same as no bucket, so a send's stream of new subscribers
   * holds the buckets of one window, not of the last maxKeys subscribers.
   */
  private prune(now: number): void {
    let dropped = 0;
    for (const [id, bucket] of this.buckets) {
      if (dropped === 2 || now - bucket.at < this.windowMs) return;
      this.buckets.delete(id);
      dropped++;
    }
  }
}

export interface RateLimitSettings {
  /** Opens (`/i/…`, `/o/…`) per subscriber per minute; 0 turns the limit off. */
  opensPerMinute: number;
  /** Events API requests per key per second; 0 turns the limit off. */
  eventsPerSecond: number;
}

/** The limits of one instance; a limit of 0 is no limiter at all. */
export interface RateLimits {
  subscriber?: RateLimiter;
  apiKey?: RateLimiter;
}

export function createRateLimits(settings: RateLimitSettings | undefined, clock: Clock): RateLimits {
  const limits: RateLimits = {};
  if (!settings) return limits;
  if (settings.opensPerMinute > 0) limits.subscriber = new RateLimiter({ limit: settings.opensPerMinute, windowSeconds: 60 }, clock);
  if (settings.eventsPerSecond > 0) limits.apiKey = new RateLimiter({ limit: settings.eventsPerSecond, windowSeconds: 1 }, clock);
  return limits;
}
