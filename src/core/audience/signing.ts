import { Jwt } from 'hono/utils/jwt';
import { normalizeEmail, looksLikeEmail } from './subjects.ts';
import { base64url } from '../shared/bytes.ts';
import { safeEqual } from '../shared/constant-time.ts';

/**
 * Who may see what. Every opentime URL is public; when a block requires it,
 * a request must prove it was made for this subscriber, in one of three
 * ways, each under one of several active keys (key id in the URL, `k=`, so
 * keys rotate without breaking emails already sent):
 *
 *  - `t=` a subscriber token: HMAC-SHA256(token key, subscriber id),
 *    computed once per subscriber and loaded into the ESP as a profile
 *    field. It binds the subscriber only, so any ESP can use it.
 *  - `sig=` a URL signature: HMAC-SHA256(URL key, canonical path and query),
 *    for senders that build each URL themselves. It binds everything in the
 *    URL.
 *  - `jwt=` a JSON Web Token (HS256, under the JWT key) whose `u` or `sub`
 *    claim is the subscriber, for Salesforce Marketing Cloud's GetJWT.
 *    Verified by Hono's JWT library: `exp`, `nbf` and `iat` must be numbers
 *    and hold now, and the whole signature must match.
 *
 * Each configured secret is never used itself: a separate key is derived
 * from it for each of the three uses (`useSecret`), so that a MAC made for
 * one use is no proof for another (without that, a token issued for an id
 * shaped like `header.payload` would be a valid JWT for any subscriber).
 * The URL is parsed structurally and the canonical form is rebuilt from its
 * parts (never by cutting the signature out of the string), and MACs are
 * compared in constant time. Base64 may be URL-safe or standard (Braze's
 * hmac_sha256_base64), and `t=` and `sig=` MACs truncated to no fewer than
 * MIN_MAC_CHARS (a JWT's signature is checked whole).
 */
export const MIN_MAC_CHARS = 16;
/** What opentime issues: 22 characters = 132 bits. */
export const ISSUED_MAC_CHARS = 22;
export const SIGNATURE_PARAMS = ['sig', 't', 'jwt', 'k'] as const;

export interface SigningKey {
  id: string;
  secret: string;
}

/** What a MAC proves: a subscriber (`t=`), a whole URL (`sig=`), a JWT (`jwt=`). */
export type SigningUse = 't' | 'sig' | 'jwt';

/** The label each use's key is derived with; a new scheme gets a new version. */
const USE_LABELS: Record<SigningUse, string> = {
  t: 'opentime signing v2: subscriber token',
  sig: 'opentime signing v2: URL signature',
  jwt: 'opentime signing v2: JWT',
};

const encoder = new TextEncoder();

/** Standard or URL-safe base64 as URL-safe without padding. */
export function toBase64url(value: string): string {
  return value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '').replace(/ /g, '-');
}

