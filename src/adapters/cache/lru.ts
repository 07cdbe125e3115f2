import { LRUCache } from 'lru-cache';
import type { ByteCache } from '../../core/ports.ts';

/** An in-process byte cache bounded by total size, not by entry count. */
export function lruByteCache(maxBytes: number): ByteCache & { readonly size: number; readonly bytes: number; readonly maxBytes: number } {
  const cache = new LRUCache<string, Uint8Array>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.byteLength + key.length * 2 + 64,
  });
  return {
    async get(key) {
      return cache.get(key);
    },
    async set(key, value) {
      cache.set(key, value);
    },
    get size() {
      return cache.size;
    },
    get bytes() {
      return cache.calculatedSize;
    },
    maxBytes,
  };
}
