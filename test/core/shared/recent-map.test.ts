import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../../src/core/shared/recent-map.ts';

function recentMap(max = 1000) {
  let now = 0;
  const map = new RecentMap<number>({ windowMs: 1000, max, now: () => now });
  return { map, advance: (ms: number) => (now += ms) };
}

describe('RecentMap', () => {
  it('keeps what it was given for at least its window, and forgets it by twice that', () => {
    const { map, advance } = recentMap();
    map.set('a', 1);
    advance(999);
    expect(map.get('a')).toBe(1);
    advance(2);
    map.set('b', 2); // a new window begins; a is in the older one
    expect(map.get('a')).toBe(1);
    advance(1000);
    expect(map.get('a')).toBeUndefined();
    expect(map.get('b')).toBe(2);
  });

  it('forgets everything after a quiet spell of two windows', () => {
    const { map, advance } = recentMap();
    map.set('a', 1);
    advance(2500);
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('holds at most its max, however many keys come within a window', () => {
    const { map } = recentMap(100);
    for (let i = 0; i < 10_000; i++) {
      map.set(`k${i}`, i);
      expect(map.size).toBeLessThanOrEqual(100);
    }
    // The latest half are still there.
    expect(map.get('k9999')).toBe(9999);
    expect(map.get('k9951')).toBe(9951);
  });

  it('counts a key set again once, with its latest value, and deletes it from both generations', () => {
    const { map, advance } = recentMap();
    map.set('a', 1);
    advance(1000);
    map.set('a', 2);
    expect(map.size).toBe(1);
    expect(map.get('a')).toBe(2);
    map.set('b', 3);
    advance(1000);
    map.set('c', 4);
    map.delete('b');
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(2);
  });
});
