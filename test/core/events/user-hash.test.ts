import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { userHash, userHashMatches } from '../../../src/core/events/user-hash.ts';

const SECRET = 'identity-secret-0123456789';

describe('userHash (identity verification)', () => {
  it('is the hex HMAC-SHA256 a shop server computes with its standard library', async () => {
    expect(await userHash(SECRET, 'c-1042')).toBe(createHmac('sha256', SECRET).update('c-1042').digest('hex'));
    expect(await userHash(SECRET, 'zoë@example.com')).toBe(createHmac('sha256', SECRET).update('zoë@example.com').digest('hex'));
  });

  it('matches its own user only, in either case, and nothing that is not a hash', async () => {
    const hash = await userHash(SECRET, 'c-1042');
    expect(await userHashMatches(SECRET, 'c-1042', hash)).toBe(true);
    expect(await userHashMatches(SECRET, 'c-1042', hash.toUpperCase())).toBe(true);
    expect(await userHashMatches(SECRET, 'c-1043', hash)).toBe(false);
    expect(await userHashMatches('another-secret-0123456789', 'c-1042', hash)).toBe(false);
    for (const given of [undefined, '', hash.slice(1), 42, { hash }]) expect(await userHashMatches(SECRET, 'c-1042', given)).toBe(false);
  });
});
