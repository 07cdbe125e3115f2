import { describe, expect, it } from 'vitest';
import { withParams } from '../../../src/core/links/click-url.ts';

describe('withParams', () => {
  it("adds the block's UTM parameters to the product URL", () => {
    expect(withParams('https://shop.example.com/p/1', { utm_source: 'email', utm_campaign: 'cart' })).toBe('https://shop.example.com/p/1?utm_source=email&utm_campaign=cart');
  });

  it('keeps the parameters and fragment the URL already has', () => {
    expect(withParams('https://shop.example.com/p/1?color=red#reviews', { utm_source: 'email' })).toBe('https://shop.example.com/p/1?color=red&utm_source=email#reviews');
  });

  it('replaces a stale parameter of the same name instead of adding a second', () => {
    const url = withParams('https://shop.example.com/p/1?utm_source=catalog&utm_source=feed', { utm_source: 'email' });
    expect(new URL(url).searchParams.getAll('utm_source')).toEqual(['email']);
  });

  it('encodes values', () => {
    const url = withParams('https://shop.example.com/', { utm_campaign: 'spring sale & more' });
    expect(new URL(url).searchParams.get('utm_campaign')).toBe('spring sale & more');
    expect(url).not.toContain(' ');
  });

  it('returns the URL unchanged when there are no parameters', () => {
    expect(withParams('https://shop.example.com/p/1?x=1', {})).toBe('https://shop.example.com/p/1?x=1');
  });

  it('returns a URL it cannot parse unchanged rather than failing the click', () => {
    expect(withParams('not a url', { utm_source: 'email' })).toBe('not a url');
  });
});
