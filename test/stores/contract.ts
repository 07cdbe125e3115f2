import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockSchema, type BlockInput } from '../../src/core/blocks/schema.ts';
import { productSchema } from '../../src/core/catalog/product.ts';
import type { Decision } from '../../src/core/decide/decide.ts';
import { TRENDING_WINDOW_HOURS } from '../../src/core/decide/trending.ts';
import type { TrackedEvent } from '../../src/core/events/normalize.ts';
import type { OpenKey, Store } from '../../src/core/ports.ts';
import { mergeProfiles } from '../../src/core/profiles/merge.ts';
import { reduceProfile } from '../../src/core/profiles/reducer.ts';

/**
 * The store contract: every Store implementation passes these tests, which
 * use only the Store interface. Each store's own test file is a few lines:
 * `describeStore('sqlite', () => sqliteStore({ path }))`.
 */
export const NOW = Date.parse('2026-06-01T12:00:00Z');
const HOUR = 3_600_000;
const WINDOW_SECONDS = 24 * 3600;

let sequence = 0;
export function added(productId: string, at = NOW, messageId = `m-${++sequence}`): TrackedEvent {
  return {
    type: 'track',
    messageId,
    userId: 'x',
    event: 'Product Added',
    properties: { product_id: productId },
    traits: {},
    timestamp: at,
    receivedAt: at,
    context: {},
  };
}

const block = (id: string, headline = 'Hi'): BlockInput => ({
  id,
  size: { width: 600, height: 300 },
  slots: 2,
  source: [{ from: 'cart' }],
  params: { headline },
  fallback: { url: 'https://shop.example.com/' },
});

const product = (id: string, price = 10) =>
  productSchema.parse({ id, title: `Product ${id}`, price, url: `https://shop.example.com/${id}`, image_url: `https://cdn.example.com/${id}.png` });

const decision = (ids: string[]): Decision => ({
  blockId: 'grid',
  blockVersion: 1,
  personal: true,
  slots: ids.map((id) => ({ id, title: id, price: 1, currency: 'USD', url: `https://shop.example.com/${id}`, image_url: `https://cdn.example.com/${id}.png`, source: 'cart' as const })),
});

const cartIds = async (store: Store, key: string) => (await store.getProfile(key))?.cart.map((l) => l.id).sort() ?? [];

