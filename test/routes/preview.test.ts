import { beforeEach, describe, expect, it } from 'vitest';
import { createApp, type Opentime } from '../../src/app.ts';
import { openKey } from '../../src/core/open/remember.ts';
import { readExplanation } from '../../src/core/recommend/explain.ts';
import { readAllocations } from '../../src/core/reports/allocations.ts';
import { DAY_MS } from '../../src/core/reports/cells.ts';
import { START, testBlock } from '../helpers/app.ts';
import { PHOTO_COLORS } from '../helpers/photo-server.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';
import { decode, slotBox } from '../helpers/pixels.ts';

/**
 * A preview (`opentime render`, later the Studio) is the open path with
 * writing switched off: it reads live data (profile, catalog, blocks) and
 * leaves nothing behind that a real open, a click, /v1/stats or a report could see.
 */
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
let preview: Opentime;
/** Keys the preview put into the render cache it shares with the live app. */
let cached: string[];

const { app } = useSeededApp({ block: testBlock({ lock: { policy: 'first_open' }, source: [{ from: 'cart' }, { from: 'products', ids: ['p-teal', 'p-purple', 'p-orange'] }] }) });
beforeEach(async () => {
  await app.send('track', { userId: 'shopper', event: 'Product Added', properties: { product_id: 'p-red' } });
  cached = [];
  const cache = app.deps.renderCache;
  const watched = {
    get: (key: string) => cache.get(key),
    set: async (key: string, bytes: Uint8Array) => {
      cached.push(key);
      await cache.set(key, bytes);
    },
  };
  preview = createApp({ ...app.deps, renderCache: watched }, { preview: true });
});

const previewOpen = async (path: string) => {
  const response = await preview.app.request(path, { headers: { 'user-agent': BROWSER } });
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
};
/** Everything the preview might have left behind, once background work is done. */
async function leftBehind(blockId: string, subscriber: string, message: string) {
  await preview.flush();
  await app.settle();
  const key = await app.opentime.services.audience.subjectKey(subscriber);
  const counters = await app.deps.store.readCounters();
  return {
    record: await app.deps.store.getOpenRecord(openKey(blockId, key, message), app.clock.now()),
    counters: Object.keys(counters).filter((name) => name.startsWith('opens') || name.startsWith('renders') || name.startsWith('block.')),
    emailOpened: (await app.deps.store.getProfile(key))?.lastEventAt['Email Opened'],
    cached,
    reported: (await app.deps.store.readReportCounts(`b:${blockId}`, 'day', 0, app.clock.now())).length,
  };
}

describe('a preview of a product grid', () => {
  it('says why each slot shows its product in a preview, and only there', async () => {
    const { response } = await previewOpen('/i/grid.png?u=shopper&m=preview-why');
    expect(response.headers.get('x-opentime-why')).toBe('slot 0: p-red by cart (source 0); slot 1: p-teal by products (source 1); slot 2: p-purple by products (source 1)');
    const live = await app.open('grid', { u: 'shopper', m: 'live-why' });
    expect(live.response.headers.get('x-opentime-why')).toBeNull();
  });

  it('shows the subscriber’s products and writes no open record, counter, engagement event or cached render', async () => {
    const { bytes } = await previewOpen('/i/grid.png?u=shopper&m=spring');
    const pixels = await decode(bytes);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    expect(await leftBehind('grid', 'shopper', 'spring')).toEqual({ record: undefined, counters: [], emailOpened: undefined, cached: [], reported: 0 });
  });

  it('does not freeze a first_open block on what the preview showed, nor set where its click leads', async () => {
    await previewOpen('/i/grid.png?u=shopper&m=spring');
    await app.settle();
    await app.send('track', { userId: 'shopper', event: 'Product Removed', properties: { product_id: 'p-red' } });
    await app.send('track', { userId: 'shopper', event: 'Product Added', properties: { product_id: 'p-purple' } });
    const click = await app.click('grid', 0, { u: 'shopper', m: 'spring' }, { headers: { 'user-agent': BROWSER } });
    expect(click.headers.get('location')).toMatch(/\/products\/purple\?/);
    const { pixels } = await app.open('grid', { u: 'shopper', m: 'spring' }, { headers: { 'user-agent': BROWSER } });
    expect(pixels.share(PHOTO_COLORS.purple, slotBox(pixels, 0))).toBeGreaterThan(0.25);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeLessThan(0.01);
  });

  it('still reads a lock a real open made', async () => {
    await app.open('grid', { u: 'shopper', m: 'spring' }, { headers: { 'user-agent': BROWSER } });
    await app.settle();
    await app.send('track', { userId: 'shopper', event: 'Product Removed', properties: { product_id: 'p-red' } });
    const pixels = await decode((await previewOpen('/i/grid.png?u=shopper&m=spring')).bytes);
    expect(pixels.share(PHOTO_COLORS.red, slotBox(pixels, 0))).toBeGreaterThan(0.25);
  });
});

