import { LRUCache } from 'lru-cache';
import type { CountdownBlock } from '../blocks/countdown.ts';
import type { StoredBlock } from '../blocks/schema.ts';
import { withBudget } from '../shared/budget.ts';
import { loadBlockImage } from '../render/block-image.ts';
import type { RequesterClass } from '../audience/requester.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, describeError, errorCode, type ErrorCode } from '../shared/errors.ts';
import type { Lookups } from '../content/lookups.ts';
import type { OpenWrites } from '../open/writes.ts';
import type { OpenService } from '../open/pipeline.ts';
import type { Profile } from '../profiles/profile.ts';
import { parseHexColor, solidPng } from '../render/png.ts';
import { digest } from '../render/render-key.ts';
import { buildExpired, buildFace, buildMessage, buildStatic, type Art, type ArtDeps, type Face } from './art.ts';
import { resolveDeadline, type ResolvedDeadline } from './deadline.ts';
import { artGif, artPng, countdownGif, countdownPng } from './frames.ts';
import { encodeGif } from './gif.ts';
import { leadingDigits, unitsOf } from './units.ts';

export type CountdownFormatExt = 'gif' | 'png';

export interface CountdownRequest {
  blockId: string;
  ext: CountdownFormatExt;
  subject?: string | undefined;
  /** The URL carried a valid subscriber token or signature. */
  signed?: boolean;
  messageId?: string | undefined;
  machine: boolean;
  /** Who is fetching (see classify.ts): Apple's prefetching proxy may get the block's `prefetch` still. */
  requester?: RequesterClass;
  /** A query parameter of the image URL (a per-recipient deadline). */
  query(name: string): string | undefined;
}

export interface CountdownImage {
  bytes: Uint8Array;
  contentType: 'image/gif' | 'image/png';
  /** hit: from the render cache; coalesced: waited for the same render in flight. */
  cache: 'hit' | 'miss' | 'coalesced' | 'fallback';
  /** expired: the block's expired state (not a failure); static: its generic image; blank: no block. */
  fallback?: 'expired' | 'static' | 'blank';
  error?: ErrorCode;
}

/** Pre-rendered parts kept per instance; a 1200×300 face with its tiles is about 2 MB. */
const PARTS_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Renders for per-recipient deadlines (a URL parameter, a profile event)
 * are kept here, never in the shared render cache: every distinct `ends=`
 * is a new ~235 KB GIF, and a send with a deadline per recipient would
 * otherwise fill that cache (or, on Workers, the Cache API) with images no
 * one else is shown, evicting the ones everyone is. Enough for the opens of
 * one recipient in the same second to share one render.
 */
export const PERSONAL_RENDERS_BYTES = 16 * 1024 * 1024;
const BLANK_SIZE = { width: 1200, height: 600 };
const BLANK_COLOR = '#ffffff';

const planeBytes = (art: Art) => art.rgba.data.length + art.index.data.length;
const faceBytes = (face: Face) => face.rgba.data.length + face.index.data.length + face.digits.reduce((n, d) => n + d.rgba.data.length + d.index.data.length, 0);

/**
 * The countdown path: block → deadline (fixed, from the URL, or from the
 * subscriber's profile) → the GIF or PNG for (block version, deadline,
 * second), rendered once and shared by every open in that second, from
 * parts rendered once per block version. Whatever fails, the answer is an
 * image of the requested type: the expired state, the block's static image,
 * or a flat colour.
 */
export class CountdownService {
  private readonly deps: AppDeps;
  private readonly lookups: Lookups;
  /** The open path's writes (counters, cached renders): nothing in a preview. */
  private readonly writes: OpenWrites;
  private readonly opens: OpenService;
  private readonly art: ArtDeps;
  private readonly parts = new LRUCache<string, Face | Art>({
    maxSize: PARTS_CACHE_BYTES,
    sizeCalculation: (value) => Math.max(1, 'digits' in value ? faceBytes(value) : planeBytes(value)),
  });
  private readonly building = new Map<string, Promise<Face | Art>>();
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly personalRenders = new LRUCache<string, Uint8Array>({ maxSize: PERSONAL_RENDERS_BYTES, sizeCalculation: (bytes) => Math.max(1, bytes.byteLength) });

  constructor(deps: AppDeps, lookups: Lookups, opens: OpenService) {
    this.deps = deps;
    this.lookups = lookups;
    this.writes = opens.writes;
    this.opens = opens;
    this.art = {
      rasterizer: deps.rasterizer,
      fonts: deps.fonts,
      scale: deps.config.scale,
      loadImage: (source, pixels) => loadBlockImage({ images: deps.images, assets: deps.assets, photoTimeoutMs: deps.config.photoTimeoutMs }, source, pixels),
    };
  }

  private budget<T>(work: Promise<T>, what: string): Promise<T> {
    return withBudget(work, this.deps.config.storeTimeoutMs, what);
  }

