import { describe, expect, it } from 'vitest';
import { MAX_LINK_HOPS, createSubjectKeyer, looksLikeEmail, normalizeEmail, resolveSubjectKeys } from '../../../src/core/audience/subjects.ts';

/** A store that knows only links, and counts how often it is asked. */
function fakeLinks(links: Record<string, string> | ((key: string) => string | undefined)) {
  const lookup = typeof links === 'function' ? links : (key: string) => links[key];
  const calls: string[][] = [];
  return {
    calls,
    async getLinks(keys: readonly string[]): Promise<Map<string, string>> {
      calls.push([...keys]);
      const found = new Map<string, string>();
      for (const key of keys) {
        const target = lookup(key);
        if (target !== undefined) found.set(key, target);
      }
      return found;
    },
  };
}

describe('looksLikeEmail', () => {
  it('recognises addresses, with spaces around them or a plus turned into a space', () => {
    expect(looksLikeEmail('anna@example.com')).toBe(true);
    expect(looksLikeEmail('  anna@example.com ')).toBe(true);
    expect(looksLikeEmail('anna shop@example.com')).toBe(true);
  });

  it('does not take ordinary ids for addresses', () => {
    for (const id of ['user-123', '42', 'anna@localhost', '@example.com', 'anna@', 'a b']) expect(looksLikeEmail(id)).toBe(false);
  });
});

describe('normalizeEmail', () => {
  it('lower-cases and trims', () => {
    expect(normalizeEmail('  Anna.Smith@Example.COM \n')).toBe('anna.smith@example.com');
  });

  it('turns a space in the local part back into the plus a form decoder took', () => {
    expect(normalizeEmail('anna shop@example.com')).toBe('anna+shop@example.com');
    expect(normalizeEmail('anna+shop@example.com')).toBe('anna+shop@example.com');
  });
});

describe('createSubjectKeyer', () => {
  const keyer = createSubjectKeyer('test-secret');

  it('keys a plain user id as u:<id>', async () => {
    expect(await keyer.userKey('customer-9')).toBe('u:customer-9');
  });

  it('keys an anonymous id as a:<id>', async () => {
    expect(await keyer.anonymousKey('browser-1')).toBe('a:browser-1');
  });

  it('keeps a plain id that starts with ~ apart from hashed addresses', async () => {
    const hashed = await keyer.userKey('anna@example.com');
    const lookalike = await keyer.userKey(hashed.slice('u:'.length));
    expect(lookalike).not.toBe(hashed);
    expect(lookalike).toBe(`u:~${hashed.slice('u:'.length)}`);
  });

  it('never puts an email address in a key in clear text', async () => {
    const key = await keyer.userKey('Anna.Smith@Example.com');
    expect(key).toMatch(/^u:~[A-Za-z0-9_-]{32}$/);
    expect(key.toLowerCase()).not.toContain('anna');
    expect(key.toLowerCase()).not.toContain('example');
  });

  it('never puts an email address used as an anonymous id in clear text', async () => {
    const key = await keyer.anonymousKey('anna@example.com');
    expect(key).toMatch(/^a:~[A-Za-z0-9_-]{32}$/);
    expect(key).not.toContain('anna');
    expect(await keyer.anonymousKey(' ANNA@example.com')).toBe(key);
  });

  it('gives the same key whatever the case, spaces or plus-as-space', async () => {
    const key = await keyer.userKey('anna+shop@example.com');
    for (const variant of ['ANNA+SHOP@EXAMPLE.COM', '  anna+shop@example.com  ', 'anna shop@example.com', 'Anna Shop@Example.com']) {
      expect(await keyer.userKey(variant)).toBe(key);
    }
  });

  it('gives different addresses different keys', async () => {
    expect(await keyer.userKey('anna@example.com')).not.toBe(await keyer.userKey('anne@example.com'));
    expect(await keyer.userKey('anna+a@example.com')).not.toBe(await keyer.userKey('anna+b@example.com'));
  });

  it('keys addresses with the secret, so another server cannot match them', async () => {
    const other = createSubjectKeyer('another-secret');
    expect(await other.userKey('anna@example.com')).not.toBe(await keyer.userKey('anna@example.com'));
    expect(await createSubjectKeyer('test-secret').userKey('anna@example.com')).toBe(await keyer.userKey('anna@example.com'));
  });
});

describe('resolveSubjectKeys', () => {
  it('leaves a key with no link as it is', async () => {
    const resolved = await resolveSubjectKeys(fakeLinks({}), ['u:1']);
    expect(resolved.get('u:1')).toBe('u:1');
  });

  it('follows a link to the profile a subject was merged into', async () => {
    const resolved = await resolveSubjectKeys(fakeLinks({ 'a:browser': 'u:anna' }), ['a:browser', 'u:other']);
    expect(Object.fromEntries(resolved)).toEqual({ 'a:browser': 'u:anna', 'u:other': 'u:other' });
  });

  it('follows a chain of links to its end', async () => {
    const store = fakeLinks({ 'a:1': 'u:old', 'u:old': 'u:new' });
    const resolved = await resolveSubjectKeys(store, ['a:1']);
    expect(resolved.get('a:1')).toBe('u:new');
  });

  it('asks the store once per hop for every key together', async () => {
    const store = fakeLinks({ 'a:1': 'u:x', 'a:2': 'u:y' });
    await resolveSubjectKeys(store, ['a:1', 'a:2', 'a:1']);
    expect(store.calls[0]).toEqual(['a:1', 'a:2']);
  });

  it('stops on a cycle', async () => {
    const store = fakeLinks({ 'u:a': 'u:b', 'u:b': 'u:a' });
    const resolved = await resolveSubjectKeys(store, ['u:a', 'u:b']);
    expect(resolved.get('u:a')).toBe('u:b');
    expect(resolved.get('u:b')).toBe('u:a');
    expect(store.calls.length).toBeLessThanOrEqual(MAX_LINK_HOPS);
  });

  it('stops on a key linked to itself', async () => {
    const store = fakeLinks({ 'u:a': 'u:a' });
    expect((await resolveSubjectKeys(store, ['u:a'])).get('u:a')).toBe('u:a');
  });

  it(`stops after ${MAX_LINK_HOPS} hops on an endless chain`, async () => {
    const store = fakeLinks((key) => `${key}>`);
    const resolved = await resolveSubjectKeys(store, ['u:x']);
    expect(store.calls).toHaveLength(MAX_LINK_HOPS);
    expect(resolved.get('u:x')).toBe(`u:x${'>'.repeat(MAX_LINK_HOPS)}`);
  });

  it('does not ask the store at all for no keys', async () => {
    const store = fakeLinks({});
    expect((await resolveSubjectKeys(store, [])).size).toBe(0);
    expect(store.calls).toEqual([]);
  });
});
