/** A stable hex digest of a string (SHA-256, shortened: a cache key, not a secret). */
export async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let hex = '';
  for (let i = 0; i < 16; i++) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  return hex;
}

/**
 * The render key: the template, the output scale, and the very object the
 * template renders from (scope.ts), so that two subscribers shown the same
 * thing share one image, and anything a template can read (a product's
 * `source`, its `url`, the time) tells two renders apart. It is the JSON
 * itself, not a digest of it: an open answered from the cache computes it
 * every time, and a hash (crypto.subtle is asynchronous) would cost more
 * than the lookup; a cache that needs short keys (the Cache API's URLs)
 * hashes them itself.
 */
export function renderKey(templateDigest: string, scale: number, scope: object, format: string = 'auto'): string {
  // The block's format: a block switched to `png` must not be answered from its JPEG renders.
  return JSON.stringify(format === 'auto' ? [templateDigest, scale, scope] : [templateDigest, scale, scope, format]);
}

/**
 * A short, fast fingerprint of a string (53 bits, not cryptographic): for
 * remembering which render an open showed without keeping the whole key.
 */
export function fingerprint(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
