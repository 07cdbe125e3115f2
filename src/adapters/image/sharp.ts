import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import type { FetchedImage, ImageFetcher } from '../../core/ports.ts';

/**
 * Product and hero photos on Node: fetched once, scaled with sharp to cover
 * the box they are drawn in (at output resolution), and kept as JPEG data
 * URIs sized in bytes. Concurrent requests for the same photo share one
 * fetch; a photo that fails is not asked for again for a short while.
 */
export interface SharpFetcherOptions {
  timeoutMs: number;
  /** Larger downloads are refused (a photo, not a video). */
  maxBytes?: number;
  /** Decompression bombs: images with more pixels than this are refused before decoding. */
  maxPixels?: number;
  cacheBytes?: number;
  /** How long a failed URL is answered from memory. */
  failureTtlMs?: number;
  fetch?: typeof fetch;
}

const DEFAULTS = { maxBytes: 15 * 1024 * 1024, maxPixels: 40_000_000, cacheBytes: 128 * 1024 * 1024, failureTtlMs: 30_000 };

export function sharpImageFetcher(options: SharpFetcherOptions): ImageFetcher {
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const doFetch = options.fetch ?? fetch;
  const images = new LRUCache<string, FetchedImage>({
    maxSize: options.cacheBytes ?? DEFAULTS.cacheBytes,
    sizeCalculation: (image) => image.dataUri.length + 64,
  });
  const failures = new LRUCache<string, Error>({ max: 10_000, ttl: options.failureTtlMs ?? DEFAULTS.failureTtlMs });
  const inflight = new Map<string, Promise<FetchedImage>>();

  async function download(url: string): Promise<Uint8Array> {
    const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'image/*' } });
    if (!response.ok) throw new Error(`[opentime] [sharp] ${url} answered ${response.status}`);
    const type = response.headers.get('content-type') ?? '';
    if (type !== '' && !type.startsWith('image/')) throw new Error(`[opentime] [sharp] ${url} is ${type}, not an image`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw new Error(`[opentime] [sharp] ${url} is ${declared} bytes; the limit is ${maxBytes}`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new Error(`[opentime] [sharp] ${url} is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  async function load(url: string, box: { width: number; height: number }): Promise<FetchedImage> {
    const bytes = await download(url);
    const output = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .resize(box.width, box.height, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 85, chromaSubsampling: '4:4:4' })
      .toBuffer();
    return { dataUri: `data:image/jpeg;base64,${output.toString('base64')}`, width: box.width, height: box.height };
  }

  return {
    fetchImage(url, box, signal) {
      const key = `${box.width}x${box.height}|${url}`;
      const cached = images.get(key);
      if (cached) return Promise.resolve(cached);
      const failed = failures.get(key);
      if (failed) return Promise.reject(failed);
      let pending = inflight.get(key);
      if (!pending) {
        pending = load(url, box)
          .then((image) => {
            images.set(key, image);
            return image;
          })
          .catch((error: unknown) => {
            failures.set(key, error instanceof Error ? error : new Error(String(error)));
            throw error;
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
    },
  };
}
