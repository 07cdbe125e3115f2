import { LRUCache } from 'lru-cache';
import { sniffImageType, toBase64 } from '../../core/bytes.ts';
import type { FetchedImage, ImageFetcher } from '../../core/ports.ts';

/**
 * Product and hero photos on Workers, where sharp does not run: the photo is
 * fetched once and embedded as it is (a PNG, JPEG or GIF data URI); resvg
 * decodes and scales it while rasterizing. That costs CPU in proportion to
 * the photo's pixels, so the limits below are tighter than on Node, and a
 * photo's size is read from its header before it is ever decoded.
 *
 * Scaling cheaply: with `resize: 'cloudflare'` the photo is requested
 * through Cloudflare Images transformations (`fetch(url, { cf: { image } })`),
 * which scales it to cover the box at the edge, before it reaches the
 * Worker. That needs transformations enabled on the zone and does nothing
 * in local workerd; otherwise photos arrive at their original size.
 *
 * Concurrent requests for the same photo share one fetch; photos are kept
 * in memory (sized in bytes, per isolate) and a failed URL is answered from
 * memory for a short while.
 */
export interface WorkersFetcherOptions {
  timeoutMs: number;
  /** Larger downloads are refused: the bytes are embedded in every render's SVG. */
  maxBytes?: number;
  /** Photos with more pixels are refused before decoding: resvg decodes them whole, in the isolate's 128 MB. */
  maxPixels?: number;
  /** Memory for fetched photos, per isolate. */
  cacheBytes?: number;
  /** How long a failed URL is answered from memory. */
  failureTtlMs?: number;
  resize?: 'none' | 'cloudflare';
  fetch?: (input: string, init: RequestInit & { cf?: unknown }) => Promise<Response>;
}

const DEFAULTS = { maxBytes: 4 * 1024 * 1024, maxPixels: 8_000_000, cacheBytes: 24 * 1024 * 1024, failureTtlMs: 30_000 };

const fail = (message: string) => new Error(`[opentime] [workers-fetch] ${message}`);

/** Width and height from a PNG, GIF or JPEG header, without decoding the image. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = sniffImageType(bytes);
  if (type === 'image/png' && bytes.length >= 24) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (type === 'image/gif' && bytes.length >= 10) return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  if (type !== 'image/jpeg') return undefined;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) i += 2;
    else i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

export function workersImageFetcher(options: WorkersFetcherOptions): ImageFetcher {
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init as RequestInit));
  const images = new LRUCache<string, FetchedImage>({
    maxSize: options.cacheBytes ?? DEFAULTS.cacheBytes,
    sizeCalculation: (image, key) => image.dataUri.length + key.length * 2 + 64,
  });
  const failures = new LRUCache<string, Error>({ max: 10_000, ttl: options.failureTtlMs ?? DEFAULTS.failureTtlMs });
  const inflight = new Map<string, Promise<FetchedImage>>();

  async function download(url: string, box: { width: number; height: number }): Promise<Uint8Array> {
    const init: RequestInit & { cf?: unknown } = { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1' } };
    if (options.resize === 'cloudflare') {
      init.cf = { image: { width: box.width, height: box.height, fit: 'cover', format: 'jpeg', quality: 85, background: '#ffffff', metadata: 'none' } };
    }
    const response = await doFetch(url, init);
    if (!response.ok) {
      await response.body?.cancel();
      throw fail(`${url} answered ${response.status}`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (type !== '' && !type.startsWith('image/')) {
      await response.body?.cancel();
      throw fail(`${url} is ${type}, not an image`);
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw fail(`${url} is ${declared} bytes; the limit is ${maxBytes}`);
    }
    if (!response.body) throw fail(`${url} has no body`);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw fail(`${url} is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return bytes;
  }

  async function load(url: string, box: { width: number; height: number }): Promise<FetchedImage> {
    const bytes = await download(url, box);
    const type = sniffImageType(bytes);
    // resvg embeds PNG, JPEG and GIF; anything else (WebP, AVIF, an error page served as image/png) would draw nothing.
    if (!type) throw fail(`${url} is not a PNG, JPEG or GIF`);
    const size = imageSize(bytes);
    if (!size || size.width === 0 || size.height === 0) throw fail(`${url} has no readable size in its header`);
    if (size.width * size.height > maxPixels) throw fail(`${url} is ${size.width}×${size.height} pixels; the limit is ${maxPixels}`);
    return { dataUri: `data:${type};base64,${toBase64(bytes)}`, width: size.width, height: size.height };
  }

  return {
    fetchImage(url, box, signal) {
      const key = options.resize === 'cloudflare' ? `${box.width}x${box.height}|${url}` : url;
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
