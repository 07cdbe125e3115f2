import { describe, expect, it } from 'vitest';
import { blockSchema, type BlockInput } from '../../../src/core/blocks/schema.ts';
import { altText, blockSnippetOptions } from '../../../src/core/links/block-snippet.ts';
import { espSnippet } from '../../../src/core/links/snippets.ts';

const base = { id: 'b', size: { width: 600, height: 300 }, fallback: { url: 'https://shop.example.com/' } };
const block = (input: Record<string, unknown>) => blockSchema.parse({ ...base, ...input } as BlockInput);
const grid = { template: 'product-grid', slots: 3, source: [{ from: 'trending' }] };
const hero = { kind: 'hero', default: { id: 'evergreen', headline: 'Your picks are waiting', url: 'https://shop.example.com/' } };
const countdown = { kind: 'countdown', deadline: '2026-12-24T00:00:00Z', url: 'https://shop.example.com/sale' };

describe('a block’s snippet', () => {
  it('gives a countdown its animated .gif and every other kind a .png', () => {
    expect(blockSnippetOptions(block(countdown)).extension).toBe('gif');
    expect(blockSnippetOptions(block(grid)).extension).toBe('png');
    expect(blockSnippetOptions(block(hero)).extension).toBe('png');
  });

  it('takes the alt text from the block’s alt, else its headline, else its fallback line', () => {
    expect(altText(block({ ...grid, alt: 'Your picks', params: { headline: 'Picked for you' } }))).toBe('Your picks');
    expect(altText(block({ ...countdown, params: { headline: 'The sale ends in 2 days' } }))).toBe('The sale ends in 2 days');
    expect(altText(block(hero))).toBe('Your picks are waiting');
    expect(altText(block({ ...hero, params: { headline: 'New this week' } }))).toBe('New this week');
    expect(altText(block({ ...hero, default: { ...hero.default, headline: '' }, fallback: { url: 'https://shop.example.com/', text: 'Shop the edit' } }))).toBe('Shop the edit');
  });

  it('escapes the alt text in the HTML', () => {
    const html = espSnippet('klaviyo', { ...blockSnippetOptions(block({ ...grid, alt: '"Sale" <50%> & more' })), origin: 'https://live.example.com' });
    expect(html).toContain('alt="&quot;Sale&quot; &lt;50%&gt; &amp; more"');
    expect(html).toContain('width="600" height="300"');
  });

  it('refuses an alt text longer than 200 characters, by its path', () => {
    const result = blockSchema.safeParse({ ...base, ...grid, alt: 'x'.repeat(201) });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['alt']);
  });
});