async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return base64url(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/**
 * The secret of one use under one configured secret: base64url of
 * HMAC-SHA256(configured secret, the use's label), 43 characters. It is a
 * string so that an ESP can hold it where it computes the MAC itself
 * (Braze's `hmac_sha256_base64` takes the token secret, SFMC's Key
 * Management the JWT secret); `opentime signing-keys` prints them.
 */
export function deriveUseSecret(secret: string, use: SigningUse): Promise<string> {
  return hmac(secret, USE_LABELS[use]);
}

export class Signer {
  private readonly keys: readonly SigningKey[];
  /** Each use's secret and imported key, by `<use>:<key id>`, derived once. */
  private readonly secrets = new Map<string, Promise<string>>();
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('[opentime] [signing] at least one signing key is needed');
    this.keys = keys;
  }

  /** The key that signs new URLs and tokens (the first one). */
  get currentKeyId(): string {
    return (this.keys[0] as SigningKey).id;
  }

  /** The secret derived for one use from a configured key (for ESPs that sign in their templates); undefined for an unknown key. */
  useSecret(use: SigningUse, keyId = this.currentKeyId): Promise<string> | undefined {
    const found = this.keys.find((k) => k.id === keyId);
    if (!found) return undefined;
    const id = `${use}:${keyId}`;
    let secret = this.secrets.get(id);
    if (!secret) {
      secret = deriveUseSecret(found.secret, use);
      this.secrets.set(id, secret);
    }
    return secret;
  }

  private key(use: SigningUse, keyId: string): Promise<CryptoKey> | undefined {
    const secret = this.useSecret(use, keyId);
    if (!secret) return undefined;
    const id = `${use}:${keyId}`;
    let key = this.imported.get(id);
    if (!key) {
      key = secret.then((s) => crypto.subtle.importKey('raw', encoder.encode(s), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']));
      this.imported.set(id, key);
    }
    return key;
  }

  private async mac(use: SigningUse, keyId: string, message: string): Promise<string | undefined> {
    const key = this.key(use, keyId);
    if (!key) return undefined;
    return base64url(await crypto.subtle.sign('HMAC', await key, encoder.encode(message)));
  }

  /** The key ids a request may have used: the one it names, or (a URL made before key ids were used) every active key. */
  private candidates(keyId: string | undefined): string[] {
    return keyId === undefined ? this.keys.map((k) => k.id) : [keyId];
  }

  /** Checks a MAC someone sent against ours: full length or truncated, never shorter than MIN_MAC_CHARS. */
  private async matches(use: SigningUse, keyId: string | undefined, message: string, given: string): Promise<boolean> {
    const candidate = toBase64url(given);
    if (candidate.length < MIN_MAC_CHARS) return false;
    let ok = false;
    for (const id of this.candidates(keyId)) {
      const expected = await this.mac(use, id, message);
      if (expected !== undefined && safeEqual(candidate, expected.slice(0, candidate.length))) ok = true;
    }
    return ok;
  }

  /** A subscriber token: what `t=` carries. */
  async token(subscriber: string, keyId = this.currentKeyId): Promise<string> {
    return ((await this.mac('t', keyId, subjectMessage(subscriber))) as string).slice(0, ISSUED_MAC_CHARS);
  }

  /** Signs a path and query (`/i/block.png?u=1&m=2`): returns it with `k=` and `sig=` added. */
  async signUrl(pathAndQuery: string, keyId = this.currentKeyId): Promise<string> {
    const url = new URL(pathAndQuery, 'https://opentime.invalid');
    url.searchParams.delete('sig');
    url.searchParams.set('k', keyId);
    const signature = ((await this.mac('sig', keyId, canonical(url))) as string).slice(0, ISSUED_MAC_CHARS);
    url.searchParams.set('sig', signature);
    return `${url.pathname}${url.search}`;
  }

  /** A JWT for a subscriber, as SFMC's GetJWTByKeyName makes one with the JWT secret (tests, senders without SFMC). */
  async jwt(subscriber: string, keyId = this.currentKeyId, claims: Record<string, unknown> = {}): Promise<string> {
    return Jwt.sign({ ...claims, u: subscriber }, (await this.useSecret('jwt', keyId)) as string, 'HS256');
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
    if (sig !== null) return this.matches('sig', keyId, canonical(url), sig);
    if (subscriber === null || subscriber === '') return false;
    const token = params.get('t');
    if (token !== null) return this.matches('t', keyId, subjectMessage(subscriber), token);
    const jwt = params.get('jwt');
    if (jwt !== null) return this.verifyJwt(jwt, subscriber, keyId);
    return false;
  }

  /** A JWT whose signature, times and subscriber claim all hold, under the key it names (or any active one). */
  private async verifyJwt(jwt: string, subscriber: string, keyId: string | undefined): Promise<boolean> {
    for (const id of this.candidates(keyId)) {
      const secret = await this.useSecret('jwt', id);
      if (secret === undefined) continue;
      let claims: Record<string, unknown>;
      try {
        claims = await Jwt.verify(jwt, secret, 'HS256');
      } catch {
        continue; // malformed, expired, not yet valid, or signed with another key
      }
      const claimed = typeof claims.u === 'string' ? claims.u : typeof claims.sub === 'string' ? claims.sub : undefined;
      return claimed !== undefined && subjectMessage(claimed) === subjectMessage(subscriber);
    }
    return false;
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
