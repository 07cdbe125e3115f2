import { base64url } from '../shared/bytes.ts';
import type { SubjectStore } from '../ports.ts';

/**
 * Subject keys: how a person is named inside the store. A user id becomes
 * `u:<id>`, an anonymous id `a:<id>`. An id that is an email address is
 * never stored or logged in clear text: it becomes `u:~<keyed hash>` of the
 * normalised address, so `Anna@Example.com` from an ESP merge tag and
 * `anna@example.com` from identify meet at the same key.
 */
export interface SubjectKeyer {
  userKey(id: string): Promise<string>;
  /** Async like userKey: an anonymous id can be an address too (an alias's previousId). */
  anonymousKey(id: string): Promise<string>;
}

const EMAIL = /^[^\s@]+(?: [^\s@]+)*@[^\s@]+\.[^\s@]+$/;
/** Following links stops here, so a cycle or a long chain cannot hang a request. */
export const MAX_LINK_HOPS = 5;

export function looksLikeEmail(id: string): boolean {
  return EMAIL.test(id.trim());
}

/**
 * Lower-cases and trims; a space in the local part was a `+` that a form
 * decoder turned into a space (plus-addressing), so it becomes `+` again.
 */
export function normalizeEmail(id: string): string {
  const trimmed = id.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  return trimmed.slice(0, at).replace(/ /g, '+') + trimmed.slice(at);
}

export function createSubjectKeyer(secret: string): SubjectKeyer {
  let key: Promise<CryptoKey> | undefined;
  async function keyed(prefix: 'u' | 'a', id: string): Promise<string> {
    // `~` marks a hashed address; a plain id that starts with one gets another, so the two never meet.
    if (!looksLikeEmail(id)) return `${prefix}:${id.startsWith('~') ? '~' : ''}${id}`;
    key ??= crypto.subtle.importKey('raw', new TextEncoder().encode(`opentime-subject:${secret}`), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(normalizeEmail(id)));
    return `${prefix}:~${base64url(mac).slice(0, 32)}`;
  }
  return {
    userKey: (id) => keyed('u', id),
    anonymousKey: (id) => keyed('a', id),
  };
}

/** Follows identify/alias links to the canonical key of each subject. */
export async function resolveSubjectKeys(store: Pick<SubjectStore, 'getLinks'>, keys: readonly string[]): Promise<Map<string, string>> {
  const resolved = new Map<string, string>(keys.map((k) => [k, k]));
  let pending = [...new Set(keys)];
  for (let hop = 0; hop < MAX_LINK_HOPS && pending.length > 0; hop++) {
    const links = await store.getLinks(pending);
    if (links.size === 0) break;
    const next = new Set<string>();
    for (const [original, current] of resolved) {
      const target = links.get(current);
      if (target !== undefined && target !== original) {
        resolved.set(original, target);
        next.add(target);
      }
    }
    pending = [...next];
  }
  return resolved;
}
