import { LRUCache } from 'lru-cache';
import type { BackgroundRunner, ByteCache } from '../../core/ports.ts';
import { digest } from '../../core/render/render-key.ts';

/**
 * Rendered images on Workers: a small LRU per isolate in front of the Cache
 * API, which is shared by every isolate in a Cloudflare data centre. Keys are
 * the core's render keys (a hash of everything that changes the pixels), the
 * same keys as the Node render cache, so an entry never goes stale: it can
 * live as long as the data centre keeps it.
 *
 * Writes to the Cache API run after the response (the open does not wait for
 * them); a Cache API that fails is a miss, never an error. On a workers.dev
 * subdomain the Cache API stores nothing, so there only the per-isolate LRU
 * helps: use a custom domain in production.
 */
export interface CacheApiOptions {
  /** The cache (e.g. `caches.open('opentime-renders')`). */
  cache: Promise<Cache> | Cache;
  /** Memory for the per-isolate LRU (an isolate has 128 MB in all). */
  memoryBytes: number;
  /** How long the data centre may keep an entry. */
  ttlSeconds?: number;
  /** Runs the Cache API write after the response (ctx.waitUntil). */
  background: BackgroundRunner;
}

/** Cache API keys must be URLs; this host is never fetched. */
const KEY_ORIGIN = 'https://render-cache.opentime.invalid/';
const DEFAULT_TTL_SECONDS = 7 * 86_400;

export function cacheApiByteCache(options: CacheApiOptions): ByteCache & { readonly memoryEntries: number } {
  const memory = new LRUCache<string, Uint8Array>({
    maxSize: options.memoryBytes,
    sizeCalculation: (value, key) => value.byteLength + key.length * 2 + 64,
  });
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  // Render keys are canonical JSON (a kilobyte or more); the Cache API is keyed by URL, so by their digest.
  const url = async (key: string) => KEY_ORIGIN + (await digest(key));

  return {
    async get(key) {
      const hit = memory.get(key);
      if (hit) return hit;
      try {
        const response = await (await options.cache).match(await url(key));
        if (!response) return undefined;
        const bytes = new Uint8Array(await response.arrayBuffer());
        memory.set(key, bytes);
        return bytes;
      } catch {
        // The Cache API is an optimisation: when it fails, render again.
        return undefined;
      }
    },
    async set(key, value) {
      memory.set(key, value);
      const response = new Response(value as BodyInit, {
        headers: { 'content-type': 'application/octet-stream', 'cache-control': `public, max-age=${ttl}`, 'content-length': String(value.byteLength) },
      });
      options.background((async () => (await options.cache).put(await url(key), response))().catch(() => undefined));
    },
    get memoryEntries() {
      return memory.size;
    },
  };
}
