import { LRUCache } from 'lru-cache';
import type { ByteCache, ImageEncoder, Logger } from '../ports.ts';
import { describeError } from '../shared/errors.ts';
import { imageContentType } from '../render/image-format.ts';
import type { Drawing, Drawn } from '../kinds/kind.ts';
import type { OpenWrites } from './writes.ts';

/**
 * Renders for per-recipient images (a countdown to a deadline from the URL
 * or a profile event) are kept here, never in the shared render cache: every
 * distinct `ends=` is a new ~235 KB GIF, and a send with a deadline per
 * recipient would otherwise fill that cache (or, on Workers, the Cache API)
 * with images no one else is shown, evicting the ones everyone is. Enough
 * for the opens of one recipient in the same second to share one render.
 */
export const PERSONAL_RENDERS_BYTES = 16 * 1024 * 1024;
/** What the keys of fast-encoded renders, waiting to be made smaller, may hold of memory. */
export const DRAFT_KEYS_BYTES = 8 * 1024 * 1024;

export interface RenderOnceDeps {
  renderCache: ByteCache;
  encoder?: ImageEncoder | undefined;
  background(work: Promise<unknown>): void;
  logger: Logger;
  writes: OpenWrites;
}

export type Rendered = { png: Uint8Array; cache: 'hit' | 'miss' | 'coalesced' } | { failedProducts: string[] };

/**
 * Each image drawn once, whatever kind drew it: a cache hit is served as it
 * is; a miss starts one render that every concurrent open of the same key
 * waits for; a render that just finished is not started again while a slow
 * cache (the Cache API is a network call) has not yet seen it; a PNG encoded
 * fast for its first open is made smaller when it is served again.
 */
export class RenderOnce {
  private readonly deps: RenderOnceDeps;
  private readonly inflight = new Map<string, Promise<Drawn>>();
  /**
   * Renders finished in the last seconds, by key: an open whose cache lookup
   * was still on its way when the render it would have waited for finished
   * must not start the same render again. The image is held weakly: while
   * the render cache (or the open that drew it) holds it, it is found here;
   * once both let it go, it is drawn again rather than kept past the cache's
   * cap (a thousand renders of a send, 90 MB, otherwise outlived it).
   */
  private readonly justRendered = new LRUCache<string, { png: WeakRef<Uint8Array>; draft: boolean }>({ max: 1000, ttl: 5000 });
  private readonly perRecipient = new LRUCache<string, Uint8Array>({ maxSize: PERSONAL_RENDERS_BYTES, sizeCalculation: (bytes) => Math.max(1, bytes.byteLength) });
  /**
   * Render keys whose cached PNG was encoded fast and can be made smaller
   * when it is served again. Bounded by what the keys weigh (a grid's key is
   * over a kilobyte): the most recent few thousand, which are the renders
   * likely to be served again; an older one stays as it was first encoded.
   */
  private readonly drafts = new LRUCache<string, true>({ maxSize: DRAFT_KEYS_BYTES, sizeCalculation: (_value, key) => 64 + key.length * 2 });
  /** Recompressions running now: one at a time, so that they never take both cores from opens. */
  private recompressing = 0;

  constructor(deps: RenderOnceDeps) {
    this.deps = deps;
  }

  /** Bytes held for per-recipient images now (at most PERSONAL_RENDERS_BYTES). */
  get perRecipientBytes(): number {
    return this.perRecipient.calculatedSize;
  }

  /** Whether the cached image of `key` is a fast first encoding that a hit would make smaller. */
  isDraft(key: string): boolean {
    return this.drafts.has(key);
  }

  /** A cached image, from whichever cache holds images like it. */
  cached(key: string, perRecipient = false): Promise<Uint8Array | undefined> | Uint8Array | undefined {
    return perRecipient ? this.perRecipient.get(key) : this.deps.renderCache.get(key);
  }

  /** A render of `key` finished in the last seconds whose image is still held somewhere, as its render's result. */
  private justDrawn(key: string): Promise<Drawn> | undefined {
    const just = this.justRendered.get(key);
    const png = just?.png.deref();
    if (!just || !png) return undefined;
    return Promise.resolve(just.draft ? { png, draft: true } : { png });
  }

  async render(drawing: Drawing, counter: string): Promise<Rendered> {
    const { key } = drawing;
    const hit = await this.cached(key, drawing.perRecipient);
    if (hit) {
      if (!drawing.perRecipient) this.recompress(key, hit);
      return { png: hit, cache: 'hit' };
    }
    const { writes } = this.deps;
    let cache: 'miss' | 'coalesced' = 'coalesced';
    let pending = this.inflight.get(key) ?? this.justDrawn(key);
    if (!pending) {
      cache = 'miss';
      const rendering = drawing
        .draw()
        .then((result) => {
          // A per-recipient image is kept before the in-flight entry goes, so no open in between draws it again.
          if (drawing.perRecipient && 'png' in result) this.perRecipient.set(key, result.png);
          return result;
        })
        .finally(() => this.inflight.delete(key));
      // Only a drawn image is kept: a failure is decided again by the next open.
      if (!drawing.perRecipient)
        rendering.then(
          (result) => 'png' in result && this.justRendered.set(key, { png: new WeakRef(result.png), draft: result.draft === true }),
          () => undefined,
        );
      pending = rendering;
      this.inflight.set(key, pending);
      writes.count('renders');
      writes.count(counter);
    } else writes.count('renders.coalesced');
    const result = await pending;
    if (!('png' in result)) return result;
    if (cache === 'miss' && !drawing.perRecipient) {
      await writes.cacheRender(key, result.png);
      if (result.draft && writes.live) this.drafts.set(key, true);
    }
    return { png: result.png, cache };
  }

  /**
   * A PNG encoded fast for its first open is served again: it is made
   * smaller off the request path (palette quantisation takes 50–100 ms), and
   * the smaller bytes replace it in the cache. One at a time; a hit that
   * finds one running leaves the key for a later hit.
   */
  private recompress(key: string, png: Uint8Array): void {
    const encoder = this.deps.encoder;
    if (!encoder?.recompress || this.recompressing > 0 || !this.drafts.has(key)) return;
    // Only a PNG is re-encoded (as a palette PNG): a JPEG first answer is already the smaller one.
    if (imageContentType(png) !== 'image/png') return;
    this.drafts.delete(key);
    this.recompressing++;
    this.deps.background(
      encoder
        .recompress(png)
        .then(async (smaller) => {
          if (smaller.byteLength >= png.byteLength) return;
          await this.deps.writes.cacheRender(key, smaller);
          this.deps.writes.count('renders.recompressed');
        })
        .catch((error: unknown) => this.deps.logger.warn('render not recompressed', { error: describeError(error) }))
        .finally(() => this.recompressing--),
    );
  }
}
