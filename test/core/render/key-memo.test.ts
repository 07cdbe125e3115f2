import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSchema, type BlockConfig } from '../../../src/core/blocks/schema.ts';
import type { ProductGridBlock } from '../../../src/core/blocks/product-grid.ts';
import type { GridDecision } from '../../../src/core/decide/decide.ts';
import { renderKey } from '../../../src/core/render/render-key.ts';
import { gridScope } from '../../../src/core/render/scope.ts';
import type { ResolvedTemplate } from '../../../src/core/templates/registry.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { BLOCK_OF_EVERY_KIND } from '../../helpers/fixtures.ts';

let app: TestApp;
let template: ResolvedTemplate;
const block = blockSchema.parse(BLOCK_OF_EVERY_KIND['product-grid']) as BlockConfig as ProductGridBlock;
const T = Date.parse('2026-03-01T09:00:10Z');

const shown = (id: string, price: number) => ({ id, title: `Product ${id}`, price, currency: 'USD', url: `https://shop.example/${id}`, source: 'cart' as const });
const decision = (price = 10): GridDecision => ({ kind: 'product-grid', blockId: block.id, blockVersion: 1, personal: true, slots: [shown('a', price), shown('b', 20), null] });
/** The key as computed with no memo: what a memoised key must always equal. */
const direct = (b: ProductGridBlock, t: ResolvedTemplate, d: GridDecision, now: number) => renderKey(t.digest, 2, gridScope(b, d, t, now), b.image_format);

beforeAll(async () => {
  app = await createTestApp();
  const found = await app.opentime.services.templates.get(block.template);
  if (!found) throw new Error('template missing');
  template = found;
});
afterAll(async () => {
  await app.close();
});

describe('the render key of a grid decision, remembered', () => {
  it('is the key of the scope itself, the same string at every open of the same decision', () => {
    const { renderer } = app.opentime.services;
    const first = renderer.gridKey(block, decision(), template, T);
    expect(first).toBe(direct(block, template, decision(), T));
    expect(renderer.gridKey(block, decision(), template, T + 1000)).toBe(first);
  });

  it('changes with a product’s price, a changed block, a changed template and, for a template that reads the clock, the minute', () => {
    const { renderer } = app.opentime.services;
    const before = renderer.gridKey(block, decision(), template, T);
    expect(renderer.gridKey(block, decision(11), template, T)).toBe(direct(block, template, decision(11), T));
    expect(renderer.gridKey(block, decision(11), template, T)).not.toBe(before);

    const changed = { ...block, params: { ...block.params, headline: 'Something else' } };
    expect(renderer.gridKey(changed, decision(), template, T)).toBe(direct(changed, template, decision(), T));
    expect(renderer.gridKey(changed, decision(), template, T)).not.toBe(before);

    const clock: ResolvedTemplate = { ...template, source: `${template.source}<p>{{ now }}</p>`, digest: `${template.digest}-clock` };
    const atNine = renderer.gridKey(block, decision(), clock, T);
    expect(atNine).toBe(direct(block, clock, decision(), T));
    expect(atNine).not.toBe(before);
    expect(renderer.gridKey(block, decision(), clock, T + 20_000)).toBe(atNine);
    expect(renderer.gridKey(block, decision(), clock, T + 60_000)).toBe(direct(block, clock, decision(), T + 60_000));
    expect(renderer.gridKey(block, decision(), clock, T + 60_000)).not.toBe(atNine);
  });
});
