import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockSchema, type BlockConfig } from '../../src/core/blocks/schema.ts';
import { productSchema, type Product } from '../../src/core/catalog/product.ts';
import type { Decision, GridDecision } from '../../src/core/decide/decide.ts';
import { TRENDING_WINDOW_HOURS, hourOf, rankBuckets, type TrendingIncrement } from '../../src/core/decide/trending.ts';
import { DEDUPE_WINDOW_SECONDS } from '../../src/core/events/limits.ts';
import type { TrackedEvent } from '../../src/core/events/normalize.ts';
import { BLOCK_VERSIONS_KEPT, type OpenKey, type OpenRecord, type Store, type SubjectDeletion } from '../../src/core/ports.ts';
import { mergeProfiles } from '../../src/core/profiles/merge.ts';
import { PROFILE_LIMITS, type Profile } from '../../src/core/profiles/profile.ts';
import { reduceProfile } from '../../src/core/profiles/reducer.ts';
import {
  NEIGHBOURS_PER_PRODUCT,
  NEIGHBOUR_HALF_LIFE_DAYS,
  applyNeighbourIncrements,
  decayedWeight,
  rankedNeighbours,
  type NeighbourIncrement,
  type NeighbourList,
} from '../../src/core/recommend/neighbours.ts';
import { describeReportStore } from './report-contract.ts';
import { describeTriggerStore } from './triggers-contract.ts';

/**
 * The store contract: every Store implementation passes these tests (the
 * idea of unstorage's `testDriver`). They use only the Store interface —
 * never a table, a Map or a Redis key — so the same suite runs against the
 * memory, SQLite, Redis and Durable Object stores. A store's own test file
 * is a few lines:
 *
 *   describeStore('sqlite', (setup) => sqliteStore({ path: freshFile(), ...setup }));
 *
 * `makeStore` is called once per test and must return an empty store (a new
 * file, a new Redis key prefix, isolated Durable Object storage), built with
 * the `StoreSetup` it is given. Time is never the wall clock: every call that
 * takes `now` gets an explicit one, and retention runs on the setup's clock.
 * The suite has one section per part of the port (SubjectStore,
 * SuppressionStore, … in src/core/ports.ts), so a part's promises and their
 * tests sit under the same name.
 */
export interface StoreSetup {
  /** Profiles not written for this long are gone (unset: kept). */
  retentionSeconds?: number;
  /** The store's own clock, for retention; the retention test moves it. */
  now?: () => number;
}

export interface StoreContractOptions {
  /**
   * The instant the tests pretend it is (epoch ms). The default is a fixed
   * date; a store that turns `now` into absolute expiries on a real server
   * (Redis PEXPIREAT, Durable Object alarms) can pass `Date.now()` so that
   * nothing it writes has expired before the test reads it.
   */
  now?: number;
  /** How many writers race on one subject in the concurrency tests (default and maximum: the cart limit, 50). */
  writers?: number;
  /**
   * The instant the TriggerStore tests pretend it is. A store whose timer fires at real due times
   * (Durable Object alarms) passes one a day past the real clock, so its alarm never takes the
   * tests' episodes from under them.
   */
  triggersNow?: number;
}

export const NOW = Date.parse('2026-06-01T12:00:00Z');
export const SECOND = 1000;
export const HOUR = 3_600_000;
/** The dedupe window, in ms: the one every store applies. */
const WINDOW = DEDUPE_WINDOW_SECONDS * SECOND;

let sequence = 0;
const nextMessageId = () => `msg-${++sequence}`;

export function trackEvent(event: string, properties: Record<string, unknown>, at = NOW, messageId = nextMessageId()): TrackedEvent {
  return { type: 'track', messageId, userId: 'x', event, properties, traits: {}, timestamp: at, receivedAt: at, context: {} };
}

export const added = (productId: string, at = NOW, messageId = nextMessageId()): TrackedEvent => trackEvent('Product Added', { product_id: productId }, at, messageId);

export const viewed = (productId: string, category: string, at = NOW, messageId = nextMessageId()): TrackedEvent =>
  trackEvent('Product Viewed', { product_id: productId, category }, at, messageId);

export function identified(traits: Record<string, unknown>, at = NOW, messageId = nextMessageId()): TrackedEvent {
  return { type: 'identify', messageId, userId: 'x', properties: {}, traits, timestamp: at, receivedAt: at, context: {} };
}

export const blockConfig = (id: string, headline = 'Picked for you'): BlockConfig =>
  blockSchema.parse({
    id,
    size: { width: 600, height: 300 },
    slots: 2,
    source: [{ from: 'cart' }],
    params: { headline },
    fallback: { url: 'https://shop.example.com/' },
  });

export const product = (id: string, price = 10): Product =>
  productSchema.parse({
    id,
    title: `Product ${id}`,
    price,
    url: `https://shop.example.com/p/${id}`,
    image_url: `https://cdn.example.com/${id}.png`,
    category: 'shoes',
  });

const decision = (ids: string[]): Decision => ({
  blockId: 'grid',
  blockVersion: 3,
  personal: true,
  slots: [
    ...ids.map((id) => ({
      id,
      title: `Product ${id}`,
      price: 12.5,
      currency: 'EUR',
      url: `https://shop.example.com/p/${id}`,
      image_url: `https://cdn.example.com/${id}.png`,
      source: 'cart' as const,
    })),
    null,
  ],
});

const sorted = (ids: readonly string[]) => [...ids].sort();
const cartIds = async (store: Store, key: string) => sorted((await store.getProfile(key))?.cart.map((line) => line.id) ?? []);

