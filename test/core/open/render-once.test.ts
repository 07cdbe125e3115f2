import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DRAFT_KEYS_BYTES, RenderOnce, type Rendered } from '../../../src/core/open/render-once.ts';
import { liveWrites } from '../../../src/core/open/writes.ts';
import type { ByteCache, ImageEncoder } from '../../../src/core/ports.ts';

/** A PNG signature and some bytes: what imageContentType reads as a PNG. */
const png = (size: number) => Uint8Array.from({ length: size }, (_, i) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a][i] ?? 7);

const size = (rendered: Rendered) => ('png' in rendered ? rendered.png.byteLength : -1);

/** RenderOnce over `renderCache`, with writes that go nowhere but the cache. */
function renderOnceOver(renderCache: ByteCache, options: { encoder?: ImageEncoder; background?: (work: Promise<unknown>) => void } = {}) {
  const writes = liveWrites({
    store: { putOpenRecord: async () => undefined },
    renderCache,
    counters: { add: () => undefined } as never,
    engagement: { opened: () => undefined } as never,
    reports: { open: () => undefined } as never,
    now: () => 0,
  });
  return new RenderOnce({
    renderCache,
    encoder: options.encoder,
    background: options.background ?? (() => undefined),
    logger: { info() {}, warn() {}, error() {}, request() {} },
    writes,
  });
}

function renderOnce() {
  const cache = new Map<string, Uint8Array>();
  const renderCache: ByteCache = { get: async (key) => cache.get(key), set: async (key, bytes) => void cache.set(key, bytes) };
  const recompressed: number[] = [];
  const encoder = { recompress: async (bytes: Uint8Array) => (recompressed.push(bytes.byteLength), png(bytes.byteLength - 100)) } as unknown as ImageEncoder;
  const pending: Promise<unknown>[] = [];
  const renders = renderOnceOver(renderCache, { encoder, background: (work) => void pending.push(work) });
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

describe('render once: a render just finished', () => {
  function rendersWith(renderCache: ByteCache, drawn: Promise<void> = Promise.resolve()) {
    const renders = renderOnceOver(renderCache);
    let draws = 0;
    const draw = async () => {
      draws++;
      await drawn;
      return { png: png(1000) };
    };
    const open = () => renders.render({ key: 'grid', draw }, 'renders.test');
    return { open, draws: () => draws };
  }

  it('is not drawn again for an open whose cache read was on its way while it was drawn', async () => {
    // A render cache whose second read answers late, with what it held when asked (the Cache API's round trip).
    const cache = new Map<string, Uint8Array>();
    let reads = 0;
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const renderCache: ByteCache = {
      get: async (key) => {
        const held = cache.get(key);
        if (++reads === 2) await answered;
        return held;
      },
      set: async (key, bytes) => void cache.set(key, bytes),
    };
    let finish: () => void = () => undefined;
    const { open, draws } = rendersWith(renderCache, new Promise((resolve) => (finish = resolve)));
    const first = open();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const second = open(); // asks the cache while the first is still drawing
    finish();
    expect(await first).toMatchObject({ cache: 'miss' });
    answer(); // the second's read comes back empty, after the first render finished
    const again = await second;
    expect(again).toMatchObject({ cache: 'coalesced' });
    expect(draws()).toBe(1);
    expect('png' in again && again.png.byteLength).toBe(1000);
  });

  it('does not keep the image once nothing else holds it: it is drawn again rather than held past the cache', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A render cache that keeps nothing: only what an open still holds can be found as just rendered.
    const { open, draws } = rendersWith({ get: async () => undefined, set: async () => undefined });
    // The opens' answers, held here as a socket holds bytes being written, then let go.
    const held: Rendered[] = [await open()];
    expect(held[0]).toMatchObject({ cache: 'miss' });
    held.push(await open());
    expect(held[1]).toMatchObject({ cache: 'coalesced' });
    expect(draws()).toBe(1);
    held.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(await open()).toMatchObject({ cache: 'miss' });
    expect(draws()).toBe(2);
  });
});
