import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_MAC_CHARS, Signer, canonical, deriveUseSecret, parseSigningKeys } from '../../../src/core/audience/signing.ts';

const keys = [
  { id: 'new', secret: 'the-new-signing-key' },
  { id: 'old', secret: 'the-old-signing-key' },
];
const signer = new Signer(keys);
const mac = (secret: string, message: string, encoding: 'base64url' | 'base64' = 'base64url') => createHmac('sha256', secret).update(message).digest(encoding);
/** The documented derivation: each use's secret is base64url(HMAC-SHA256(configured secret, label)). */
const LABELS = { t: 'opentime signing v2: subscriber token', sig: 'opentime signing v2: URL signature', jwt: 'opentime signing v2: JWT' };
const useSecret = (secret: string, use: keyof typeof LABELS) => mac(secret, LABELS[use]);
const tokenMac = (secret: string, message: string, encoding: 'base64url' | 'base64' = 'base64url') => mac(useSecret(secret, 't'), message, encoding);

describe('subscriber tokens (t=)', () => {
  it('issues an HMAC of the subscriber id that verifies for that subscriber only', async () => {
    const token = await signer.token('c-1042');
    expect(token).toBe(tokenMac('the-new-signing-key', 'c-1042').slice(0, 22));
    expect(await signer.verify(`/i/grid.png?u=c-1042&m=spring&k=new&t=${token}`)).toBe(true);
    expect(await signer.verify(`/i/grid.png?u=c-1043&m=spring&k=new&t=${token}`)).toBe(false);
    // Other parameters may change: a token binds the subscriber, not the URL.
    expect(await signer.verify(`/c/grid/2?m=other&u=c-1042&k=new&t=${token}&utm_source=x`)).toBe(true);
  });

  it('keeps tokens of a retired-but-active key working, and refuses a removed key', async () => {
    const old = tokenMac('the-old-signing-key', 'c-1042').slice(0, 22);
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=old&t=${old}`)).toBe(true);
    expect(await new Signer([keys[0] as (typeof keys)[0]]).verify(`/i/grid.png?u=c-1042&k=old&t=${old}`)).toBe(false);
    // Without k=, every active key is tried.
    expect(await signer.verify(`/i/grid.png?u=c-1042&t=${old}`)).toBe(true);
  });

  it('accepts Braze’s full standard base64 (hmac_sha256_base64), and refuses MACs shorter than the minimum', async () => {
    const full = tokenMac('the-new-signing-key', 'c-1042', 'base64');
    expect(full).toMatch(/[+/=]/);
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=new&t=${encodeURIComponent(full)}`)).toBe(true);
    const short = tokenMac('the-new-signing-key', 'c-1042').slice(0, MIN_MAC_CHARS - 1);
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=new&t=${short}`)).toBe(false);
  });

  it('normalises an email address the way subject keys do', async () => {
    const token = await signer.token('anna@example.com');
    expect(await signer.verify(`/i/g.png?u=${encodeURIComponent('Anna@Example.com ')}&t=${token}`)).toBe(true);
  });

  it('refuses a request with no proof or a forged one', async () => {
    expect(await signer.verify('/i/grid.png?u=c-1042')).toBe(false);
    expect(await signer.verify(`/i/grid.png?u=c-1042&t=${'A'.repeat(22)}`)).toBe(false);
    expect(await signer.verify('/i/grid.png?t=abcdefghijklmnopqrstuv')).toBe(false);
    expect(await signer.verify('not a url at all %%%')).toBe(false);
  });
});

describe('URL signatures (sig=)', () => {
  it('signs the canonical path and query and verifies the same URL in any parameter order', async () => {
    const signed = await signer.signUrl('/i/grid.png?u=c-1042&m=spring');
    expect(signed).toMatch(/^\/i\/grid\.png\?u=c-1042&m=spring&k=new&sig=[A-Za-z0-9_-]{22}$/);
    expect(await signer.verify(signed)).toBe(true);
    const url = new URL(signed, 'https://x.example');
    const reordered = `/i/grid.png?sig=${url.searchParams.get('sig')}&k=new&m=spring&u=c-1042`;
    expect(await signer.verify(reordered)).toBe(true);
  });

  it('refuses any change to the path or a parameter, an added parameter, or a second signature', async () => {
    const signed = await signer.signUrl('/i/grid.png?u=c-1042&m=spring');
    const sig = new URL(signed, 'https://x.example').searchParams.get('sig') as string;
    for (const tampered of [
      signed.replace('c-1042', 'c-1043'),
      signed.replace('/i/grid.png', '/i/other.png'),
      `${signed}&u=someone-else`,
      `/i/grid.png?u=c-1043&m=spring&k=new&sig=${sig}&sig=${sig}`,
      signed.replace('&k=new', '&k=old'),
    ]) {
      expect(await signer.verify(tampered), tampered).toBe(false);
    }
  });

  it('builds the canonical form from parsed parameters, not from the URL string', () => {
    const a = canonical(new URL('https://x.example/i/a.png?b=2&a=1&sig=zzz'));
    const b = canonical(new URL('https://x.example/i/a.png?a=1&sig=yyy&b=%32'));
    expect(a).toBe('/i/a.png?a=1&b=2');
    expect(b).toBe(a);
  });
});

describe('JWT (jwt=, Salesforce Marketing Cloud GetJWT)', () => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = (claims: object, secret = 'the-new-signing-key', alg = 'HS256') => {
    const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
    return `${head}.${mac(useSecret(secret, 'jwt'), head)}`;
  };
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts an HS256 token whose u claim is the subscriber', async () => {
    expect(await signer.verify(`/i/g.png?u=sk-7&k=new&jwt=${jwt({ u: 'sk-7' })}`)).toBe(true);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ sub: 'sk-7' })}`)).toBe(true);
  });

  it('refuses another subscriber’s token, another key, alg none and an expired token', async () => {
    expect(await signer.verify(`/i/g.png?u=sk-8&jwt=${jwt({ u: 'sk-7' })}`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ u: 'sk-7' }, 'wrong-key')}`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${b64({ alg: 'none' })}.${b64({ u: 'sk-7' })}.`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ u: 'sk-7', exp: 1 })}`)).toBe(false);
  });

  it('refuses a token that is not valid yet, times that are not numbers, and a signature cut short', async () => {
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ u: 'sk-7', nbf: now() + 3600 })}`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ u: 'sk-7', exp: String(now() + 3600) })}`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${jwt({ u: 'sk-7', exp: now() + 3600, nbf: now() - 60 })}`)).toBe(true);
    const whole = jwt({ u: 'sk-7' });
    expect(await signer.verify(`/i/g.png?u=sk-7&jwt=${whole.slice(0, whole.lastIndexOf('.') + 1 + MIN_MAC_CHARS)}`)).toBe(false);
  });

  it('accepts a subscriber id that is not ASCII', async () => {
    expect(await signer.verify(`/i/g.png?u=${encodeURIComponent('jürgen-東京')}&jwt=${jwt({ u: 'jürgen-東京' })}`)).toBe(true);
    expect(await signer.verify(`/i/g.png?u=${encodeURIComponent('jürgen-東京')}&jwt=${await signer.jwt('jürgen-東京')}`)).toBe(true);
  });
});

