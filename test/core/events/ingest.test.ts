import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import { trendingScope } from '../../../src/core/decide/trending.ts';
import { ingestEvents, STORE_RETRY_AFTER_SECONDS, type IngestDeps } from '../../../src/core/events/ingest.ts';
import { normalizeEvent, type TrackedEvent } from '../../../src/core/events/normalize.ts';
import type { Store } from '../../../src/core/ports.ts';
import { createSubjectKeyer } from '../../../src/core/audience/subjects.ts';

/**
 * The events ingest against a real (memory) store, handed only the parts its
 * signature names: subjects, suppressions and trending. The store is wrapped
 * so that touching any other part fails the test, which proves the
 * signature tells the whole truth.
 */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const keyer = createSubjectKeyer('ingest-test-secret');
const INGEST_PARTS = new Set<keyof Store>([
  'getLinks',
  'countLinksInto',
  'getProfile',
  'applyEvents',
  'linkSubject',
  'deleteSubject',
  'getSuppressions',
  'setSuppression',
  'bumpTrending',
  'topTrending',
]);

function onlyIngestParts(store: Store): IngestDeps['store'] {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (typeof property === 'string' && !INGEST_PARTS.has(property as keyof Store)) throw new Error(`the ingest touched Store.${property}, outside its parts`);
      return Reflect.get(target, property, receiver);
    },
  });
}

function setup(options: Partial<IngestDeps> = {}) {
  const store = memoryStore();
  return { store, deps: { store: onlyIngestParts(store), keyer, ...options } satisfies IngestDeps };
}

let sequence = 0;
const event = (raw: Record<string, unknown>): TrackedEvent => normalizeEvent({ messageId: `ingest-${++sequence}`, ...raw }, undefined, NOW);
const viewed = (who: Record<string, unknown>, productId: string) =>
  event({ type: 'track', event: 'Product Viewed', properties: { product_id: productId, category: 'shoes' }, ...who });
const cartOf = async (store: Store, key: string) => (await store.getProfile(key))?.cart.map((line) => line.id) ?? [];

describe('ingestEvents', () => {
  it("stores each event in its subject's profile and reports it applied", async () => {
    const { store, deps } = setup();
    const added = event({ type: 'track', userId: 'jane', event: 'Product Added', properties: { product_id: 'boot' } });
    const result = await ingestEvents(deps, [added], NOW);
    expect(result).toEqual({ applied: [added.messageId], duplicates: [], dropped: [] });
    expect(await cartOf(store, await keyer.userKey('jane'))).toEqual(['boot']);
  });

  it('reports a retried event as a duplicate and counts it in trending once', async () => {
    const { store, deps } = setup();
    const view = viewed({ anonymousId: 'browser-1' }, 'boot');
    await ingestEvents(deps, [view], NOW);
    expect(await ingestEvents(deps, [view], NOW + 1000)).toEqual({ applied: [], duplicates: [view.messageId], dropped: [] });
    await ingestEvents(deps, [view], NOW + 2000);
    // boot: one view sent three times; scarf: two views. Counted per retry, boot would lead.
    await ingestEvents(deps, [viewed({ anonymousId: 'browser-2' }, 'scarf'), viewed({ anonymousId: 'browser-3' }, 'scarf')], NOW);
    expect(await store.topTrending(trendingScope('trending', undefined), NOW, 10)).toEqual(['scarf', 'boot']);
  });

  it("files a browser's events under the user its identify links it to, and those that come later", async () => {
    const { store, deps } = setup();
    await ingestEvents(deps, [event({ type: 'track', anonymousId: 'browser-1', event: 'Product Added', properties: { product_id: 'before' } })], NOW);
    await ingestEvents(deps, [event({ type: 'identify', anonymousId: 'browser-1', userId: 'jane', traits: {} })], NOW);
    await ingestEvents(deps, [event({ type: 'track', anonymousId: 'browser-1', event: 'Product Added', properties: { product_id: 'after' } })], NOW);
    expect((await cartOf(store, await keyer.userKey('jane'))).sort()).toEqual(['after', 'before']);
    expect(await store.getProfile(await keyer.anonymousKey('browser-1'))).toBeUndefined();
  });

  it('drops, and acknowledges, the events of a subject that withdrew consent, and the withdrawal itself', async () => {
    const { store, deps } = setup({ consentCategories: ['marketing'] });
    const withdraw = event({ type: 'track', userId: 'jane', event: 'Consent Updated', context: { consent: { categoryPreferences: { marketing: false } } } });
    const later = event({ type: 'track', userId: 'jane', event: 'Product Added', properties: { product_id: 'boot' } });
    expect(await ingestEvents(deps, [withdraw, later], NOW)).toEqual({ applied: [], duplicates: [], dropped: [withdraw.messageId, later.messageId] });
    const key = await keyer.userKey('jane');
    expect(await store.getSuppressions([key])).toEqual(new Map([[key, 'consent']]));
    expect(await store.getProfile(key)).toBeUndefined();
  });

  it('answers a store that cannot write with STORE_UNAVAILABLE (503) and when to retry', async () => {
    const { store, deps } = setup();
    await store.close();
    await expect(ingestEvents(deps, [viewed({ userId: 'jane' }, 'boot')], NOW)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
    });
  });
});
