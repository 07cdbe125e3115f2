import { LRUCache } from 'lru-cache';

/**
 * Rows of the embedded store that every open reads (a subscriber's profile,
 * link and suppression), kept in process: the embedded store is one
 * instance's alone, so every write to these rows passes through it and
 * forgets the row here first. An absent row is remembered too, since most
 * subscribers have no link and no suppression. A row carries the time it was
 * written, so retention still hides it without a sweep.
 */
export class SubjectRows<T> {
  private readonly rows: LRUCache<string, { value: T | undefined; writtenAt: number }>;

  constructor(options: { maxBytes: number; size: (value: T) => number }) {
    this.rows = new LRUCache({ maxSize: options.maxBytes, sizeCalculation: (row, key) => 64 + key.length * 2 + (row.value === undefined ? 0 : options.size(row.value)) });
  }

  /** The row of `key`, read through `load` when not held; written at or before `horizon` counts as absent. */
  read(key: string, horizon: number, load: () => { value: T; writtenAt: number } | undefined): T | undefined {
    let row = this.rows.get(key);
    if (!row) {
      // Absent rows are held as written at +∞: no horizon hides an absence.
      row = load() ?? { value: undefined, writtenAt: Number.POSITIVE_INFINITY };
      this.rows.set(key, row);
    }
    return row.writtenAt > horizon ? row.value : undefined;
  }

  forget(key: string): void {
    this.rows.delete(key);
  }

  clear(): void {
    this.rows.clear();
  }
}
