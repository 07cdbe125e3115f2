import { describe, expect, it } from 'vitest';
import { changedPaths } from '../../../src/core/blocks/history.ts';

describe('what changed between two versions of a block', () => {
  it('names each changed leaf by its JSON path, arrays by index', () => {
    const before = { params: { headline: 'One', accent: '#111111' }, source: [{ from: 'cart' }, { from: 'trending' }], slots: 3 };
    const after = { params: { headline: 'Two', accent: '#111111' }, source: [{ from: 'cart' }, { from: 'bestsellers' }, { from: 'products' }], slots: 3 };
    expect(changedPaths(before, after)).toEqual(['params.headline', 'source[1].from', 'source[2]']);
  });

  it('names a field that appeared, went away or changed type once, and nothing for equal versions', () => {
    expect(changedPaths({ alt: 'x' }, { lock: { policy: 'live' } })).toEqual(['alt', 'lock']);
    expect(changedPaths({ a: [1] }, { a: { 0: 1 } })).toEqual(['a']);
    expect(changedPaths({ a: { b: [1, 2] } }, { a: { b: [1, 2] } })).toEqual([]);
  });
});
