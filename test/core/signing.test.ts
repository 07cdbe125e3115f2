import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIN_MAC_CHARS, Signer, canonical, parseSigningKeys } from '../../src/core/signing.ts';

const keys = [
  { id: 'new', secret: 'the-new-signing-key' },
  { id: 'old', secret: 'the-old-signing-key' },
];
const signer = new Signer(keys);
const mac = (secret: string, message: string, encoding: 'base64url' | 'base64' = 'base64url') => createHmac('sha256', secret).update(message).digest(encoding);

describe('subscriber tokens (t=)', () => {
  it('issues an HMAC of the subscriber id that verifies for that subscriber only', async () => {
    const token = await signer.token('c-1042');
    expect(token).toBe(mac('the-new-signing-key', 'c-1042').slice(0, 22));
    expect(await signer.verify(`/i/grid.png?u=c-1042&m=spring&k=new&t=${token}`)).toBe(true);
    expect(await signer.verify(`/i/grid.png?u=c-1043&m=spring&k=new&t=${token}`)).toBe(false);
    // Other parameters may change: a token binds the subscriber, not the URL.
    expect(await signer.verify(`/c/grid/2?m=other&u=c-1042&k=new&t=${token}&utm_source=x`)).toBe(true);
  });

  it('keeps tokens of a retired-but-active key working, and refuses a removed key', async () => {
    const old = mac('the-old-signing-key', 'c-1042').slice(0, 22);
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=old&t=${old}`)).toBe(true);
    expect(await new Signer([keys[0] as (typeof keys)[0]]).verify(`/i/grid.png?u=c-1042&k=old&t=${old}`)).toBe(false);
    // Without k=, every active key is tried.
    expect(await signer.verify(`/i/grid.png?u=c-1042&t=${old}`)).toBe(true);
  });

  it('accepts Braze’s full standard base64 (hmac_sha256_base64), and refuses MACs shorter than the minimum', async () => {
    const full = mac('the-new-signing-key', 'c-1042', 'base64');
    expect(full).toMatch(/[+/=]/);
    expect(await signer.verify(`/i/grid.png?u=c-1042&k=new&t=${encodeURIComponent(full)}`)).toBe(true);
    const short = mac('the-new-signing-key', 'c-1042').slice(0, MIN_MAC_CHARS - 1);
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
    return `${head}.${mac(secret, head)}`;
  };

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