export function describeStore(name: string, makeStore: () => Promise<Store> | Store): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('profiles', () => {
      it('has no profile for an unknown subject', async () => {
        expect(await store.getProfile('u:nobody')).toBeUndefined();
      });

      it('reduces events into the profile and reports what it applied', async () => {
        const a = added('sku-a');
        const b = added('sku-b', NOW + 1000);
        const result = await store.applyEvents([{ subjectKey: 'u:alice', events: [a, b] }], reduceProfile, WINDOW_SECONDS, NOW);
        expect(result.applied.sort()).toEqual([a.messageId, b.messageId].sort());
        expect(result.duplicates).toEqual([]);
        expect(await cartIds(store, 'u:alice')).toEqual(['sku-a', 'sku-b']);
      });

      it('applies a messageId once within the dedupe window', async () => {
        const event = added('sku-a');
        await store.applyEvents([{ subjectKey: 'u:bob', events: [event] }], reduceProfile, WINDOW_SECONDS, NOW);
        const again = await store.applyEvents([{ subjectKey: 'u:bob', events: [event] }], reduceProfile, WINDOW_SECONDS, NOW + HOUR);
        expect(again).toEqual({ applied: [], duplicates: [event.messageId] });
        expect((await store.getProfile('u:bob'))?.cart[0]?.quantity).toBe(1);
      });

      it('applies a messageId again after the dedupe window', async () => {
        const event = added('sku-a');
        await store.applyEvents([{ subjectKey: 'u:carol', events: [event] }], reduceProfile, WINDOW_SECONDS, NOW);
        const later = NOW + 25 * HOUR;
        const again = await store.applyEvents([{ subjectKey: 'u:carol', events: [{ ...event, timestamp: later }] }], reduceProfile, WINDOW_SECONDS, later);
        expect(again.applied).toEqual([event.messageId]);
        expect((await store.getProfile('u:carol'))?.cart[0]?.quantity).toBe(2);
      });

      it('counts a messageId repeated inside one batch once', async () => {
        const event = added('sku-a');
        const result = await store.applyEvents([{ subjectKey: 'u:dan', events: [event, event] }], reduceProfile, WINDOW_SECONDS, NOW);
        expect(result).toEqual({ applied: [event.messageId], duplicates: [event.messageId] });
        expect((await store.getProfile('u:dan'))?.cart[0]?.quantity).toBe(1);
      });

      it('applies several subjects in one call, each to its own profile', async () => {
        await store.applyEvents(
          [
            { subjectKey: 'u:e1', events: [added('one')] },
            { subjectKey: 'a:e2', events: [added('two'), added('three')] },
          ],
          reduceProfile,
          WINDOW_SECONDS,
          NOW,
        );
        expect(await cartIds(store, 'u:e1')).toEqual(['one']);
        expect(await cartIds(store, 'a:e2')).toEqual(['three', 'two']);
      });

      it('loses no event when many writers update one subject at once', async () => {
        const writes = Array.from({ length: 40 }, (_, i) =>
          store.applyEvents([{ subjectKey: 'u:busy', events: [added(`sku-${i}`, NOW + i)] }], reduceProfile, WINDOW_SECONDS, NOW + i),
        );
        await Promise.all(writes);
        expect(await cartIds(store, 'u:busy')).toHaveLength(40);
      });

      it('keeps profiles apart by key', async () => {
        await store.applyEvents([{ subjectKey: 'u:same', events: [added('for-user')] }], reduceProfile, WINDOW_SECONDS, NOW);
        await store.applyEvents([{ subjectKey: 'a:same', events: [added('for-anon')] }], reduceProfile, WINDOW_SECONDS, NOW);
        expect(await cartIds(store, 'u:same')).toEqual(['for-user']);
        expect(await cartIds(store, 'a:same')).toEqual(['for-anon']);
      });
    });

    describe('links (identify, alias)', () => {
      it('resolves a linked key and merges its profile into the target', async () => {
        await store.applyEvents([{ subjectKey: 'a:browser', events: [added('seen-anon')] }], reduceProfile, WINDOW_SECONDS, NOW);
        await store.applyEvents([{ subjectKey: 'u:user', events: [added('seen-user')] }], reduceProfile, WINDOW_SECONDS, NOW);
        await store.linkSubject('a:browser', 'u:user', mergeProfiles, NOW);
        expect(await store.getLinks(['a:browser', 'u:user', 'a:other'])).toEqual(new Map([['a:browser', 'u:user']]));
        expect(await cartIds(store, 'u:user')).toEqual(['seen-anon', 'seen-user']);
        expect(await store.getProfile('a:browser')).toBeUndefined();
      });

      it('links a key with no profile, for the events that come later', async () => {
        await store.linkSubject('a:fresh', 'u:known', mergeProfiles, NOW);
        expect((await store.getLinks(['a:fresh'])).get('a:fresh')).toBe('u:known');
        expect(await store.getProfile('u:known')).toBeUndefined();
      });

      it('moves applied messageIds with the link, so a retried event is not applied twice', async () => {
        const event = added('once');
        await store.applyEvents([{ subjectKey: 'a:retry', events: [event] }], reduceProfile, WINDOW_SECONDS, NOW);
        await store.linkSubject('a:retry', 'u:retry', mergeProfiles, NOW);
        const retried = await store.applyEvents([{ subjectKey: 'u:retry', events: [event] }], reduceProfile, WINDOW_SECONDS, NOW + 1000);
        expect(retried.duplicates).toEqual([event.messageId]);
        expect((await store.getProfile('u:retry'))?.cart[0]?.quantity).toBe(1);
      });

      it('re-points a link', async () => {
        await store.linkSubject('a:shared', 'u:first', mergeProfiles, NOW);
        await store.linkSubject('a:shared', 'u:second', mergeProfiles, NOW + 1);
        expect((await store.getLinks(['a:shared'])).get('a:shared')).toBe('u:second');
      });
    });

    describe('catalog', () => {
      it('returns the products asked for and leaves out unknown ids', async () => {
        await store.putProducts([product('p1'), product('p2')], NOW);
        const found = await store.getProducts(['p1', 'missing', 'p2']);
        expect([...found.keys()].sort()).toEqual(['p1', 'p2']);
        expect(found.get('p1')?.title).toBe('Product p1');
        expect((await store.getProducts([])).size).toBe(0);
      });

      it('replaces a product on upsert', async () => {
        await store.putProducts([product('p1', 10)], NOW);
        await store.putProducts([product('p1', 7)], NOW + 1);
        expect((await store.getProducts(['p1'])).get('p1')?.price).toBe(7);
      });
    });

    describe('blocks', () => {
      it('versions each block separately, starting at 1', async () => {
        expect((await store.putBlock(blockSchema.parse(block('a')), NOW)).version).toBe(1);
        expect((await store.putBlock(blockSchema.parse(block('a', 'Again')), NOW + 1)).version).toBe(2);
        expect((await store.putBlock(blockSchema.parse(block('b')), NOW + 2)).version).toBe(1);
        const a = await store.getBlock('a');
        expect(a?.version).toBe(2);
        expect(a?.config.params.headline).toBe('Again');
        expect(a?.updatedAt).toBe(NOW + 1);
        expect(await store.getBlock('zzz')).toBeUndefined();
        expect((await store.listBlocks()).map((s) => [s.config.id, s.version])).toEqual([
          ['a', 2],
          ['b', 1],
        ]);
      });
    });

    describe('open records', () => {
      const key: OpenKey = { blockId: 'grid', subjectKey: 'u:opener', messageId: 'm1' };

      it('returns what the open showed, for its own block, subject and message only', async () => {
        await store.putOpenRecord(key, { decision: decision(['red', 'blue']), renderedAt: NOW }, 3600);
        expect((await store.getOpenRecord(key, NOW + 1000))?.decision.slots.map((s) => s?.id)).toEqual(['red', 'blue']);
        expect(await store.getOpenRecord({ ...key, messageId: 'm2' }, NOW)).toBeUndefined();
        expect(await store.getOpenRecord({ ...key, subjectKey: 'u:someone-else' }, NOW)).toBeUndefined();
        expect(await store.getOpenRecord({ ...key, blockId: 'other' }, NOW)).toBeUndefined();
      });

      it('replaces the record on a later open and forgets it after its TTL', async () => {
        await store.putOpenRecord(key, { decision: decision(['red']), renderedAt: NOW }, 3600);
        await store.putOpenRecord(key, { decision: decision(['green']), renderedAt: NOW + 1000 }, 3600);
        expect((await store.getOpenRecord(key, NOW + 2000))?.decision.slots[0]?.id).toBe('green');
        expect(await store.getOpenRecord(key, NOW + 1000 + 3601 * 1000)).toBeUndefined();
      });
    });

    describe('trending', () => {
      it('ranks by count, recent hours weighing more than old ones', async () => {
        await store.bumpTrending([{ scope: 'trending', productId: 'old', weight: 10 }], NOW - 72 * HOUR);
        await store.bumpTrending([{ scope: 'trending', productId: 'new', weight: 6 }], NOW);
        await store.bumpTrending([{ scope: 'trending', productId: 'steady', weight: 3 }, { scope: 'trending', productId: 'steady', weight: 1 }], NOW);
        expect(await store.topTrending('trending', NOW, 10)).toEqual(['new', 'steady', 'old']);
      });

      it('ignores buckets older than the window, keeps scopes apart and respects the limit', async () => {
        await store.bumpTrending([{ scope: 'trending', productId: 'ancient', weight: 1000 }], NOW - (TRENDING_WINDOW_HOURS + 1) * HOUR);
        await store.bumpTrending(
          [
            { scope: 'trending', productId: 'a', weight: 3 },
            { scope: 'trending', productId: 'b', weight: 2 },
            { scope: 'trending', productId: 'c', weight: 1 },
            { scope: 'trending:shoes', productId: 'boot', weight: 1 },
          ],
          NOW,
        );
        expect(await store.topTrending('trending', NOW, 2)).toEqual(['a', 'b']);
        expect(await store.topTrending('trending:shoes', NOW, 10)).toEqual(['boot']);
        expect(await store.topTrending('trending:hats', NOW, 10)).toEqual([]);
      });
    });

    describe('counters', () => {
      it('adds up increments', async () => {
        await store.incrementCounters({ opens: 2, clicks: 1 });
        await store.incrementCounters({ opens: 3 });
        const counters = await store.readCounters();
        expect(counters.opens).toBe(5);
        expect(counters.clicks).toBe(1);
      });
    });

    it('refuses work after close', async () => {
      const closing = await makeStore();
      await closing.close();
      await expect(closing.ping()).rejects.toThrow();
      await expect(closing.applyEvents([{ subjectKey: 'u:late', events: [added('x')] }], reduceProfile, WINDOW_SECONDS, NOW)).rejects.toThrow();
    });
  });
}
