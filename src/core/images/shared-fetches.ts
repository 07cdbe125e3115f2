import { LRUCache } from 'lru-cache';
import type { FetchedImage, ImageFetcher } from '../ports.ts';
import { asImageFetchError, failureCounters } from './fetch-error.ts';

export interface SharedFetchOptions {
  /** The cache key of a photo drawn in a box (the URL alone when the box does not change the bytes). */
  key(url: string, box: { width: number; height: number }): string;
  /** One fetch, check and scale of a photo; its errors become ImageFetchErrors. */
  load(url: string, box: { width: number; height: number }): Promise<FetchedImage>;
  cacheBytes: number;
  /** How long a failed photo is answered from memory. */
  failureTtlMs: number;
  /** The whole fetch, for the message of a timeout. */
  timeoutMs: number;
  count(name: string): void;
}

/**
 * What every platform's photo fetcher does around its own `load`: photos kept
 * in memory sized in bytes, concurrent requests for the same photo sharing
 * one fetch, a failure answered from memory for a while (so a broken photo
 * is not fetched again at every open), and each outcome counted.
 */
export function sharedFetches(options: SharedFetchOptions): ImageFetcher['fetchImage'] {
  const images = new LRUCache<string, FetchedImage>({
    maxSize: options.cacheBytes,
    sizeCalculation: (image, key) => image.dataUri.length + key.length * 2 + 64,
  });
  const failures = new LRUCache<string, Error>({ max: 10_000, ttl: options.failureTtlMs });
  const inflight = new Map<string, Promise<FetchedImage>>();

  return (url, box, signal) => {
    const key = options.key(url, box);
    const cached = images.get(key);
    if (cached) return Promise.resolve(cached);
    const failed = failures.get(key);
    if (failed) return Promise.reject(failed);
    let pending = inflight.get(key);
    if (!pending) {
      pending = options
        .load(url, box)
        .then((image) => {
          images.set(key, image);
          options.count('images.fetched');
          return image;
        })
        .catch((error: unknown) => {
          const reason = asImageFetchError(error, url, options.timeoutMs);
          for (const name of failureCounters(reason)) options.count(name);
          failures.set(key, reason);
          throw reason;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    if (!signal) return pending;
    // The caller may stop waiting; the shared fetch goes on for the others.
    return Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  };
}
