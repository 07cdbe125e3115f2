import { describe, expect, it } from 'vitest';
import { blockSchema, type BlockInput } from '../../../src/core/blocks/schema.ts';
import { buildEmbed } from '../../../src/core/links/embed.ts';
import { ESPS, MERGE_TAGS } from '../../../src/core/links/snippets.ts';
import { sliceLayout, type SliceLayout } from '../../../src/core/render/slices.ts';

const base = { id: 'picks', size: { width: 600, height: 300 }, fallback: { url: 'https://shop.example.com/' } };
const block = (input: Record<string, unknown>) => blockSchema.parse({ ...base, ...input } as BlockInput);
const grid = block({ template: 'product-grid', slots: 3, source: [{ from: 'trending' }], params: { headline: 'Picked for you' } });
const layout = sliceLayout(
  [
    { left: 16, top: 60, width: 180, height: 220 },
    { left: 210, top: 60, width: 180, height: 220 },
    { left: 404, top: 60, width: 180, height: 220 },
  ],
  { width: 600, height: 300 },
) as SliceLayout;
const origin = 'https://live.example.com';

describe('buildEmbed: a grid sliced', () => {
  const embed = buildEmbed(grid, layout, { esp: 'klaviyo', origin });

  it('is a presentation table of fixed widths and heights, each image block-level and borderless with its size and alt', () => {
    expect(embed.sliced).toBe(true);
    expect(embed.html).toContain('<table role="presentation" class="ot-picks" width="600"');
    const images = embed.html.match(/<img [^>]*>/g) ?? [];
    expect(images).toHaveLength(5);
    for (const img of images) {
      expect(img).toMatch(/ width="\d+" height="\d+" alt="[^"]*" style="display:block;border:0"/);
    }
    expect(embed.html).toContain('alt="Picked for you"');
    expect(embed.html).toContain('alt="Recommended product 2"');
    // Word ignores CSS it does not know; what keeps the grid intact there is in attributes and pixels (relative sizes only in the media query).
    expect(embed.html.split('</style>')[1]).not.toMatch(/%|em;|flex|display:grid/);
  });

  it('wraps each slot, and only the slots, in its own link', () => {
    const links = [...embed.html.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
    expect(links).toEqual([0, 1, 2].map((slot) => `${origin}/c/picks/${slot}?u=${MERGE_TAGS.klaviyo.subscriber}&amp;m=${MERGE_TAGS.klaviyo.message}`));
    expect(embed.parts.map((p) => [p.part, p.click_url === null])).toEqual([
      ['head', true],
      ['0', false],
      ['1', false],
      ['2', false],
      ['foot', true],
    ]);
    expect(embed.parts[1]?.image_url).toBe(`${origin}/i/picks/0.png?u=${MERGE_TAGS.klaviyo.subscriber}&m=${MERGE_TAGS.klaviyo.message}`);
  });

  it('stacks the cells on screens narrower than the block, where media queries apply', () => {
    expect(embed.html).toContain('@media only screen and (max-width:620px)');
    expect(embed.html).toContain('.ot-picks .ot-cell{display:block!important;width:100%!important');
  });

  it('has every ESP’s merge tags, Customer.io’s among them', () => {
    for (const esp of ESPS) expect(buildEmbed(grid, layout, { esp, origin }).html).toContain(MERGE_TAGS[esp].subscriber);
    expect(ESPS).toEqual(['klaviyo', 'mailchimp', 'braze', 'sfmc', 'hubspot', 'customerio', 'iterable']);
  });
});

describe('buildEmbed: one image and one link', () => {
  it('for a grid asked for whole, a grid that cannot be cut, a hero and a countdown', () => {
    const hero = block({ kind: 'hero', default: { id: 'all', headline: 'New in', url: 'https://shop.example.com/new' } });
    const countdown = block({ kind: 'countdown', deadline: '2026-12-24T00:00:00Z', url: 'https://shop.example.com/sale' });
    const cases = [
      buildEmbed(grid, layout, { esp: 'braze', origin, sliced: false }),
      buildEmbed(grid, undefined, { esp: 'braze', origin }),
      buildEmbed(hero, undefined, { esp: 'braze', origin }),
      buildEmbed(countdown, undefined, { esp: 'braze', origin, sliced: true }),
    ];
    for (const embed of cases) {
      expect(embed.sliced).toBe(false);
      expect(embed.parts).toHaveLength(1);
      expect(embed.parts[0]?.part).toBe('whole');
      expect(embed.html.match(/<a /g)).toHaveLength(1);
    }
    expect(cases[1]?.notes.join(' ')).toContain('cannot be cut into parts');
    expect(cases[3]?.parts[0]?.image_url).toContain('/i/picks.gif?');
    expect(cases[3]?.notes.join(' ')).toContain('one image and one link');
  });
});