export function describeStore(name: string, makeStore: (setup: StoreSetup) => Promise<Store> | Store, options: StoreContractOptions = {}): void {
  const T0 = options.now ?? NOW;
  const writers = Math.min(options.writers ?? PROFILE_LIMITS.cart, PROFILE_LIMITS.cart);

  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore({});
    });
    afterEach(async () => {
      await store.close();
    });

    /** applyEvents for one subject, without the profiles a store may hand back (tested on their own below). */
    const apply = async (subjectKey: string, events: TrackedEvent[], now = T0) => {
      const { profiles: _profiles, ...result } = await store.applyEvents([{ subjectKey, events }], now);
      return result;
    };

    describe('SubjectStore: profiles, identity links, retention, deleting a subject', () => {
      describe('profiles and applyEvents', () => {
        it('has no profile for an unknown subject', async () => {
          expect(await store.getProfile('u:nobody')).toBeUndefined();
        });

        it('saves the profile the reducer makes and reports every messageId as applied', async () => {
          const events = [viewed('sku-a', 'shoes', T0 - 2 * HOUR), added('sku-a', T0 - HOUR), added('sku-b', T0), identified({ plan: 'gold', email: 'kept-out@example.com' }, T0)];
          const result = await apply('u:alice', events);
          expect(sorted(result.applied)).toEqual(sorted(events.map((e) => e.messageId)));
          expect(result.duplicates).toEqual([]);
          const profile = await store.getProfile('u:alice');
          expect(profile).toEqual(reduceProfile(undefined, events));
          expect(profile?.lastCategory?.name).toBe('shoes');
          expect(profile?.traits).toEqual({ plan: 'gold' });
        });

        it('reduces later events into the profile it already has', async () => {
          const first = [added('sku-a', T0)];
          const second = [added('sku-b', T0 + HOUR), added('sku-a', T0 + HOUR)];
          await apply('u:alice', first, T0);
          await apply('u:alice', second, T0 + HOUR);
          expect(await store.getProfile('u:alice')).toEqual(reduceProfile(reduceProfile(undefined, first), second));
          expect((await store.getProfile('u:alice'))?.cart.find((line) => line.id === 'sku-a')?.quantity).toBe(2);
        });

        it('hands back, where it does, each profile exactly as it stored it', async () => {
          const result = await store.applyEvents(
            [
              { subjectKey: 'u:ann', events: [added('sku-a', T0), viewed('sku-b', 'hats', T0)] },
              { subjectKey: 'u:bob', events: [added('sku-c', T0)] },
            ],
            T0,
          );
          for (const [key, written] of result.profiles ?? []) expect(written).toEqual(await store.getProfile(key));
        });

        it('skips a messageId applied within the window and reports it as a duplicate', async () => {
          const a = added('sku-a', T0);
          const b = added('sku-b', T0 + HOUR);
          await apply('u:bob', [a], T0);
          const again = await apply('u:bob', [a, b], T0 + HOUR);
          expect(again).toEqual({ applied: [b.messageId], duplicates: [a.messageId] });
          expect(await store.getProfile('u:bob')).toEqual(reduceProfile(reduceProfile(undefined, [a]), [b]));
        });

        it('leaves the profile as it was when every event is a duplicate', async () => {
          const events = [added('sku-a', T0), viewed('sku-b', 'hats', T0)];
          await apply('u:bob', events, T0);
          const before = await store.getProfile('u:bob');
          const again = await apply('u:bob', events, T0 + 23 * HOUR);
          expect(again.applied).toEqual([]);
          expect(sorted(again.duplicates)).toEqual(sorted(events.map((e) => e.messageId)));
          expect(await store.getProfile('u:bob')).toEqual(before);
        });

        it('applies a messageId again once the window (DEDUPE_WINDOW_SECONDS, the same in every store) has passed', async () => {
          const event = added('sku-a', T0);
          await apply('u:carol', [event], T0);
          expect(await apply('u:carol', [event], T0 + WINDOW - SECOND)).toEqual({ applied: [], duplicates: [event.messageId] });
          const later = T0 + WINDOW + SECOND;
          expect(await apply('u:carol', [{ ...event, timestamp: later }], later)).toEqual({ applied: [event.messageId], duplicates: [] });
          expect((await store.getProfile('u:carol'))?.cart[0]?.quantity).toBe(2);
        });

        it('counts the window from when the event was applied, not from its last retry', async () => {
          const event = added('sku-a', T0);
          await apply('u:carol', [event], T0);
          expect((await apply('u:carol', [event], T0 + WINDOW - 10 * 60 * SECOND)).duplicates).toEqual([event.messageId]);
          expect((await apply('u:carol', [event], T0 + WINDOW + 10 * 60 * SECOND)).applied).toEqual([event.messageId]);
        });

        it('counts a messageId repeated inside one batch once', async () => {
          const event = added('sku-a', T0);
          const result = await apply('u:dan', [event, added('sku-b', T0), event]);
          expect(result.applied).toHaveLength(2);
          expect(result.applied).toContain(event.messageId);
          expect(result.duplicates).toEqual([event.messageId]);
          expect((await store.getProfile('u:dan'))?.cart.find((line) => line.id === 'sku-a')?.quantity).toBe(1);
        });

        it('applies several subjects in one call, each to its own profile, and reports them all', async () => {
          const seen = added('seen-before', T0 - HOUR);
          await apply('a:e2', [seen], T0 - HOUR);
          const one = added('one');
          const two = added('two');
          const three = added('three');
          const result = await store.applyEvents(
            [
              { subjectKey: 'u:e1', events: [one] },
              { subjectKey: 'a:e2', events: [two, seen, three] },
              { subjectKey: 'u:e3', events: [] },
            ],
            T0,
          );
          expect(sorted(result.applied)).toEqual(sorted([one.messageId, two.messageId, three.messageId]));
          expect(result.duplicates).toEqual([seen.messageId]);
          expect(await cartIds(store, 'u:e1')).toEqual(['one']);
          expect(await cartIds(store, 'a:e2')).toEqual(['seen-before', 'three', 'two']);
          expect(await store.getProfile('u:e3')).toBeUndefined();
        });

        it('keeps profiles apart by key', async () => {
          await apply('u:same', [added('for-user')]);
          await apply('a:same', [added('for-anon')]);
          expect(await cartIds(store, 'u:same')).toEqual(['for-user']);
          expect(await cartIds(store, 'a:same')).toEqual(['for-anon']);
        });
      });

      describe('concurrent writers', () => {
        it(`loses no event when ${writers} writers add to one cart at once`, async () => {
          const events = Array.from({ length: writers }, (_, i) => added(`sku-${i}`, T0 + i * SECOND));
          const results = await Promise.all(events.map((event, i) => apply('u:busy', [event], T0 + i * SECOND)));
          expect(sorted(results.flatMap((r) => r.applied))).toEqual(sorted(events.map((e) => e.messageId)));
          expect(results.flatMap((r) => r.duplicates)).toEqual([]);
          expect(await cartIds(store, 'u:busy')).toEqual(sorted(events.map((_, i) => `sku-${i}`)));
          expect((await store.getProfile('u:busy'))?.lastSeen).toBe(T0 + (writers - 1) * SECOND);
        });

        it('applies a messageId once when the same event races itself', async () => {
          const event = added('sku-once', T0);
          const results = await Promise.all(Array.from({ length: 10 }, () => apply('u:racer', [event])));
          expect(results.flatMap((r) => r.applied)).toEqual([event.messageId]);
          expect(results.flatMap((r) => r.duplicates)).toHaveLength(9);
          expect((await store.getProfile('u:racer'))?.cart).toEqual([{ id: 'sku-once', quantity: 1, at: T0 }]);
        });
      });

      describe('links (identify, alias)', () => {
        it('has no link for a key that was never linked', async () => {
          expect((await store.getLinks([])).size).toBe(0);
          expect((await store.getLinks(['a:nobody', 'u:nobody'])).size).toBe(0);
        });

        it('resolves a linked key and merges its profile into the target, removing its own', async () => {
          await apply('a:browser', [viewed('seen-anon', 'hats', T0 - HOUR), added('carted-anon', T0 - HOUR)], T0 - HOUR);
          await apply('u:user', [added('carted-user', T0 - 2 * HOUR), identified({ plan: 'gold' }, T0 - 2 * HOUR)], T0 - HOUR);
          const from = (await store.getProfile('a:browser')) as Profile;
          const into = (await store.getProfile('u:user')) as Profile;

          await store.linkSubject('a:browser', 'u:user', T0);
          expect(await store.getLinks(['a:browser', 'u:user', 'a:other'])).toEqual(new Map([['a:browser', 'u:user']]));
          expect(await store.getProfile('u:user')).toEqual(mergeProfiles(into, from));
          expect(await cartIds(store, 'u:user')).toEqual(['carted-anon', 'carted-user']);
          expect(await store.getProfile('a:browser')).toBeUndefined();
        });

        it('moves the profile to a target that has none', async () => {
          await apply('a:only', [added('sku-a')]);
          const from = await store.getProfile('a:only');
          await store.linkSubject('a:only', 'u:new', T0);
          expect(await store.getProfile('u:new')).toEqual(from);
          expect(await store.getProfile('a:only')).toBeUndefined();
        });

        it('links a key that has no profile yet, for the events that come later', async () => {
          await store.linkSubject('a:fresh', 'u:known', T0);
          expect(await store.getLinks(['a:fresh'])).toEqual(new Map([['a:fresh', 'u:known']]));
          expect(await store.getProfile('u:known')).toBeUndefined();
          expect(await store.getProfile('a:fresh')).toBeUndefined();
        });

        it('moves applied messageIds with the link, so a retried event is not applied twice', async () => {
          const event = added('once', T0);
          await apply('a:retry', [event], T0);
          await store.linkSubject('a:retry', 'u:retry', T0 + SECOND);
          // The sender retries; the core now resolves a:retry to u:retry and groups the event there.
          const retried = await apply('u:retry', [event, added('new', T0 + 2 * SECOND)], T0 + 2 * SECOND);
          expect(retried.duplicates).toEqual([event.messageId]);
          expect(retried.applied).toHaveLength(1);
          expect((await store.getProfile('u:retry'))?.cart.find((line) => line.id === 'once')?.quantity).toBe(1);
        });

        it('keeps the later record when both subjects applied the same messageId', async () => {
          // Applied to u:x first, and 10 hours later to a:y (before the two were known to be one person).
          const event = added('both', T0);
          await apply('u:x', [event], T0);
          await apply('a:y', [event], T0 + 10 * HOUR);
          await store.linkSubject('a:y', 'u:x', T0 + 11 * HOUR);
          // 30 hours after the first application but only 20 after the second: still within the window.
          const retried = await apply('u:x', [event], T0 + 30 * HOUR);
          expect(retried).toEqual({ applied: [], duplicates: [event.messageId] });
        });

        it('leaves a key linked to itself as it was: no link, its profile and messageIds kept', async () => {
          const event = added('sku-a');
          await apply('u:self', [event]);
          const before = await store.getProfile('u:self');
          await store.linkSubject('u:self', 'u:self', T0 + SECOND);
          expect(await store.getLinks(['u:self'])).toEqual(new Map());
          expect(await store.countLinksInto(['u:self'])).toEqual(new Map());
          expect(await store.getProfile('u:self')).toEqual(before);
          expect(await apply('u:self', [event], T0 + 2 * SECOND)).toEqual({ applied: [], duplicates: [event.messageId] });
        });

        it('re-points a link to a new target', async () => {
          await store.linkSubject('a:shared', 'u:first', T0);
          await store.linkSubject('a:shared', 'u:second', T0 + SECOND);
          expect(await store.getLinks(['a:shared'])).toEqual(new Map([['a:shared', 'u:second']]));
        });

        it('merges a profile made after the first link into the new target when re-pointed', async () => {
          await store.linkSubject('a:shared', 'u:first', T0);
          await apply('a:shared', [added('late')], T0 + SECOND);
          await store.linkSubject('a:shared', 'u:second', T0 + 2 * SECOND);
          expect(await cartIds(store, 'u:second')).toEqual(['late']);
          expect(await store.getProfile('u:first')).toBeUndefined();
          expect(await store.getProfile('a:shared')).toBeUndefined();
        });

        it('counts the live links into each subject, following re-points and deletions', async () => {
          await store.linkSubject('a:one', 'u:target', T0);
          await store.linkSubject('a:two', 'u:target', T0);
          await store.linkSubject('a:three', 'u:other', T0);
          // Made again: still one link.
          await store.linkSubject('a:one', 'u:target', T0 + SECOND);
          expect(await store.countLinksInto(['u:target', 'u:other', 'u:nobody'])).toEqual(
            new Map([
              ['u:target', 2],
              ['u:other', 1],
            ]),
          );
          await store.linkSubject('a:two', 'u:other', T0 + 2 * SECOND);
          await store.deleteSubject('a:one');
          expect(await store.countLinksInto(['u:target', 'u:other'])).toEqual(new Map([['u:other', 2]]));
        });
      });

      describe('one subscriber read, written and read again (as opens read them)', () => {
        it('answers each one-key read as the store is after every write', async () => {
          const one = async (key: string) => (await store.getLinks([key])).get(key);
          const suppression = async (key: string) => (await store.getSuppressions([key])).get(key);
          expect(await store.getProfile('u:reader')).toBeUndefined();
          expect(await one('a:reader')).toBeUndefined();
          expect(await suppression('u:reader')).toBeUndefined();

          await apply('u:reader', [added('sku-1')]);
          expect(await cartIds(store, 'u:reader')).toEqual(['sku-1']);
          await apply('u:reader', [added('sku-2', T0 + SECOND)], T0 + SECOND);
          expect(await cartIds(store, 'u:reader')).toEqual(['sku-1', 'sku-2']);

          await apply('a:reader', [added('sku-anon')]);
          expect(await cartIds(store, 'a:reader')).toEqual(['sku-anon']);
          await store.linkSubject('a:reader', 'u:reader', T0);
          expect(await one('a:reader')).toBe('u:reader');
          expect(await store.getProfile('a:reader')).toBeUndefined();
          expect(await cartIds(store, 'u:reader')).toEqual(['sku-1', 'sku-2', 'sku-anon']);
          await store.linkSubject('a:reader', 'u:other', T0 + SECOND);
          expect(await one('a:reader')).toBe('u:other');

          await store.setSuppression(['u:reader'], 'admin', T0);
          expect(await suppression('u:reader')).toBe('admin');
          await store.setSuppression(['u:reader'], 'consent', T0);
          expect(await suppression('u:reader')).toBe('consent');
          await store.setSuppression(['u:reader'], undefined, T0);
          expect(await suppression('u:reader')).toBeUndefined();

          await store.deleteSubject('u:other');
          expect(await one('a:reader')).toBeUndefined();
          await store.deleteSubject('u:reader');
          expect(await store.getProfile('u:reader')).toBeUndefined();
        });

        it('hides a profile and a link read before they passed the retention period', async () => {
          let clock = T0;
          const aging = await makeStore({ retentionSeconds: 3600, now: () => clock });
          try {
            await aging.applyEvents([{ subjectKey: 'u:ageing', events: [added('sku-a', clock)] }], clock);
            await aging.linkSubject('a:ageing', 'u:ageing', clock);
            expect((await aging.getProfile('u:ageing'))?.cart.map((line) => line.id)).toEqual(['sku-a']);
            expect((await aging.getLinks(['a:ageing'])).get('a:ageing')).toBe('u:ageing');
            clock = T0 + 3601 * SECOND;
            expect(await aging.getProfile('u:ageing')).toBeUndefined();
            expect((await aging.getLinks(['a:ageing'])).size).toBe(0);
          } finally {
            await aging.close();
          }
        });
      });

      describe('retention', () => {
        it('forgets a link not made again for the retention period, and no longer counts it', async () => {
          let clock = T0;
          const aging = await makeStore({ retentionSeconds: 3600, now: () => clock });
          try {
            await aging.linkSubject('a:old', 'u:person', clock);
            await aging.linkSubject('a:renewed', 'u:person', clock);
            clock = T0 + 40 * 60 * SECOND;
            await aging.linkSubject('a:new', 'u:person', clock);
            // Linking again renews it.
            await aging.linkSubject('a:renewed', 'u:person', clock);
            clock = T0 + 3601 * SECOND;
            expect(await aging.getLinks(['a:old', 'a:renewed', 'a:new'])).toEqual(
              new Map([
                ['a:renewed', 'u:person'],
                ['a:new', 'u:person'],
              ]),
            );
            expect(await aging.countLinksInto(['u:person'])).toEqual(new Map([['u:person', 2]]));
            clock = T0 + (3600 + 40 * 60 + 1) * SECOND;
            expect((await aging.getLinks(['a:renewed', 'a:new'])).size).toBe(0);
            expect((await aging.countLinksInto(['u:person'])).size).toBe(0);
          } finally {
            await aging.close();
          }
        });

        it('forgets a profile that was not written for the retention period', async () => {
          let clock = T0;
          const aging = await makeStore({ retentionSeconds: 3600, now: () => clock });
          const write = (key: string, productId: string) => aging.applyEvents([{ subjectKey: key, events: [added(productId, clock)] }], clock);
          try {
            await write('u:idle', 'idle-sku');
            await write('u:active', 'first-sku');
            clock = T0 + 40 * 60 * SECOND;
            await write('u:active', 'second-sku');
            clock = T0 + 3601 * SECOND;
            expect(await aging.getProfile('u:idle')).toBeUndefined();
            expect(sorted((await aging.getProfile('u:active'))?.cart.map((line) => line.id) ?? [])).toEqual(['first-sku', 'second-sku']);
            // A subject that comes back after expiry starts from an empty profile.
            await write('u:idle', 'back-sku');
            expect((await aging.getProfile('u:idle'))?.cart.map((line) => line.id)).toEqual(['back-sku']);
          } finally {
            await aging.close();
          }
        });
      });

      describe('deleting a subject', () => {
        it('removes the profile, the links into it, its open records and its messageIds', async () => {
          await store.linkSubject('a:device-1', 'u:gone', T0);
          await store.linkSubject('a:device-2', 'u:gone', T0);
          await store.linkSubject('a:bystander', 'u:kept', T0);
          const events = [added('sku-a'), added('sku-b')];
          await apply('u:gone', events);
          await apply('u:kept', [added('sku-k')]);
          const record: OpenRecord = { decision: decision(['red']), renderedAt: T0 };
          await store.putOpenRecord({ blockId: 'grid', subjectKey: 'u:gone', messageId: 'c1' }, record, 3600);
          await store.putOpenRecord({ blockId: 'hero', subjectKey: 'u:gone', messageId: 'c2' }, record, 3600);
          await store.putOpenRecord({ blockId: 'grid', subjectKey: 'u:kept', messageId: 'c1' }, record, 3600);

          expect(await store.deleteSubject('u:gone')).toEqual({ profile: true, links: 2, openRecords: 2, messageIds: 2 } satisfies SubjectDeletion);
          expect(await store.getProfile('u:gone')).toBeUndefined();
          expect(await store.getLinks(['a:device-1', 'a:device-2', 'a:bystander'])).toEqual(new Map([['a:bystander', 'u:kept']]));
          expect(await store.getOpenRecord({ blockId: 'grid', subjectKey: 'u:gone', messageId: 'c1' }, T0)).toBeUndefined();
          expect(await store.getOpenRecord({ blockId: 'hero', subjectKey: 'u:gone', messageId: 'c2' }, T0)).toBeUndefined();
          expect(await store.getOpenRecord({ blockId: 'grid', subjectKey: 'u:kept', messageId: 'c1' }, T0)).toEqual(record);
          expect(await cartIds(store, 'u:kept')).toEqual(['sku-k']);
          // Its messageIds are forgotten too: the same events now start a new profile.
          expect(sorted((await apply('u:gone', events, T0 + SECOND)).applied)).toEqual(sorted(events.map((e) => e.messageId)));
        });

        it('removes the link out of a key that was linked into another subject', async () => {
          await apply('u:old-id', [added('sku-a')]);
          await store.linkSubject('u:old-id', 'u:new-id', T0);
          // The profile and messageIds went with the link; only the link itself is left to remove.
          expect(await store.deleteSubject('u:old-id')).toEqual({ profile: false, links: 1, openRecords: 0, messageIds: 0 });
          expect((await store.getLinks(['u:old-id'])).size).toBe(0);
          expect(await cartIds(store, 'u:new-id')).toEqual(['sku-a']);
        });

        it('reports nothing removed for an unknown subject', async () => {
          expect(await store.deleteSubject('u:never')).toEqual({ profile: false, links: 0, openRecords: 0, messageIds: 0 });
        });
      });
    });

    describe('SuppressionStore: suppressions', () => {
      it('suppresses keys with a source, changes the source and lifts it', async () => {
        expect((await store.getSuppressions(['u:s1'])).size).toBe(0);
        await store.setSuppression(['u:s1', 'u:s2'], 'admin', T0);
        await store.setSuppression(['u:s3'], 'consent', T0);
        expect(await store.getSuppressions(['u:s1', 'u:s2', 'u:s3', 'u:other'])).toEqual(
          new Map([
            ['u:s1', 'admin'],
            ['u:s2', 'admin'],
            ['u:s3', 'consent'],
          ]),
        );
        await store.setSuppression(['u:s2'], 'consent', T0 + SECOND);
        await store.setSuppression(['u:s1', 'u:never-suppressed'], undefined, T0 + SECOND);
        expect(await store.getSuppressions(['u:s1', 'u:s2', 'u:s3', 'u:never-suppressed'])).toEqual(
          new Map([
            ['u:s2', 'consent'],
            ['u:s3', 'consent'],
          ]),
        );
        expect((await store.getSuppressions([])).size).toBe(0);
      });
    });

    describe('CatalogStore: catalog', () => {
      it('returns the products asked for and leaves out unknown ids', async () => {
        await store.putProducts([product('p1'), product('p2', 25)], T0);
        const found = await store.getProducts(['p1', 'missing', 'p2']);
        expect(found).toEqual(
          new Map([
            ['p1', product('p1')],
            ['p2', product('p2', 25)],
          ]),
        );
        expect((await store.getProducts([])).size).toBe(0);
        expect((await store.getProducts(['missing'])).size).toBe(0);
      });

      it('replaces a product on upsert', async () => {
        await store.putProducts([product('p1', 10)], T0);
        const changed = { ...product('p1', 7), in_stock: false, title: 'Renamed' };
        await store.putProducts([changed], T0 + SECOND);
        expect(await store.getProducts(['p1'])).toEqual(new Map([['p1', changed]]));
      });

      it('keeps a product without a photo and its attributes as they were put', async () => {
        const plain = productSchema.parse({
          id: 'p1',
          title: 'No photo',
          price: 5,
          url: 'https://shop.example.com/p1',
          rating: 4.5,
          tags: ['new', 'eco'],
          attributes: { fit: 'slim' },
        });
        await store.putProducts([plain], T0);
        expect((await store.getProducts(['p1'])).get('p1')).toEqual(plain);
        expect(plain.attributes).toEqual({ fit: 'slim', rating: 4.5, tags: ['new', 'eco'] });
        expect(plain.image_url).toBeUndefined();
      });

      it('deletes products and counts only those that were there', async () => {
        await store.putProducts([product('p1'), product('p2'), product('p3')], T0);
        expect(await store.deleteProducts(['p1', 'p3', 'missing'])).toBe(2);
        expect([...(await store.getProducts(['p1', 'p2', 'p3'])).keys()]).toEqual(['p2']);
        expect(await store.deleteProducts(['p1'])).toBe(0);
        expect(await store.deleteProducts([])).toBe(0);
        expect((await store.listProducts(10)).map((p) => p.id)).toEqual(['p2']);
      });

      it('pages through every product once, in code point order of id', async () => {
        const ids = ['b', 'a', 'a-2', 'Z', '10', '9', 'é', '\u{1F600}', '\uFFFD', 'c'];
        await store.putProducts(
          ids.map((id) => product(id)),
          T0,
        );
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.listProducts(3, after);
          seen.push(...page.map((p) => p.id));
          if (page.length < 3) break;
          after = page[page.length - 1]?.id;
        }
        expect(seen).toEqual(['10', '9', 'Z', 'a', 'a-2', 'b', 'c', 'é', '\uFFFD', '\u{1F600}']);
        expect((await store.listProducts(2, 'a'))[0]).toEqual(product('a-2'));
        expect(await store.listProducts(5, '\u{1F600}')).toEqual([]);
      });

      it('pages in order after products are added and deleted between pages', async () => {
        await store.putProducts(
          ['a', 'c', 'e'].map((id) => product(id)),
          T0,
        );
        const first = await store.listProducts(2);
        expect(first.map((p) => p.id)).toEqual(['a', 'c']);
        await store.putProducts([product('b'), product('d')], T0);
        await store.deleteProducts(['e']);
        expect((await store.listProducts(2, 'c')).map((p) => p.id)).toEqual(['d']);
      });
    });

    describe('BlockStore: blocks', () => {
      it('numbers the versions of each block 1, 2, 3 and keeps the latest config', async () => {
        const first = await store.putBlock(blockConfig('grid', 'One'), T0);
        expect(first).toEqual({ config: blockConfig('grid', 'One'), version: 1, updatedAt: T0 });
        expect((await store.putBlock(blockConfig('grid', 'Two'), T0 + SECOND)).version).toBe(2);
        expect((await store.putBlock(blockConfig('other'), T0 + 2 * SECOND)).version).toBe(1);
        expect((await store.putBlock(blockConfig('grid', 'Three'), T0 + 3 * SECOND)).version).toBe(3);
        expect(await store.getBlock('grid')).toEqual({ config: blockConfig('grid', 'Three'), version: 3, updatedAt: T0 + 3 * SECOND });
        expect(await store.getBlock('other')).toEqual({ config: blockConfig('other'), version: 1, updatedAt: T0 + 2 * SECOND });
      });

      it('has no block for an unknown id', async () => {
        expect(await store.getBlock('nope')).toBeUndefined();
      });

      it('lists each block once, at its latest version', async () => {
        await store.putBlock(blockConfig('b'), T0);
        await store.putBlock(blockConfig('a', 'First'), T0);
        await store.putBlock(blockConfig('a', 'Second'), T0 + SECOND);
        const listed = (await store.listBlocks()).map((s) => [s.config.id, s.version, s.config.params.headline]);
        expect(listed.sort()).toEqual([
          ['a', 2, 'Second'],
          ['b', 1, 'Picked for you'],
        ]);
      });

      it('deletes a block, which is then neither read nor listed, and continues its versions when put again', async () => {
        await store.putBlock(blockConfig('grid', 'One'), T0);
        await store.putBlock(blockConfig('grid', 'Two'), T0);
        await store.putBlock(blockConfig('other'), T0);
        expect(await store.deleteBlock('grid')).toBe(true);
        expect(await store.getBlock('grid')).toBeUndefined();
        expect((await store.listBlocks()).map((b) => b.config.id)).toEqual(['other']);
        expect(await store.deleteBlock('grid')).toBe(false);
        expect(await store.deleteBlock('never')).toBe(false);
        // Renders are cached by block id and version: a new block under the old id must not reuse version 1.
        expect(await store.putBlock(blockConfig('grid', 'Again'), T0 + SECOND)).toEqual({ config: blockConfig('grid', 'Again'), version: 3, updatedAt: T0 + SECOND });
        expect((await store.getBlock('grid'))?.version).toBe(3);
      });

      it('keeps every version of a block as it was put, newest first, each readable by its number', async () => {
        await store.putBlock(blockConfig('grid', 'One'), T0);
        await store.putBlock(blockConfig('other'), T0 + SECOND);
        await store.putBlock(blockConfig('grid', 'Two'), T0 + 2 * SECOND);
        await store.putBlock(blockConfig('grid', 'Three'), T0 + 3 * SECOND);
        expect(await store.listBlockVersions('grid')).toEqual([
          { config: blockConfig('grid', 'Three'), version: 3, updatedAt: T0 + 3 * SECOND },
          { config: blockConfig('grid', 'Two'), version: 2, updatedAt: T0 + 2 * SECOND },
          { config: blockConfig('grid', 'One'), version: 1, updatedAt: T0 },
        ]);
        expect(await store.getBlockVersion('grid', 2)).toEqual({ config: blockConfig('grid', 'Two'), version: 2, updatedAt: T0 + 2 * SECOND });
        expect(await store.getBlockVersion('grid', 4)).toBeUndefined();
        expect(await store.getBlockVersion('never', 1)).toBeUndefined();
        expect(await store.listBlockVersions('never')).toEqual([]);
        expect((await store.listBlockVersions('other')).map((v) => v.version)).toEqual([1]);
      });

      it(`keeps the last ${BLOCK_VERSIONS_KEPT} versions of a block, and none of a deleted one`, async () => {
        for (let i = 1; i <= BLOCK_VERSIONS_KEPT + 2; i++) await store.putBlock(blockConfig('grid', `Headline ${i}`), T0 + i * SECOND);
        const kept = await store.listBlockVersions('grid');
        expect(kept).toHaveLength(BLOCK_VERSIONS_KEPT);
        expect(kept[0]?.version).toBe(BLOCK_VERSIONS_KEPT + 2);
        expect(kept.at(-1)?.version).toBe(3);
        expect(await store.getBlockVersion('grid', 2)).toBeUndefined();
        expect(await store.deleteBlock('grid')).toBe(true);
        expect(await store.listBlockVersions('grid')).toEqual([]);
        expect(await store.getBlockVersion('grid', BLOCK_VERSIONS_KEPT + 2)).toBeUndefined();
        // Put again, it continues its numbers with a history of one.
        await store.putBlock(blockConfig('grid', 'Again'), T0 + 100 * SECOND);
        expect((await store.listBlockVersions('grid')).map((v) => v.version)).toEqual([BLOCK_VERSIONS_KEPT + 3]);
      });
    });

    describe('TemplateStore: templates', () => {
      it('numbers the versions of each template 1, 2, 3 and lists the latest', async () => {
        expect(await store.putTemplate('grid', '<div>one</div>', T0)).toEqual({ name: 'grid', source: '<div>one</div>', version: 1, updatedAt: T0 });
        expect((await store.putTemplate('grid', '<div>two</div>', T0 + SECOND)).version).toBe(2);
        expect((await store.putTemplate('hero', '<div>hero</div>', T0 + 2 * SECOND)).version).toBe(1);
        expect((await store.putTemplate('grid', '<div>three</div>', T0 + 3 * SECOND)).version).toBe(3);
        expect(await store.getTemplate('grid')).toEqual({ name: 'grid', source: '<div>three</div>', version: 3, updatedAt: T0 + 3 * SECOND });
        expect(await store.getTemplate('missing')).toBeUndefined();
        const listed = (await store.listTemplates()).map((t) => [t.name, t.version, t.source]);
        expect(listed.sort()).toEqual([
          ['grid', 3, '<div>three</div>'],
          ['hero', 1, '<div>hero</div>'],
        ]);
      });

      it('deletes a template, which is then neither read nor listed, and continues its versions when put again', async () => {
        await store.putTemplate('grid', '<div>one</div>', T0);
        await store.putTemplate('grid', '<div>two</div>', T0);
        await store.putTemplate('hero', '<div>hero</div>', T0);
        expect(await store.deleteTemplate('grid')).toBe(true);
        expect(await store.getTemplate('grid')).toBeUndefined();
        expect((await store.listTemplates()).map((t) => t.name)).toEqual(['hero']);
        expect(await store.deleteTemplate('grid')).toBe(false);
        expect(await store.deleteTemplate('never')).toBe(false);
        expect((await store.putTemplate('grid', '<div>three</div>', T0 + SECOND)).version).toBe(3);
        expect((await store.getTemplate('grid'))?.source).toBe('<div>three</div>');
      });
    });

    describe('OpenRecordStore: open records', () => {
      const key: OpenKey = { blockId: 'grid', subjectKey: 'u:opener', messageId: 'campaign-1' };

      it('returns what the open showed, for its own block, subject and message only', async () => {
        const record: OpenRecord = { decision: decision(['red', 'blue']), renderedAt: T0 };
        await store.putOpenRecord(key, record, 3600);
        expect(await store.getOpenRecord(key, T0 + SECOND)).toEqual(record);
        expect(await store.getOpenRecord({ ...key, messageId: 'campaign-2' }, T0)).toBeUndefined();
        expect(await store.getOpenRecord({ ...key, subjectKey: 'u:someone-else' }, T0)).toBeUndefined();
        expect(await store.getOpenRecord({ ...key, blockId: 'other' }, T0)).toBeUndefined();
      });

      it('keeps every record of opens written at once, the last of each open, and reads one at once', async () => {
        // A send's opens write their records without waiting for each other.
        const writes = Array.from({ length: 40 }, (_, i) =>
          store.putOpenRecord({ ...key, subjectKey: `u:many-${i % 20}` }, { decision: decision([i < 20 ? 'red' : 'green']), renderedAt: T0 + i }, 3600),
        );
        expect(firstSlot((await store.getOpenRecord({ ...key, subjectKey: 'u:many-7' }, T0 + SECOND))?.decision)).toBe('green');
        await Promise.all(writes);
        for (let i = 0; i < 20; i++) expect((await store.getOpenRecord({ ...key, subjectKey: `u:many-${i}` }, T0 + SECOND))?.renderedAt).toBe(T0 + 20 + i);
      });

      it('deletes a record written just before its subject is deleted', async () => {
        const writing = store.putOpenRecord({ ...key, subjectKey: 'u:leaving' }, { decision: decision(['red']), renderedAt: T0 }, 3600);
        expect((await store.deleteSubject('u:leaving')).openRecords).toBe(1);
        await writing;
        expect(await store.getOpenRecord({ ...key, subjectKey: 'u:leaving' }, T0 + SECOND)).toBeUndefined();
      });

      it('replaces the record on a later open', async () => {
        await store.putOpenRecord(key, { decision: decision(['red']), renderedAt: T0 }, 3600);
        await store.putOpenRecord(key, { decision: decision(['green']), renderedAt: T0 + SECOND }, 3600);
        expect(((await store.getOpenRecord(key, T0 + 2 * SECOND))?.decision as GridDecision | undefined)?.slots[0]?.id).toBe('green');
      });

      it('forgets a record once its TTL from renderedAt has passed', async () => {
        await store.putOpenRecord(key, { decision: decision(['red']), renderedAt: T0 }, 3600);
        expect(await store.getOpenRecord(key, T0 + 3599 * SECOND)).toBeDefined();
        expect(await store.getOpenRecord(key, T0 + 3601 * SECOND)).toBeUndefined();
      });

      const firstSlot = (d: unknown) => (d as GridDecision).slots[0]?.id;

      it('gives every claim of a live open memo the first claim’s decision', async () => {
        expect(await store.claimOpenMemo(key, decision(['red']), T0, 30 * SECOND)).toEqual({ decision: decision(['red']), claimed: true });
        const second = await store.claimOpenMemo(key, decision(['green']), T0 + 29 * SECOND, 30 * SECOND);
        expect(second.claimed).toBe(false);
        expect(firstSlot(second.decision)).toBe('red');
      });

      it('keeps an open memo per block, subject and message, and only for its time', async () => {
        await store.claimOpenMemo(key, decision(['red']), T0, 30 * SECOND);
        for (const other of [
          { ...key, messageId: 'campaign-2' },
          { ...key, subjectKey: 'u:someone-else' },
          { ...key, blockId: 'other' },
        ]) {
          expect(await store.claimOpenMemo(other, decision(['green']), T0 + SECOND, 30 * SECOND)).toMatchObject({ claimed: true });
        }
        const later = await store.claimOpenMemo(key, decision(['blue']), T0 + 30 * SECOND, 30 * SECOND);
        expect(later.claimed).toBe(true);
        expect(firstSlot(later.decision)).toBe('blue');
        expect(firstSlot((await store.claimOpenMemo(key, decision(['red']), T0 + 31 * SECOND, 30 * SECOND)).decision)).toBe('blue');
      });

      it('lets exactly one of many concurrent claims decide', async () => {
        const colours = ['red', 'green', 'blue', 'cyan', 'plum', 'teal', 'gold', 'lime'];
        const claims = await Promise.all(colours.map((colour) => store.claimOpenMemo(key, decision([colour]), T0, 30 * SECOND)));
        expect(claims.filter((c) => c.claimed)).toHaveLength(1);
        const winner = firstSlot(claims.find((c) => c.claimed)?.decision);
        expect(new Set(claims.map((c) => firstSlot(c.decision)))).toEqual(new Set([winner]));
      });

      it('forgets a deleted subject’s open memos', async () => {
        await store.claimOpenMemo(key, decision(['red']), T0, 30 * SECOND);
        await store.deleteSubject(key.subjectKey);
        expect(await store.claimOpenMemo(key, decision(['green']), T0 + SECOND, 30 * SECOND)).toMatchObject({ claimed: true });
      });
    });

    describe('TrendingStore: trending', () => {
      const bump = (scope: string, productId: string, weight: number): TrendingIncrement => ({ scope, productId, weight });

      it('ranks products by decayed count, exactly as rankBuckets does', async () => {
        const plan: Array<[hoursAgo: number, TrendingIncrement[]]> = [
          [0, [bump('trending', 'fresh', 4), bump('trending', 'steady', 1)]],
          [0, [bump('trending', 'steady', 1)]],
          [5, [bump('trending', 'steady', 2), bump('trending', 'faded', 1)]],
          [30, [bump('trending', 'faded', 9), bump('trending', 'steady', 1)]],
          [100, [bump('trending', 'old-hit', 40)]],
          [TRENDING_WINDOW_HOURS - 1, [bump('trending', 'last-hour-in', 1000)]],
        ];
        for (const [hoursAgo, increments] of plan) await store.bumpTrending(increments, T0 - hoursAgo * HOUR);

        const buckets = plan.flatMap(([hoursAgo, increments]) => increments.map((inc) => ({ hour: hourOf(T0 - hoursAgo * HOUR), productId: inc.productId, count: inc.weight })));
        const expected = rankBuckets(buckets, hourOf(T0), 10);
        expect(expected).toHaveLength(5);
        expect(await store.topTrending('trending', T0, 10)).toEqual(expected);
      });

      it('puts a recent product above an older one with the same count', async () => {
        await store.bumpTrending([bump('trending', 'older', 5)], T0 - 48 * HOUR);
        await store.bumpTrending([bump('trending', 'recent', 5)], T0 - HOUR);
        expect(await store.topTrending('trending', T0, 10)).toEqual(['recent', 'older']);
      });

      it('adds up increments to the same product within an hour', async () => {
        const hourStart = hourOf(T0) * HOUR;
        await store.bumpTrending([bump('trending', 'many', 1), bump('trending', 'many', 1), bump('trending', 'one', 2)], hourStart);
        await store.bumpTrending([bump('trending', 'many', 1), bump('trending', 'even', 3)], hourStart + 59 * 60 * SECOND);
        expect(await store.topTrending('trending', hourStart + 59 * 60 * SECOND, 10)).toEqual(['even', 'many', 'one']);
      });

      it('ignores buckets older than the trending window', async () => {
        await store.bumpTrending([bump('trending', 'ancient', 1_000_000)], T0 - (TRENDING_WINDOW_HOURS + 1) * HOUR);
        await store.bumpTrending([bump('trending', 'current', 1)], T0);
        expect(await store.topTrending('trending', T0, 10)).toEqual(['current']);
        // The same buckets seen from further on: nothing left.
        expect(await store.topTrending('trending', T0 + (TRENDING_WINDOW_HOURS + 1) * HOUR, 10)).toEqual([]);
      });

      it('keeps scopes apart', async () => {
        await store.bumpTrending([bump('trending', 'a', 1), bump('trending:shoes', 'boot', 1), bump('bestsellers', 'sold', 2)], T0);
        expect(await store.topTrending('trending', T0, 10)).toEqual(['a']);
        expect(await store.topTrending('trending:shoes', T0, 10)).toEqual(['boot']);
        expect(await store.topTrending('bestsellers', T0, 10)).toEqual(['sold']);
        expect(await store.topTrending('trending:hats', T0, 10)).toEqual([]);
      });

      it('returns at most `limit` ids, best first', async () => {
        await store.bumpTrending(
          ['e', 'd', 'c', 'b', 'a'].map((id, i) => bump('trending', id, i + 1)),
          T0,
        );
        expect(await store.topTrending('trending', T0, 2)).toEqual(['a', 'b']);
        expect(await store.topTrending('trending', T0, 5)).toEqual(['a', 'b', 'c', 'd', 'e']);
      });
    });

    describe('NeighbourStore: co-occurrence neighbours', () => {
      const DAY = 24 * HOUR;
      const pair = (list: NeighbourList, a: string, b: string, at: number): NeighbourIncrement[] => [
        { list, productId: a, neighbourId: b, weight: decayedWeight(at) },
        { list, productId: b, neighbourId: a, weight: decayedWeight(at) },
      ];
      const ids = async (list: NeighbourList, product: string, now = T0) => ((await store.getNeighbours(list, [product], now)).get(product) ?? []).map((n) => n.id);

      it('ranks a product neighbours by how often they occurred together', async () => {
        await store.bumpNeighbours(
          [...pair('viewed_together', 'shirt', 'tie', T0), ...pair('viewed_together', 'shirt', 'tie', T0), ...pair('viewed_together', 'shirt', 'sock', T0)],
          T0,
        );
        const found = await store.getNeighbours('viewed_together', ['shirt', 'tie', 'nothing'], T0);
        expect(found.get('shirt')?.map((n) => n.id)).toEqual(['tie', 'sock']);
        expect(found.get('shirt')?.[0]?.score).toBeCloseTo(2, 9);
        expect(found.get('tie')?.map((n) => n.id)).toEqual(['shirt']);
        expect(found.has('nothing')).toBe(false);
      });

      it('decays scores: a co-occurrence one half-life old counts half', async () => {
        const then = T0 - NEIGHBOUR_HALF_LIFE_DAYS * DAY;
        await store.bumpNeighbours(
          [...pair('bought_together', 'a', 'old', then), ...pair('bought_together', 'a', 'old', then), ...pair('bought_together', 'a', 'old', then)],
          then,
        );
        await store.bumpNeighbours(pair('bought_together', 'a', 'new', T0), T0);
        const [old, fresh] = (await store.getNeighbours('bought_together', ['a'], T0)).get('a') ?? [];
        expect(old).toMatchObject({ id: 'old' });
        expect(old?.score).toBeCloseTo(1.5, 9);
        expect(fresh?.score).toBeCloseTo(1, 9);
        // Further on, each falls below the floor: the single recent pair first, then the old one counted thrice.
        expect(await ids('bought_together', 'a', T0 + 200 * DAY)).toEqual([]);
        expect(await ids('bought_together', 'a', T0 + 4.3 * NEIGHBOUR_HALF_LIFE_DAYS * DAY)).toEqual(['old']);
      });

      it('keeps lists apart', async () => {
        await store.bumpNeighbours([...pair('viewed_together', 'a', 'seen', T0), ...pair('bought_together', 'a', 'bought', T0)], T0);
        expect(await ids('viewed_together', 'a')).toEqual(['seen']);
        expect(await ids('bought_together', 'a')).toEqual(['bought']);
      });

      it(`keeps at most ${NEIGHBOURS_PER_PRODUCT} neighbours per product, the best, with ties broken as the core's rule says`, async () => {
        const increments: NeighbourIncrement[] = [];
        for (let i = 0; i < NEIGHBOURS_PER_PRODUCT + 20; i++) {
          const at = T0 - (i % 7) * DAY;
          increments.push({ list: 'viewed_together', productId: 'hub', neighbourId: `n${String(i).padStart(3, '0')}`, weight: decayedWeight(at) * (1 + (i % 3)) });
        }
        await store.bumpNeighbours(increments.slice(0, 40), T0);
        await store.bumpNeighbours(increments.slice(40), T0);
        const expected = rankedNeighbours(
          applyNeighbourIncrements(
            applyNeighbourIncrements(
              [],
              increments.slice(0, 40).map((i) => [i.neighbourId, i.weight] as const),
              T0,
            ),
            increments.slice(40).map((i) => [i.neighbourId, i.weight] as const),
            T0,
          ),
          T0,
        );
        const found = (await store.getNeighbours('viewed_together', ['hub'], T0)).get('hub') ?? [];
        expect(found).toHaveLength(NEIGHBOURS_PER_PRODUCT);
        expect(found.map((n) => n.id)).toEqual(expected.map((n) => n.id));
        for (const [i, n] of found.entries()) expect(n.score).toBeCloseTo(expected[i]?.score ?? Number.NaN, 12);
      });

      it('breaks equal scores the same way in every store', async () => {
        await store.bumpNeighbours(
          ['b', 'c', 'a', 'é', 'Z'].map((id) => ({ list: 'viewed_together', productId: 'p', neighbourId: id, weight: decayedWeight(T0) })),
          T0,
        );
        expect(await ids('viewed_together', 'p')).toEqual(['é', 'c', 'b', 'a', 'Z']);
      });
    });

    describe('CounterStore: counters', () => {
      it('adds increments up, per name', async () => {
        const before = await store.readCounters();
        await store.incrementCounters({ 'contract.opens': 2, 'contract.clicks': 1 });
        await store.incrementCounters({ 'contract.opens': 3 });
        await store.incrementCounters({});
        const after = await store.readCounters();
        expect((after['contract.opens'] ?? 0) - (before['contract.opens'] ?? 0)).toBe(5);
        expect((after['contract.clicks'] ?? 0) - (before['contract.clicks'] ?? 0)).toBe(1);
        expect(after['contract.never']).toBeUndefined();
      });

      it('loses no increment under concurrent callers', async () => {
        const before = (await store.readCounters())['contract.racing'] ?? 0;
        await Promise.all(Array.from({ length: 20 }, () => store.incrementCounters({ 'contract.racing': 1 })));
        expect(((await store.readCounters())['contract.racing'] ?? 0) - before).toBe(20);
      });
    });

    describeReportStore(() => store, T0);

    describe('subjectChanges: what changed a subject is heard', () => {
      /** Everything the store's feed tells, in order, until the test ends. */
      const heard = () => {
        const changes: Array<readonly string[] | 'all'> = [];
        const stop = store.subjectChanges?.subscribe((change) => changes.push(change));
        // `all` comes when a feed starts listening (and after a reconnection), whenever that is: only keys are compared.
        return { changes, keys: () => changes.flatMap((c) => (c === 'all' ? [] : [...c])), stop };
      };

      it('hears the subjects of applied events, and nothing for a batch of duplicates', async (context) => {
        if (!store.subjectChanges) return context.skip('a store that keeps no answers between requests has no feed (Workers)');
        const feed = heard();
        const first = added('sku-a', T0);
        await store.applyEvents(
          [
            { subjectKey: 'u:ann', events: [first] },
            { subjectKey: 'u:bob', events: [added('sku-b', T0)] },
          ],
          T0,
        );
        expect(feed.keys()).toEqual(['u:ann', 'u:bob']);
        const before = feed.keys().length;
        await apply('u:ann', [first]); // the same messageId again: a duplicate, nothing changed
        expect(feed.keys().length).toBe(before);
        feed.stop?.();
      });

      it('hears both keys of a link, the keys of a suppression and the key of a deletion', async (context) => {
        if (!store.subjectChanges) return context.skip('a store that keeps no answers between requests has no feed (Workers)');
        await apply('a:visitor', [added('sku-a', T0)]);
        const feed = heard();
        await store.linkSubject('a:visitor', 'u:carol', T0);
        await store.setSuppression(['u:dave', 'u:erin'], 'admin', T0);
        await store.setSuppression(['u:dave'], undefined, T0);
        await store.deleteSubject('u:carol');
        expect(feed.keys()).toEqual(['a:visitor', 'u:carol', 'u:dave', 'u:erin', 'u:dave', 'u:carol']);
        feed.stop?.();
      });

      it('is live once it listens, and tells nothing after unsubscribing', async (context) => {
        if (!store.subjectChanges) return context.skip('a store that keeps no answers between requests has no feed (Workers)');
        const feed = heard();
        for (let i = 0; i < 100 && !store.subjectChanges.live; i++) await new Promise((r) => setTimeout(r, 20));
        expect(store.subjectChanges.live).toBe(true);
        feed.stop?.();
        const count = feed.changes.length;
        await apply('u:frank', [added('sku-a', T0)]);
        await new Promise((r) => setTimeout(r, 50));
        expect(feed.changes.length).toBe(count);
      });
    });

    describe('life cycle: name, ping, close', () => {
      it('has a name and answers ping', async () => {
        expect(store.name).toEqual(expect.any(String));
        expect(store.name).not.toBe('');
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('refuses reads and writes once closed', async () => {
        const closing = await makeStore({});
        await closing.close();
        await expect(closing.ping()).rejects.toThrow();
        await expect(closing.getProfile('u:late')).rejects.toThrow();
        await expect(closing.applyEvents([{ subjectKey: 'u:late', events: [added('x', T0)] }], T0)).rejects.toThrow();
      });
    });
  });
  describeTriggerStore(name, () => makeStore({}), options.triggersNow ?? T0);
}
