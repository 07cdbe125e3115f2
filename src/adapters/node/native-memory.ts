import sharp from 'sharp';

/**
 * Memory outside the JavaScript heap. libvips keeps a cache of recent
 * operations (50 MB and 100 operations by default) so that a pipeline run
 * again on the same file is cheaper; opentime's sharp pipelines run on
 * pixels it already holds (raw tiles, fetched photo bytes), never the same
 * twice, so that cache only holds memory. It is turned off once per process.
 * The allocator's share is bounded by two glibc settings, which must be set
 * before the process starts; the launcher (src/run-with-node.mjs) sets each
 * unless it is set:
 *
 * - MALLOC_ARENA_MAX=2: glibc otherwise keeps an arena per thread that has
 *   allocated, 8 × cores of them, each holding freed memory.
 * - MALLOC_MMAP_THRESHOLD_=131072: blocks of 128 KB and more (raw pixels,
 *   resvg's pixmaps, sharp's encoded images) are mapped and given back when
 *   freed. glibc's own threshold moves up to the size of the largest block
 *   freed (up to 32 MB), after which such blocks come from the arenas, whose
 *   holes are not given back: 100 KB JPEGs from sharp, 78 MB of them, took
 *   126 MB of RSS that way and 98 MB with the threshold fixed.
 *
 * The launcher also caps V8's young generation (--max-semi-space-size=16):
 * it grows to 128 MB resident by default, 32 MB so.
 */
let bounded = false;

export function boundNativeMemory(): void {
  if (bounded) return;
  bounded = true;
  sharp.cache(false);
}

/** Where the process's memory is, in bytes: the JavaScript heap (and how much of it is in use), buffers (`external`, pixels and images among them), and the native rest of RSS. */
export function memoryShares(): { rss: number; heap: number; heapUsed: number; buffers: number; native: number; vipsCache: number } {
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heap: usage.heapTotal,
    heapUsed: usage.heapUsed,
    buffers: usage.external,
    native: Math.max(0, usage.rss - usage.heapTotal - usage.external),
    vipsCache: sharp.cache().memory.current * 1024 * 1024,
  };
}
