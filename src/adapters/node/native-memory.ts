import sharp from 'sharp';

/**
 * Memory outside the JavaScript heap. libvips keeps a cache of recent
 * operations (50 MB and 100 operations by default) so that a pipeline run
 * again on the same file is cheaper; opentime's sharp pipelines run on
 * pixels it already holds (raw tiles, fetched photo bytes), never the same
 * twice, so that cache only holds memory. It is turned off once per process.
 * The allocator's share (glibc keeps an arena per thread that has
 * allocated, 8 × cores of them, each holding freed memory) is bounded by
 * MALLOC_ARENA_MAX, which must be set before the process starts: the
 * launcher (src/run-with-node.mjs) sets it to 2 unless it is set.
 */
let bounded = false;

export function boundNativeMemory(): void {
  if (bounded) return;
  bounded = true;
  sharp.cache(false);
}

/** Where the process's memory is, in bytes: the JavaScript heap, buffers (`external`, pixels and images among them), and the native rest of RSS. */
export function memoryShares(): { rss: number; heap: number; buffers: number; native: number; vipsCache: number } {
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heap: usage.heapTotal,
    buffers: usage.external,
    native: Math.max(0, usage.rss - usage.heapTotal - usage.external),
    vipsCache: sharp.cache().memory.current * 1024 * 1024,
  };
}
