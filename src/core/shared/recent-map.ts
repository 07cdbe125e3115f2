/**
 * What was seen lately, by key: kept at least `windowMs` and at most twice
 * that, and never more than `max` entries. Two generations of plain Maps;
 * the older is dropped whole when the newer is a window old or holds half
 * of `max`. An LRU with a time to live keeps its expired entries until
 * something evicts them: at a send's rate of new subscribers such maps
 * filled to their 100,000 entries in minutes and grew the heap all along,
 * where these hold what the window needs and then stay the same size.
 */
export class RecentMap<V> {
  private newer = new Map<string, V>();
  private older = new Map<string, V>();
  private startedAt: number;
  private readonly windowMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: { windowMs: number; max: number; now: () => number }) {
    this.windowMs = options.windowMs;
    this.max = Math.max(2, options.max);
    this.now = options.now;
    this.startedAt = options.now();
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }

  get(key: string): V | undefined {
    this.turn();
    return this.newer.has(key) ? this.newer.get(key) : this.older.get(key);
  }

  set(key: string, value: V): void {
    this.turn();
    this.newer.set(key, value);
    this.older.delete(key);
    if (this.newer.size >= this.max / 2) this.rotate();
  }

  delete(key: string): void {
    this.newer.delete(key);
    this.older.delete(key);
  }

  private turn(): void {
    const age = this.now() - this.startedAt;
    if (age < this.windowMs) return;
    // After a quiet spell the older generation is past its time too.
    if (age >= 2 * this.windowMs) this.newer = new Map();
    this.rotate();
  }

  private rotate(): void {
    this.older = this.newer;
    this.newer = new Map();
    this.startedAt = this.now();
  }
}
