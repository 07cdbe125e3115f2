import { toBase64 } from '../../core/shared/bytes.ts';
import { ImageFetchError, asImageFetchError, failure, refuse } from '../../core/images/fetch-error.ts';
import { checkImageResponse, imageSize, inspectPhoto, type PhotoType } from '../../core/images/image-header.ts';
import { sharedFetches } from '../../core/images/shared-fetches.ts';
import { checkImageUrl, isRedirect, redirectTarget, type ImageUrlPolicy } from '../../core/images/url-safety.ts';
import type { FetchedImage, ImageFetcher } from '../../core/ports.ts';

/**
 * Product and hero photos on Workers, where sharp does not run: the photo is
 * fetched once and embedded as it is (a PNG, JPEG or GIF data URI); resvg
 * decodes and scales it while rasterizing. That costs CPU in proportion to
 * the photo's pixels, so the limits below are tighter than on Node, and a
 * photo's size is read from its header before it is ever decoded.
 *
 * What may be fetched (src/core/images/url-safety.ts): the URL, host, port
 * and literal-address checks, on the first URL and on every redirect's
 * target (redirects are followed by hand, a limited number). Names are not
 * resolved here; Cloudflare's edge, which every fetch leaves through, does
 * not reach private networks.
 *
 * Scaling cheaply: with `resize: 'cloudflare'` the photo is requested
 * through Cloudflare Images transformations (`fetch(url, { cf: { image } })`),
 * which scales it to cover the box at the edge, before it reaches the
 * Worker. That needs transformations enabled on the zone and does nothing
 * in local workerd; otherwise photos arrive at their original size.
 *
 * Concurrent requests for the same photo share one fetch; photos are kept
 * in memory (sized in bytes, per isolate) and a failed URL is answered from
 * memory for a short while. Every fetch that gives no photo is counted, by why.
 */
export interface WorkersFetcherOptions {
  /** The whole fetch: every redirect and the body. */
  timeoutMs: number;
  /** Larger downloads are refused: the bytes are embedded in every render's SVG. */
  maxBytes?: number | undefined;
  /** Photos with more pixels are refused before decoding: resvg decodes them whole, in the isolate's 128 MB. */
  maxPixels?: number | undefined;
  /** Redirects followed, each target checked like the first URL. */
  maxRedirects?: number | undefined;
  /** Which URLs photos may come from. Default: any public host. */
  policy?: ImageUrlPolicy;
  /** Memory for fetched photos, per isolate. */
  cacheBytes?: number;
  /** How long a failed URL is answered from memory. */
  failureTtlMs?: number;
  resize?: 'none' | 'cloudflare';
  /** Counts each fetch's outcome (`images.fetched`, `images.failed`, …); the app's counters. */
  count?: (name: string) => void;
  fetch?: (input: string, init: RequestInit & { cf?: unknown }) => Promise<Response>;
}

const DEFAULTS = { maxBytes: 4 * 1024 * 1024, maxPixels: 8_000_000, maxRedirects: 3, cacheBytes: 24 * 1024 * 1024, failureTtlMs: 30_000 };

/** What resvg embeds; WebP and AVIF would draw nothing. */
const WORKERS_TYPES: readonly PhotoType[] = ['image/png', 'image/jpeg', 'image/gif'];

/** Width and height from a photo's header (src/core/images/image-header.ts). */
export { imageSize };

export function workersImageFetcher(options: WorkersFetcherOptions): ImageFetcher {
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  const maxPixels = options.maxPixels ?? DEFAULTS.maxPixels;
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  const policy = options.policy ?? {};
  const count = options.count ?? (() => undefined);
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init as RequestInit));

  /** The first answer that is not a redirect, each hop checked before it is fetched. */
  async function respond(input: string, box: { width: number; height: number }, signal: AbortSignal): Promise<{ response: Response; url: URL }> {
    let { url } = checkImageUrl(input, policy);
    for (let redirects = 0; ; redirects++) {
      const init: RequestInit & { cf?: unknown } = { signal, redirect: 'manual', headers: { accept: 'image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1' } };
      if (options.resize === 'cloudflare') {
        init.cf = { image: { width: box.width, height: box.height, fit: 'cover', format: 'jpeg', quality: 85, background: '#ffffff', metadata: 'none' } };
      }
      const response = await doFetch(url.href, init);
      if (!isRedirect(response.status)) return { response, url };
      await response.body?.cancel();
      if (redirects >= maxRedirects) throw refuse('redirects', `${input} redirects more than ${maxRedirects} times`);
      ({ url } = checkImageUrl(redirectTarget(response.headers.get('location'), url), policy));
    }
  }

  async function download(input: string, box: { width: number; height: number }): Promise<{ bytes: Uint8Array; url: URL }> {
    // One limit for the whole fetch, redirects and body included.
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const { response, url } = await respond(input, box, signal);
      if (!response.ok) {
        await response.body?.cancel();
        throw failure('status', `${url.href} answered ${response.status}`);
      }
      try {
        checkImageResponse(url, response.headers, maxBytes);
      } catch (error) {
        await response.body?.cancel();
        throw error;
      }
      if (!response.body) throw failure('network', `${url.href} has no body`);
      const chunks: Uint8Array[] = [];
      let size = 0;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          throw refuse('size', `${url.href} is larger than ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return { bytes, url };
    } catch (error) {
      // A refusal stays a refusal; anything else after the time limit is the time limit.
      throw asImageFetchError(error instanceof ImageFetchError || !signal.aborted ? error : signal.reason, input, options.timeoutMs);
    }
  }

  async function load(url: string, box: { width: number; height: number }): Promise<FetchedImage> {
    const { bytes, url: source } = await download(url, box);
    const { type, width, height } = inspectPhoto(source, bytes, maxPixels, WORKERS_TYPES);
    return { dataUri: `data:${type};base64,${toBase64(bytes)}`, width, height };
  }

  return {
    fetchImage: sharedFetches({
      key: (url, box) => (options.resize === 'cloudflare' ? `${box.width}x${box.height}|${url}` : url),
      load,
      cacheBytes: options.cacheBytes ?? DEFAULTS.cacheBytes,
      failureTtlMs: options.failureTtlMs ?? DEFAULTS.failureTtlMs,
      timeoutMs: options.timeoutMs,
      count,
    }),
  };
}
