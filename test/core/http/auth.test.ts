import { describe, expect, it } from 'vitest';
import { basicUsername, bearerToken, matchesAny } from '../../../src/core/http/auth.ts';

const basic = (credentials: string) => `Basic ${btoa(credentials)}`;

describe('basicUsername', () => {
  it("reads Segment's write key from the Basic username, with an empty password", () => {
    expect(basicUsername(basic('wk_live_123:'))).toBe('wk_live_123');
  });

  it('reads a username without a colon, and ignores a password', () => {
    expect(basicUsername(basic('wk_live_123'))).toBe('wk_live_123');
    expect(basicUsername(basic('wk:secret:with:colons'))).toBe('wk');
  });

  it('accepts the scheme in any case and base64url encoding', () => {
    expect(basicUsername(`basic ${btoa('key?>:')}`)).toBe('key?>');
    expect(basicUsername(`Basic ${btoa('key?>:').replace(/\+/g, '-').replace(/\//g, '_')}`)).toBe('key?>');
  });

  it('finds no username in a missing, other-scheme or malformed header', () => {
    for (const header of [undefined, '', 'Bearer abc', 'Basic', 'Basic not base64!', 'Basic a', `Basic ${btoa('k:')} extra`]) {
      expect(basicUsername(header)).toBeUndefined();
    }
  });
});

describe('bearerToken', () => {
  it('reads a bearer token', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('matchesAny', () => {
  it('accepts a candidate equal to any of the keys', () => {
    expect(matchesAny('new-key', ['old-key', 'new-key'])).toBe(true);
    expect(matchesAny('old-key', ['old-key', 'new-key'])).toBe(true);
  });

  it('refuses a missing, empty or unknown candidate', () => {
    expect(matchesAny(undefined, ['k'])).toBe(false);
    expect(matchesAny('', ['', 'k'])).toBe(false);
    expect(matchesAny('other', ['k'])).toBe(false);
    expect(matchesAny('k', [])).toBe(false);
  });
});