describe('each use has its own key', () => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('does not take a subscriber token issued for an id shaped like header.payload as a JWT for anyone', async () => {
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ u: 'victim' })}`;
    const token = await signer.token(head);
    expect(await signer.verify(`/i/g.png?u=${encodeURIComponent(head)}&t=${token}`)).toBe(true);
    expect(await signer.verify(`/i/g.png?u=victim&jwt=${head}.${token}`)).toBe(false);
    expect(await signer.verify(`/i/g.png?u=victim&k=new&jwt=${head}.${await signer.token(head, 'new')}`)).toBe(false);
  });

  it('does not take a subscriber token issued for an id shaped like a URL as that URL’s signature', async () => {
    const url = new URL('https://x.example/i/grid.png?k=new&u=victim');
    const token = await signer.token(canonical(url));
    expect(await signer.verify(`/i/grid.png?u=victim&k=new&sig=${token}`)).toBe(false);
  });

  it('derives each use’s secret from the configured one, as documented, and keeps rotation by k=', async () => {
    expect(await deriveUseSecret('the-new-signing-key', 'jwt')).toBe(useSecret('the-new-signing-key', 'jwt'));
    expect(await signer.useSecret('t', 'old')).toBe(useSecret('the-old-signing-key', 't'));
    expect(signer.useSecret('t', 'gone')).toBeUndefined();
    const oldJwt = await signer.jwt('sk-7', 'old');
    expect(await signer.verify(`/i/g.png?u=sk-7&k=old&jwt=${oldJwt}`)).toBe(true);
    expect(await signer.verify(`/i/g.png?u=sk-7&k=new&jwt=${oldJwt}`)).toBe(false);
  });

  it('no longer accepts tokens made with the configured secret itself (the scheme before per-use keys)', async () => {
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=new&t=${mac('the-new-signing-key', 'c-1042').slice(0, 22)}`)).toBe(false);
  });
});

describe('parseSigningKeys', () => {
  it('reads id:secret pairs, the first being the one that signs', () => {
    expect(parseSigningKeys('k2:two, k1:one')).toEqual([
      { id: 'k2', secret: 'two' },
      { id: 'k1', secret: 'one' },
    ]);
    expect(parseSigningKeys('just-a-secret')).toEqual([{ id: 'k1', secret: 'just-a-secret' }]);
  });
});
