import { sniffImageType, toBase64 } from '../shared/bytes.ts';
import { AppError } from '../shared/errors.ts';
import type { Assets, ImageFetcher } from '../ports.ts';

/** Where a block's own images (fallback, hero background, countdown expired state) come from. */
export interface BlockImageDeps {
  images: ImageFetcher;
  /** Files under templates/, for images named by path. */
  assets: Assets;
  /** An http(s) image that takes longer than this is treated as missing. */
  photoTimeoutMs: number;
}

/**
 * An image a block names, from templates/ or an http(s) URL (fetched through
 * the image fetcher and its URL safety checks), as a data URI. One loader
 * for every kind, so the same failure is the same IMAGE_FETCH_FAILED.
 */
export async function loadBlockImage(deps: BlockImageDeps, source: string, pixels: { width: number; height: number }): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    return (await deps.images.fetchImage(source, pixels, AbortSignal.timeout(deps.photoTimeoutMs))).dataUri;
  }
  const bytes = await deps.assets.read(source);
  const type = bytes && sniffImageType(bytes);
  if (!bytes || !type) throw new AppError('IMAGE_FETCH_FAILED', `image ${JSON.stringify(source)} is not a PNG, JPEG or GIF under templates/`);
  return `data:${type};base64,${toBase64(bytes)}`;
}
