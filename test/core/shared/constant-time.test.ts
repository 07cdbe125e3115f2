import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../../src/core/shared/constant-time.ts';

describe('safeEqual', () => {
  it('is true only for identical strings', () => {
    expect(safeEqual('admin-key', 'admin-key')).toBe(true);
    expect(safeEqual('admin-key', 'admin-kez')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });

  it('is false for a prefix, an extension or an empty guess', () => {
    expect(safeEqual('admin', 'admin-key')).toBe(false);
    expect(safeEqual('admin-key-and-more', 'admin-key')).toBe(false);
    expect(safeEqual('', 'admin-key')).toBe(false);
    expect(safeEqual('admin-key', '')).toBe(false);
  });

  it('is false for a guess that repeats the key', () => {
    expect(safeEqual('abcabc', 'abc')).toBe(false);
  });

  it('compares UTF-8 bytes', () => {
    expect(safeEqual('clé', 'clé')).toBe(true);
    expect(safeEqual('clé', 'cle')).toBe(false);
  });
});
