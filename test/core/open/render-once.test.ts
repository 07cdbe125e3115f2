import { describe, expect, it } from 'vitest';
import { DRAFT_KEYS_BYTES, RenderOnce, type Rendered } from '../../../src/core/open/render-once.ts';
import { liveWrites } from '../../../src/core/open/writes.ts';
import type { ByteCache, ImageEncoder } from '../../../src/core/ports.ts';

/** A PNG signature and some bytes: what imageContentType reads as a PNG. */
const png = (size: number) => Uint8Array.from({ length: size }, (_, i) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a][i] ?? 7);

const size = (rendered: Rendered) => ('png' in rendered ? rendered.png.byteLength : -1);

function renderOnce() {
  const cache = new Map<string, Uint8Array>();
  const renderCache: ByteCache = { get: async (key) => cache.get(key), set: async (key, bytes) => void cache.set(key, bytes) };
  const recompressed: number[] = [];
  const encoder = { recompress: async (bytes: Uint8Array) => (recompressed.push(bytes.byteLength), png(bytes.byteLength - 100)) } as unknown as ImageEncoder;
  const pending: Promise<unknown>[] = [];
  const writes = liveWrites({
    store: { putOpenRecord: async () => undefined },
    renderCache,
    counters: { add: () => undefined } as never,
    engagement: { opened: () => undefined } as never,
    reports: { open: () => undefined } as never,
    now: () => 0,
  });
  const renders = new RenderOnce({ renderCache, encoder, background: (work) => void pending.push(work), logger: { info() {}, warn() {}, error() {}, request() {} }, writes });
  const draw = (key: string) => renders.render({ key, draw: async () => ({ png: png(1000), draft: true }) }, 'renders.test');
  const settle = () => Promise.all(pending.splice(0));
  return { renders, draw, settle, recompressed, cache };
}

describe('render once: fast first encodings made smaller when served again', () => {
  it('makes a fast-encoded PNG smaller at its first hit, once', async () => {
    const { draw, settle, recompressed, cache } = renderOnce();
    expect(size(await draw('grid-a'))).toBe(1000);
    expect(size(await draw('grid-a'))).toBe(1000); // the hit that starts the re-encoding
    await settle();
    expect(recompressed).toEqual([1000]);
    expect(cache.get('grid-a')?.byteLength).toBe(900);
    await draw('grid-a');
    await settle();
    expect(recompressed).toEqual([1000]);
  });

  it('remembers the keys waiting for it within DRAFT_KEYS_BYTES: a send of long render keys cannot grow it without end', async () => {
    const { draw, settle, recompressed } = renderOnce();
    const key = (i: number) => `grid-${i}-${'x'.repeat(2000)}`;
    const keys = Math.ceil(DRAFT_KEYS_BYTES / 4000) + 100;
    for (let i = 0; i < keys; i++) await draw(key(i));
    // The oldest render's key was let go: served again, it stays as first encoded; the newest is still made smaller.
    await draw(key(0));
    await settle();
    expect(recompressed).toEqual([]);
    await draw(key(keys - 1));
    await settle();
    expect(recompressed).toEqual([1000]);
  });
});
