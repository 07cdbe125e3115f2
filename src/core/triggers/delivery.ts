import type { HttpRequest } from './destinations/destination.ts';

/**
 * One send over HTTP and what its answer means: 2xx is sent; 429, 408, 5xx
 * and a network failure or timeout are tried again (after `Retry-After`
 * when the ESP gives one); any other 4xx will not get better by retrying and
 * goes to the dead letters at once.
 */
export type DeliveryOutcome = { ok: true; status: number } | { ok: false; retry: boolean; status?: number; retryAfterMs?: number; error: string };

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** Retry-After as seconds or an HTTP date, bounded to a day: an ESP cannot park an episode for ever. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), 86_400_000) : undefined;
}

export async function deliver(fetch: Fetch, request: HttpRequest, timeoutMs: number, now: number): Promise<DeliveryOutcome> {
  let response: Response;
  try {
    response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
  } catch (error) {
    return { ok: false, retry: true, error: `no answer: ${error instanceof Error ? error.message : String(error)}` };
  }
  // The ESP's error text helps whoever reads the dead letter; bounded, since it is kept.
  const text = (await response.text().catch(() => '')).slice(0, 500);
  if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
  const retry = response.status === 429 || response.status === 408 || response.status >= 500;
  const outcome: DeliveryOutcome = { ok: false, retry, status: response.status, error: `HTTP ${response.status}${text ? `: ${text}` : ''}` };
  const after = retryAfterMs(response.headers.get('retry-after'), now);
  if (after !== undefined) outcome.retryAfterMs = after;
  return outcome;
}

/** Exponential backoff from `baseMs` (1, 2, 4, … times), at most an hour, with up to 10 % jitter so instances spread out. */
export function backoffMs(attempt: number, baseMs: number): number {
  const plain = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
  return Math.round(plain * (1 + Math.random() * 0.1));
}
