import sharp from 'sharp';
import { failure } from '../../core/images/fetch-error.ts';
import { inspectPhoto, type PhotoType } from '../../core/images/image-header.ts';
import { sharedFetches } from '../../core/images/shared-fetches.ts';
import type { ImageUrlPolicy } from '../../core/images/url-safety.ts';
import type { FetchedImage, ImageFetcher } from '../../core/ports.ts';
import { safeHttpGet, type Resolver } from './node-http.ts';

/**
 * Product and hero photos on Node: fetched once (node-http.ts: allowed
 * hosts, public addresses only, redirects re-checked, time and byte limits),
 * checked by their bytes (a PNG, JPEG, GIF or WebP whose header is within the
 * pixel limit), scaled with sharp to cover the box they are drawn in (at
 * output resolution), and kept as JPEG data URIs sized in bytes. Concurrent
 * requests for the same photo share one fetch; a photo that fails is not
 * asked for again for a short while. Every fetch that gives no photo is
 * counted, by why (`images.refused.<reason>`, `images.failed.<reason>`).
 */
export interface SharpFetcherOptions {
  /** The whole fetch: every redirect and the body. */
  timeoutMs: number;
  /** Larger downloads are stopped at this many bytes (a photo, not a video). */
  maxBytes?: number | undefined;
  /** Decompression bombs: images whose header claims more pixels are refused before decoding. */
  maxPixels?: number | undefined;
  /** Redirects followed, each target checked like the first URL. */
  maxRedirects?: number | undefined;
  /** Which URLs and addresses photos may come from (src/core/images/url-safety.ts). Default: any public host. */
  policy?: ImageUrlPolicy;
  cacheBytes?: number;
  /** How long a failed URL is answered from memory. */
  failureTtlMs?: number;
  /** Counts each fetch's outcome (`images.fetched`, `images.failed`, …); the app's counters. */
  count?: (name: string) => void;
  /** The DNS lookup (tests). */
  resolve?: Resolver;
}

/**
 * Photos kept, scaled to their box, as data URIs (in the JavaScript heap): 32 MB is about 1,350
 * product photos of the standard block. Grids keep their drawn tiles in the layer cache, so a photo
 * is needed again only when its tile is drawn again (a price change) or for a block drawn whole;
 * one fetched again costs a download and a resize off the open's path in the usual case.
 */
export const PHOTO_CACHE_BYTES = 32 * 1024 * 1024;

const DEFAULTS = { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000, maxRedirects: 3, cacheBytes: PHOTO_CACHE_BYTES, failureTtlMs: 30_000 };

/** What sharp is given; SVG, TIFF, AVIF and the rest are refused by their bytes before it sees them. */
const NODE_TYPES: readonly PhotoType[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export function sharpImageFetcher(options: SharpFetcherOptions): ImageFetcher {
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const count = options.count ?? (() => undefined);
  const download = safeHttpGet({
    policy: options.policy ?? {},
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
    maxRedirects: options.maxRedirects ?? DEFAULTS.maxRedirects,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });

  async function load(url: string, box: { width: number; height: number }): Promise<FetchedImage> {
    const { bytes, url: source } = await download(url);
    inspectPhoto(source, bytes, maxPixels, NODE_TYPES);
    try {
      // limitInputPixels again, in case a format's header and libvips disagree; pages: 1 is an animation's first frame only.
      const output = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
        .rotate()
        .resize(box.width, box.height, { fit: 'cover', position: 'centre' })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 85, chromaSubsampling: '4:4:4' })
        .toBuffer();
      return { dataUri: `data:image/jpeg;base64,${output.toString('base64')}`, width: box.width, height: box.height };
    } catch (error) {
      throw failure('decode', `${source.href} could not be decoded: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }

  return {
    fetchImage: sharedFetches({
      key: (url, box) => `${box.width}x${box.height}|${url}`,
      load,
      cacheBytes: options.cacheBytes ?? DEFAULTS.cacheBytes,
      failureTtlMs: options.failureTtlMs ?? DEFAULTS.failureTtlMs,
      timeoutMs: options.timeoutMs,
      count,
    }),
  };
}