  /**
   * Answers `/i/:block.gif` for any block and `/i/:block.png` for countdowns;
   * undefined means "not mine": a PNG of another kind, for the open path.
   */
  async open(request: CountdownRequest): Promise<CountdownImage | undefined> {
    let stored: StoredBlock | undefined;
    try {
      stored = await this.budget(this.lookups.block(request.blockId), 'reading the block');
    } catch (error) {
      stored = this.lookups.lastKnownBlock(request.blockId);
      if (stored?.config.kind !== 'countdown' && request.ext === 'png') return undefined;
      this.count(request, 'fallback', stored?.config.id);
      return stored ? this.staticImage(stored, request.ext, errorCode(error)) : this.blank(request.ext, errorCode(error));
    }
    if (!stored) {
      if (request.ext === 'png') return undefined;
      this.deps.logger.warn('open of an unknown block', { block: request.blockId });
      return this.blank('gif', 'BLOCK_NOT_FOUND');
    }
    if (stored.config.kind !== 'countdown') {
      if (request.ext === 'png') return undefined;
      // Only countdowns move; any other block asked for as a GIF gets its generic image, as a GIF.
      this.count(request, 'fallback', stored.config.id);
      return this.staticImage(stored, 'gif', 'NOT_FOUND');
    }
    return this.countdown(stored, stored.config, request);
  }

  private async countdown(stored: StoredBlock, block: CountdownBlock, request: CountdownRequest): Promise<CountdownImage> {
    try {
      let profileError: unknown;
      const deadline = await resolveDeadline(block.deadline, {
        query: request.query,
        profile: async () => {
          try {
            // A block that requires a signature reads no profile for an unsigned request.
            return await this.profileOf(this.opens.mayPersonalise(block, request) ? request.subject : undefined);
          } catch (error) {
            // The store is slow or down: the block's fallback deadline, if it has one, still counts.
            profileError = error;
            return undefined;
          }
        },
      });
      const error = profileError === undefined ? undefined : errorCode(profileError);
      if (!deadline) {
        this.count(request, 'fallback', block.id);
        return this.staticImage(stored, request.ext, error);
      }
      if (request.requester === 'apple_proxy' && block.prefetch) {
        this.count(request, 'generic', block.id);
        return await this.prefetchStill(stored, block, deadline, request.ext);
      }
      const image = await this.render(stored, block, deadline, request.ext);
      this.count(request, deadline.source === 'query' || deadline.source === 'event' ? 'personal' : 'generic', block.id);
      if (error) image.error = error;
      return image;
    } catch (error) {
      this.deps.logger.warn('countdown served a fallback', { block: block.id, code: errorCode(error), error: describeError(error) });
      this.count(request, 'fallback', block.id);
      return this.staticImage(stored, request.ext, errorCode(error));
    }
  }

  /** The subscriber's profile, when they are known and not suppressed. */
  private async profileOf(subject: string | undefined): Promise<Profile | undefined> {
    const key = await this.opens.trackedSubject(subject);
    return key ? this.budget(this.deps.store.getProfile(key), 'reading the profile') : undefined;
  }

  private async render(stored: StoredBlock, block: CountdownBlock, deadline: ResolvedDeadline, ext: CountdownFormatExt): Promise<CountdownImage> {
    const contentType = ext === 'gif' ? 'image/gif' : 'image/png';
    const version = await this.versionKey(stored);
    const nowSecond = Math.floor(this.deps.clock.now() / 1000);
    const seconds = Math.floor(deadline.at / 1000) - nowSecond;
    if (seconds <= 0) {
      // Past the deadline the image no longer depends on the time: one render per block version.
      const { bytes, cache } = await this.cached(`countdown:${version}:expired:${ext}`, false, async () => {
        const art = await this.part(`expired:${version}`, () => buildExpired(this.art, block));
        return ext === 'gif' ? artGif(art) : artPng(art);
      });
      return { bytes, contentType, cache, fallback: 'expired' };
    }
    const leading = leadingDigits(seconds, unitsOf(block.format));
    const key = `countdown:${version}:${ext}:${deadline.at / 1000}:${nowSecond}`;
    const { bytes, cache } = await this.cached(key, isPersonal(deadline), async () => {
      const face = await this.part(`face:${version}:${leading}`, () => buildFace(this.art, block, leading));
      if (ext === 'png') return countdownPng(face, seconds);
      // The expired state is drawn only when the deadline falls inside this animation.
      const expired = seconds < block.frames ? await this.part(`expired:${version}`, () => buildExpired(this.art, block)) : undefined;
      return countdownGif(face, seconds, block.frames, () => {
        if (!expired) throw new Error('[opentime] [countdown] expired state needed but not drawn');
        return expired;
      });
    });
    return { bytes, contentType, cache };
  }

  /** Identifies a block version: its id, the store's version and a digest of the config (the store may be reset). */
  private async versionKey(stored: StoredBlock): Promise<string> {
    return `${stored.config.id}:${stored.version}:${await digest(JSON.stringify(stored.config))}:${this.deps.config.scale}`;
  }

  /** Bytes held for per-recipient deadlines now (at most PERSONAL_RENDERS_BYTES). */
  get personalRenderBytes(): number {
    return this.personalRenders.calculatedSize;
  }

