import { safeEqual } from '../shared/constant-time.ts';

/** Whether a key is one of the configured keys; every key is compared, each in constant time (constant-time.ts). */
export function matchesAny(candidate: string | undefined, keys: readonly string[]): boolean {
  if (candidate === undefined || candidate === '') return false;
  let ok = false;
  for (const key of keys) ok = safeEqual(candidate, key) || ok;
  return ok;
}

/** Segment's way: the write key is the HTTP Basic username, the password is empty. */
export function basicUsername(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  try {
    const decoded = atob((match[1] as string).replace(/-/g, '+').replace(/_/g, '/'));
    const colon = decoded.indexOf(':');
    return colon === -1 ? decoded : decoded.slice(0, colon);
  } catch {
    return undefined;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
