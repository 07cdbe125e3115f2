import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSchema, type BannerBlock, type StoredBlock } from '../../../src/core/blocks/schema.ts';
import { banner } from '../../../src/core/kinds/banner.ts';
import type { KindAtWork, KindOpen, Plan } from '../../../src/core/kinds/kind.ts';
import { withBudget } from '../../../src/core/shared/budget.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

const block = (params: object = {}): StoredBlock & { config: BannerBlock } => ({
  config: blockSchema.parse({
    id: 'shipping',
    kind: 'banner',
    size: { width: 600, height: 120 },
    url: 'https://shop.example.com/shipping',
    params: { headline: 'Free shipping this weekend', subline: 'On every order over $50', ...params },
    fallback: { url: 'https://shop.example.com/' },
  }) as BannerBlock,
  version: 1,
  updatedAt: 0,
});

/** An open that records whether the kind asked who is opening. */
function open(): KindOpen & { asked: number } {
  const o = {
    asked: 0,
    format: 'png' as const,
    params: {},
    query: () => undefined,
    subject: async () => {
      o.asked++;
      return 'subject-key';
    },
  };
  return o;
}

let app: TestApp;
let atWork: KindAtWork<BannerBlock>;
beforeAll(async () => {
  app = await createTestApp();
  const { deps, renderer, templates, lookups } = app.opentime.services;
  atWork = banner.start({ ...deps, lookups, renderer, templates, budget: (work, what) => withBudget(work, deps.config.storeTimeoutMs, what) });
});
afterAll(async () => {
  await app.close();
});

async function plan(stored = block(), o = open()): Promise<Plan> {
  const planned = await atWork.plan(stored, o);
  if ('nothing' in planned) throw new Error('expected a banner to show something');
  return planned;
}

describe('banner: the same for everyone', () => {
  it('never asks who is opening, so an open costs no store read', async () => {
    const o = open();
    await plan(block(), o);
    expect(o.asked).toBe(0);
  });

  it('is generic, knows nothing of the subscriber, and remembers no decision', async () => {
    const planned = await plan();
    expect({ personal: planned.personal, known: planned.known, decision: planned.decision }).toEqual({ personal: false, known: false, decision: undefined });
    expect(banner.remembers).toBe(false);
  });
});

describe('banner: one render per look', () => {
  it('keys the drawing by what it shows, so every open of a version shares one render', async () => {
    const first = await (await plan()).drawing();
    const again = await (await plan({ ...block(), version: 2 })).drawing();
    expect(again.key).toBe(first.key);
  });

  it('draws anew when the text or a colour changes', async () => {
    const first = (await (await plan()).drawing()).key;
    expect((await (await plan(block({ headline: 'Last day for free shipping' }))).drawing()).key).not.toBe(first);
    expect((await (await plan(block({ background: '#550000' }))).drawing()).key).not.toBe(first);
  });
});

describe('banner: clicks', () => {
  it('leads every slot to the block’s URL, with no open record needed', () => {
    const { config } = block();
    expect(banner.fixedLink?.(config)).toBe('https://shop.example.com/shipping');
    expect([0, 1, 5].map((slot) => banner.hasSlot(config, slot))).toEqual([true, true, true]);
  });

  it('refuses nothing past its schema: it names no template', async () => {
    expect(await banner.problems(block().config, { get: async () => undefined })).toEqual([]);
  });
});