  /**
   * A finished image through the render cache (a per-recipient one through
   * the small personal LRU instead); concurrent requests for the same key
   * share one render.
   */
  private async cached(key: string, personal: boolean, render: () => Promise<Uint8Array>): Promise<{ bytes: Uint8Array; cache: CountdownImage['cache'] }> {
    const hit = personal ? this.personalRenders.get(key) : await this.deps.renderCache.get(key);
    if (hit) return { bytes: hit, cache: 'hit' };
    let pending = this.inflight.get(key);
    if (pending) return { bytes: await pending, cache: 'coalesced' };
    pending = (async () => {
      const bytes = await render();
      // In the cache before the in-flight entry goes, so no request in between renders again.
      if (personal) this.personalRenders.set(key, bytes);
      else await this.writes.cacheRender(key, bytes);
      return bytes;
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, pending);
    this.writes.count('renders');
    this.writes.count('renders.countdown');
    return { bytes: await pending, cache: 'miss' };
  }

  /** Pre-rendered parts (faces, expired states), built once per key even when asked for concurrently. */
  private async part<T extends Face | Art>(key: string, build: () => Promise<T>): Promise<T> {
    const done = this.parts.get(key);
    if (done) return done as T;
    let pending = this.building.get(key);
    if (!pending) {
      pending = build()
        .then((value) => {
          this.parts.set(key, value);
          return value;
        })
        .finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return (await pending) as T;
  }

  /** The deadline itself ("Ends Fri 24 Dec, 23:59 EST") as a still, for a proxy that keeps the first image it fetched. */
  private async prefetchStill(stored: StoredBlock, block: CountdownBlock, deadline: ResolvedDeadline, ext: CountdownFormatExt): Promise<CountdownImage> {
    const prefetch = block.prefetch as NonNullable<CountdownBlock['prefetch']>;
    const zone = prefetch.zone ?? (typeof block.deadline === 'object' && 'zone' in block.deadline ? block.deadline.zone : 'UTC');
    const text = prefetch.text.replace('{deadline}', absoluteTime(deadline.at, zone, block.params.locale));
    const version = await this.versionKey(stored);
    const { bytes, cache } = await this.cached(`countdown:${version}:prefetch:${deadline.at}:${ext}`, isPersonal(deadline), async () => {
      const art = await buildMessage(this.art, block, block.params.headline, text);
      return ext === 'gif' ? artGif(art) : artPng(art);
    });
    return { bytes, contentType: ext === 'gif' ? 'image/gif' : 'image/png', cache };
  }

  /** The block's generic image in the requested format; at worst a flat image of its background colour. */
  private async staticImage(stored: StoredBlock, ext: CountdownFormatExt, error: ErrorCode | undefined): Promise<CountdownImage> {
    const block = stored.config;
    const contentType = ext === 'gif' ? 'image/gif' : 'image/png';
    const result = (bytes: Uint8Array): CountdownImage => ({ bytes, contentType, cache: 'fallback', fallback: 'static', ...(error ? { error } : {}) });
    try {
      const version = await this.versionKey(stored);
      const { bytes } = await this.cached(`countdown:${version}:static:${ext}`, false, async () => {
        const art = await this.part(`static:${version}`, () => buildStatic(this.art, block));
        return ext === 'gif' ? artGif(art) : artPng(art);
      });
      return result(bytes);
    } catch (renderError) {
      this.deps.logger.error('static fallback could not be rendered', { block: block.id, error: describeError(renderError) });
      const width = Math.round(block.size.width * this.deps.config.scale);
      const height = Math.round(block.size.height * this.deps.config.scale);
      return result(await flatImage(ext, width, height, block.params.background));
    }
  }

  private async blank(ext: CountdownFormatExt, error: ErrorCode): Promise<CountdownImage> {
    return {
      bytes: await flatImage(ext, BLANK_SIZE.width, BLANK_SIZE.height, BLANK_COLOR),
      contentType: ext === 'gif' ? 'image/gif' : 'image/png',
      cache: 'fallback',
      fallback: 'blank',
      error,
    };
  }

  private count(request: CountdownRequest, kind: 'personal' | 'generic' | 'fallback', blockId: string | undefined): void {
    if (request.machine) {
      this.writes.count('opens.machine');
      return;
    }
    this.writes.count('opens');
    this.writes.count(`opens.${kind}`);
    if (blockId) this.writes.count(`block.${blockId}.opens`);
  }

}

/** A deadline from the URL or the subscriber's profile: one recipient's, not the block's. */
function isPersonal(deadline: ResolvedDeadline): boolean {
  return deadline.source === 'query' || deadline.source === 'event';
}

/** One colour, in either format: the last resort, and never a broken image. */
export async function flatImage(ext: CountdownFormatExt, width: number, height: number, color: string): Promise<Uint8Array> {
  if (ext === 'png') return solidPng(width, height, color);
  return encodeGif(width, height, [parseHexColor(color)], [{ x: 0, y: 0, width, height, indices: new Uint8Array(width * height), delayCs: 0 }]);
}

/** A deadline as people read it, in a time zone: "Fri, Dec 24, 11:59 PM EST". */
export function absoluteTime(at: number, zone: string, locale: string): string {
  const options: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: zone }).format(at);
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(at);
  }
}
