/**
 * Identity verification for the browser key, the way Intercom does it: the
 * shop's server, which knows who is logged in, computes
 * `userHash = hex(HMAC-SHA256(OPENTIME_IDENTITY_SECRET, userId))` and puts it
 * in the page; the snippet sends it as `context.userHash`. A visitor reading
 * the page's public key cannot compute it for anyone else's userId.
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return key;
}

/** The hex HMAC-SHA256 of `userId` under `secret` (what the shop's server computes). */
export async function userHash(secret: string, userId: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(userId)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** True when `given` is the userHash of `userId`; compared in constant time, case-insensitively. */
export async function userHashMatches(secret: string, userId: string, given: unknown): Promise<boolean> {
  if (typeof given !== 'string' || given.length !== 64) return false;
  const expected = await userHash(secret, userId);
  const actual = given.toLowerCase();
  let difference = 0;
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ actual.charCodeAt(i);
  return difference === 0;
}