describe('a preview of a countdown', () => {
  const countdown = (id: string, deadline: unknown) => ({
    id,
    kind: 'countdown',
    size: { width: 600, height: 150 },
    deadline,
    url: 'https://shop.example.com/sale',
    params: { headline: 'Ends in' },
    expired: { text: 'The sale has ended' },
    fallback: { url: 'https://shop.example.com/', text: 'Shop the sale →' },
  });

  it('draws the GIF and writes no counter or cached render, for a fixed or a per-recipient deadline', async () => {
    for (const block of [countdown('timer', new Date(START + 3_600_000).toISOString()), countdown('mine', { query: 'ends' })]) {
      const put = await app.admin('PUT', `/v1/blocks/${block.id}`, block);
      expect(put.status, await put.clone().text()).toBe(200);
    }
    for (const path of ['/i/timer.gif?u=shopper&m=spring', `/i/mine.gif?u=shopper&m=spring&ends=${Math.floor(START / 1000) + 600}`]) {
      const { response, bytes } = await previewOpen(path);
      expect(response.headers.get('content-type')).toBe('image/gif');
      expect(response.headers.get('x-opentime-fallback')).toBeNull();
      expect(bytes.byteLength).toBeGreaterThan(1000);
    }
    expect(await leftBehind('timer', 'shopper', 'spring')).toEqual({ record: undefined, counters: [], emailOpened: undefined, cached: [], reported: 0 });
  });
});

describe('a preview of an optimised hero split', () => {
  const split = {
    id: 'split',
    kind: 'hero',
    size: { width: 600, height: 300 },
    fallback: { url: 'https://shop.example.com/' },
    default: { id: 'everyone', headline: 'New this week', url: 'https://shop.example.com/new' },
    variants: [
      {
        id: 'launch',
        split: {
          holdout: 20,
          optimize: { goal: 'clicks' },
          arms: [
            { id: 'bold', weight: 1, headline: 'Bold', url: 'https://shop.example.com/bold' },
            { id: 'calm', weight: 1, headline: 'Calm', url: 'https://shop.example.com/calm' },
          ],
        },
      },
    ],
  };
  const why = async () => {
    const { response } = await previewOpen('/i/split.png?u=shopper&m=preview-split');
    const [line] = readExplanation(response.headers.get('x-opentime-why') ?? '');
    const [, arm, share] = /^entry launch, arm (bold|calm|holdout) at ([\d.]+)%$/.exec(line ?? '') ?? [];
    return { line, arm: arm as string, share: Number(share) };
  };

  it('names the arm and its current share, reading the stored allocation and computing none itself', async () => {
    expect((await app.admin('PUT', '/v1/blocks/split', split)).status).toBe(200);
    // No allocation yet: the weights' shares; the preview stores none.
    const before = await why();
    expect(before.share).toBe(before.arm === 'holdout' ? 20 : 40);
    await preview.flush();
    expect(await readAllocations(app.deps.store, 'split', 0, app.clock.now() + DAY_MS)).toEqual([]);

    const answer = (await (await app.admin('POST', '/v1/reports/blocks/split/allocations')).json()) as { allocations: Array<{ shares: Record<string, number> }> };
    const shares = answer.allocations[0]?.shares ?? {};
    const after = await why();
    expect(after.share).toBe(shares[after.arm]);
  });
});
