import { normalizeEmail, looksLikeEmail } from './subjects.ts';

/**
 * Who may see what. Every opentime URL is public; when a block requires it,
 * a request must prove it was made for this subscriber, in one of three
 * ways, each an HMAC-SHA256 with one of several active keys (key id in the
 * URL, so keys rotate without breaking emails already sent):
 *
 *  - `t=` a subscriber token: HMAC(key, subscriber id), computed once per
 *    subscriber and loaded into the ESP as a profile field. It binds the
 *    subscriber only, so any ESP can use it.
 *  - `sig=` a URL signature: HMAC(key, canonical path and query), for senders
 *    that build each URL themselves (transactional APIs). It binds
 *    everything in the URL.
 *  - `jwt=` a JSON Web Token (HS256) whose `u` claim is the subscriber, for
 *    Salesforce Marketing Cloud's GetJWT.
 *
 * The URL is parsed structurally and the canonical form is rebuilt from its
 * parts (never by cutting the signature out of the string), and MACs are
 * compared in constant time. Base64 may be URL-safe or standard (Braze's
 * hmac_sha256_base64), and truncated to no fewer than MIN_MAC_CHARS.
 */
export const MIN_MAC_CHARS = 16;
/** What opentime issues: 22 characters = 132 bits. */
export const ISSUED_MAC_CHARS = 22;
export const SIGNATURE_PARAMS = ['sig', 't', 'jwt', 'k'] as const;

export interface SigningKey {
  id: string;
  secret: string;
}

const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  let binary = '';
  for (const b of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Standard or URL-safe base64 as URL-safe without padding. */
export function toBase64url(value: string): string {
  return value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '').replace(/ /g, '-');
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i % Math.max(1, y.length)] ?? 0);
  return diff === 0;
}

export class Signer {
  private readonly keys: readonly SigningKey[];
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('[opentime] [signing] at least one signing key is needed');
    this.keys = keys;
  }

  /** The key that signs new URLs and tokens (the first one). */
  get currentKeyId(): string {
    return (this.keys[0] as SigningKey).id;
  }

  private key(id: string): Promise<CryptoKey> | undefined {
    const found = this.keys.find((k) => k.id === id);
    if (!found) return undefined;
    let key = this.imported.get(id);
    if (!key) {
      key = crypto.subtle.importKey('raw', encoder.encode(found.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      this.imported.set(id, key);
    }
    return key;
  }

  private async mac(keyId: string, message: string): Promise<string | undefined> {
    const key = this.key(keyId);
    if (!key) return undefined;
    return base64url(await crypto.subtle.sign('HMAC', await key, encoder.encode(message)));
  }

  /** Checks a MAC someone sent against ours: full length or truncated, never shorter than MIN_MAC_CHARS. */
  private async matches(keyId: string | undefined, message: string, given: string): Promise<boolean> {
    const candidate = toBase64url(given);
    if (candidate.length < MIN_MAC_CHARS) return false;
    // Without a key id, each active key is tried (a URL made before key ids were used).
    const ids = keyId === undefined ? this.keys.map((k) => k.id) : [keyId];
    let ok = false;
    for (const id of ids) {
      const expected = await this.mac(id, message);
      if (expected !== undefined && constantTimeEqual(candidate, expected.slice(0, candidate.length))) ok = true;
    }
    return ok;
  }

  /** A subscriber token: what `t=` carries. */
  async token(subscriber: string, keyId = this.currentKeyId): Promise<string> {
    return ((await this.mac(keyId, subjectMessage(subscriber))) as string).slice(0, ISSUED_MAC_CHARS);
  }

  /** Signs a path and query (`/i/block.png?u=1&m=2`): returns it with `k=` and `sig=` added. */
  async signUrl(pathAndQuery: string, keyId = this.currentKeyId): Promise<string> {
    const url = new URL(pathAndQuery, 'https://opentime.invalid');
    url.searchParams.delete('sig');
    url.searchParams.set('k', keyId);
    const signature = ((await this.mac(keyId, canonical(url))) as string).slice(0, ISSUED_MAC_CHARS);
    url.searchParams.set('sig', signature);
    return `${url.pathname}${url.search}`;
  }

  /** Whether a request URL proves it was made for its `u=` subscriber (or, with `sig=`, for exactly this URL). */
  async verify(requestUrl: string | URL): Promise<boolean> {
    let url: URL;
    try {
      url = typeof requestUrl === 'string' ? new URL(requestUrl, 'https://opentime.invalid') : requestUrl;
    } catch {
      return false;
    }
    const params = url.searchParams;
    const keyId = params.get('k') ?? undefined;
    const subscriber = params.get('u');
    const sig = params.get('sig');
    if (sig !== null) return this.matches(keyId, canonical(url), sig);
    if (subscriber === null || subscriber === '') return false;
    const token = params.get('t');
    if (token !== null) return this.matches(keyId, subjectMessage(subscriber), token);
    const jwt = params.get('jwt');
    if (jwt !== null) return this.verifyJwt(jwt, subscriber, keyId);
    return false;
  }

  private async verifyJwt(jwt: string, subscriber: string, keyId: string | undefined): Promise<boolean> {
    const parts = jwt.split('.');
    if (parts.length !== 3) return false;
    const [header, payload, signature] = parts as [string, string, string];
    try {
      const head = JSON.parse(atob(toBase64url(header).replace(/-/g, '+').replace(/_/g, '/'))) as { alg?: string };
      if (head.alg !== 'HS256') return false;
      const claims = JSON.parse(atob(toBase64url(payload).replace(/-/g, '+').replace(/_/g, '/'))) as { u?: unknown; sub?: unknown; exp?: unknown };
      const claimed = typeof claims.u === 'string' ? claims.u : typeof claims.sub === 'string' ? claims.sub : undefined;
      if (claimed === undefined || subjectMessage(claimed) !== subjectMessage(subscriber)) return false;
      if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return false;
    } catch {
      return false;
    }
    return this.matches(keyId, `${header}.${payload}`, signature);
  }
}

/** What a subscriber token signs: the id, with an email address normalised as subject keys are. */
function subjectMessage(subscriber: string): string {
  return looksLikeEmail(subscriber) ? normalizeEmail(subscriber) : subscriber.trim();
}

/** The canonical form of a URL: its path, then its parameters (without `sig`) sorted and percent-encoded. */
export function canonical(url: URL): string {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of url.searchParams) if (name !== 'sig') pairs.push([name, value]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const query = pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
  return `${url.pathname}?${query}`;
}

/** Keys from configuration: `k1:secret,k2:secret` (the first signs; all verify). */
export function parseSigningKeys(value: string): SigningKey[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      return colon > 0 ? { id: entry.slice(0, colon), secret: entry.slice(colon + 1) } : { id: 'k1', secret: entry };
    });
}
