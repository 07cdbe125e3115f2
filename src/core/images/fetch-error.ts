import { AppError } from '../shared/errors.ts';

/**
 * Why a product or hero photo did not arrive. A refusal is a safety check
 * saying no (the URL, the address, the size, the type); a failure is the
 * source not delivering (an error status, too slow, a broken connection, bytes
 * that do not decode). Both give the fallback; the counters tell them apart.
 */
export type ImageRefusal = 'url' | 'scheme' | 'credentials' | 'host' | 'port' | 'address' | 'redirects' | 'type' | 'size' | 'pixels';
export type ImageFailure = 'status' | 'timeout' | 'network' | 'decode';

export class ImageFetchError extends AppError {
  readonly reason: ImageRefusal | ImageFailure;
  readonly refused: boolean;

  constructor(refused: boolean, reason: ImageRefusal | ImageFailure, message: string, cause?: unknown) {
    super('IMAGE_FETCH_FAILED', `[opentime] [images] ${message}`, cause === undefined ? {} : { cause });
    this.reason = reason;
    this.refused = refused;
  }
}

export const refuse = (reason: ImageRefusal, message: string, cause?: unknown) => new ImageFetchError(true, reason, message, cause);
export const failure = (reason: ImageFailure, message: string, cause?: unknown) => new ImageFetchError(false, reason, message, cause);

/** Any error from a fetch as an ImageFetchError: an abort is a timeout, anything unnamed a network failure. */
export function asImageFetchError(error: unknown, url: string, timeoutMs: number): ImageFetchError {
  if (error instanceof ImageFetchError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return failure('timeout', `${url} did not arrive within ${timeoutMs} ms`, error);
  return failure('network', `${url} could not be fetched: ${error instanceof Error ? error.message : String(error)}`, error);
}

/** Counter names of one fetch that did not give a photo: `images.failed`, and why. */
export function failureCounters(error: ImageFetchError): string[] {
  return ['images.failed', `images.${error.refused ? 'refused' : 'failed'}.${error.reason}`];
}
