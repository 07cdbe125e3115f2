import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/ports.ts';
import type { Episode, SendRecord } from '../../src/core/triggers/episode.ts';
import { triggerSchema, type TriggerConfig } from '../../src/core/triggers/schema.ts';

/**
 * The TriggerStore section of the store contract (called by describeStore
 * in contract.ts, so it runs against every store on both runtimes). Same
 * rules: only the interface, a fresh store per test, times passed in.
 */
export const triggerConfig = (id: string, metric = 'Cart Abandoned'): TriggerConfig =>
  triggerSchema.parse({ id, start: { event: 'Product Added' }, wait: { minutes: 60 }, destination: { type: 'klaviyo', metric } });

export function episode(triggerId: string, subjectKey: string, dueAt: number, id = crypto.randomUUID()): Episode {
  return { id, triggerId, subjectKey, startedAt: dueAt - 60_000, dueAt, attempts: 0, facts: { event: 'Product Added', product_id: 'sku-1' } };
}

const send = (e: Episode, at: number, dryRun = false): SendRecord => ({
  episodeId: e.id,
  triggerId: e.triggerId,
  subjectKey: e.subjectKey,
  at,
  dryRun,
  destination: 'klaviyo',
  request: { method: 'POST', url: 'https://a.klaviyo.com/api/events', headers: { revision: '2024-10-15' }, body: { data: { type: 'event' } } },
});

export function describeTriggerStore(name: string, makeStore: () => Promise<Store> | Store, T0: number): void {
  describe(`TriggerStore: triggers, episodes and due times, sends, dead letters, interest (${name})`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('keeps trigger definitions with versions that continue after a delete', async () => {
      expect(await store.getTrigger('cart')).toBeUndefined();
      expect((await store.putTrigger(triggerConfig('cart'), T0)).version).toBe(1);
      expect(await store.putTrigger(triggerConfig('cart', 'Again'), T0 + 1)).toEqual({ config: triggerConfig('cart', 'Again'), version: 2, updatedAt: T0 + 1 });
      await store.putTrigger(triggerConfig('browse'), T0);
      expect((await store.listTriggers()).map((t) => t.config.id)).toEqual(['browse', 'cart']);
      expect(await store.deleteTrigger('cart')).toBe(true);
      expect(await store.deleteTrigger('cart')).toBe(false);
      expect(await store.getTrigger('cart')).toBeUndefined();
      expect((await store.listTriggers()).map((t) => t.config.id)).toEqual(['browse']);
      expect((await store.putTrigger(triggerConfig('cart'), T0)).version).toBe(3);
    });

    it('opens one episode per trigger and subscriber, and gives it back as it was opened', async () => {
      const first = episode('cart', 'u:anna', T0 + 60_000);
      expect(await store.openEpisode(first)).toBe(true);
      expect(await store.openEpisode(episode('cart', 'u:anna', T0 + 120_000))).toBe(false);
      expect(await store.openEpisode(episode('browse', 'u:anna', T0))).toBe(true);
      expect(await store.getEpisode('cart', 'u:anna')).toEqual(first);
      expect(await store.getEpisode('cart', 'u:bob')).toBeUndefined();
      expect(await store.nextDueAt()).toBe(T0);
    });

    it('closes an episode only with its own id when an id is given', async () => {
      const open = episode('cart', 'u:anna', T0);
      await store.openEpisode(open);
      expect(await store.closeEpisode('cart', 'u:anna', 'some-other-episode')).toBeUndefined();
      expect(await store.closeEpisode('cart', 'u:anna', open.id)).toEqual(open);
      expect(await store.getEpisode('cart', 'u:anna')).toBeUndefined();
      expect(await store.closeEpisode('cart', 'u:anna')).toBeUndefined();
      expect(await store.nextDueAt()).toBeUndefined();
      // Closed, the slot takes a new episode.
      expect(await store.openEpisode(episode('cart', 'u:anna', T0))).toBe(true);
    });

    it('claims only what is due, earliest first, and pushes each past its lease', async () => {
      const late = episode('cart', 'u:late', T0 + 10_000);
      const early = episode('cart', 'u:early', T0 - 5000);
      const now = episode('cart', 'u:now', T0);
      for (const e of [late, now, early]) await store.openEpisode(e);
      const claimed = await store.claimDueEpisodes(T0, 10, 60_000);
      expect(claimed.map((e) => e.subjectKey)).toEqual(['u:early', 'u:now']);
      expect(claimed.every((e) => e.dueAt === T0 + 60_000)).toBe(true);
      expect(await store.claimDueEpisodes(T0 + 1000, 10, 60_000)).toEqual([]);
      expect((await store.getEpisode('cart', 'u:early'))?.dueAt).toBe(T0 + 60_000);
      // A claimer that died gives them back when the lease ends, to the next one.
      const again = await store.claimDueEpisodes(T0 + 60_000, 10, 60_000);
      expect(again.map((e) => e.subjectKey).sort()).toEqual(['u:early', 'u:late', 'u:now']);
    });

    it('claims a limited number at a time', async () => {
      for (let i = 0; i < 5; i++) await store.openEpisode(episode('cart', `u:s${i}`, T0 - i));
      expect(await store.claimDueEpisodes(T0, 2, 1000)).toHaveLength(2);
      expect(await store.claimDueEpisodes(T0, 10, 1000)).toHaveLength(3);
    });

    it('gives every due episode to exactly one of many claimers racing for it', async () => {
      for (let i = 0; i < 20; i++) await store.openEpisode(episode('cart', `u:race-${i}`, T0));
      const rounds = await Promise.all(Array.from({ length: 8 }, () => store.claimDueEpisodes(T0, 5, 60_000)));
      const ids = rounds.flat().map((e) => e.subjectKey);
      expect(new Set(ids).size).toBe(ids.length);
      const rest = await store.claimDueEpisodes(T0, 100, 60_000);
      expect(ids.length + rest.length).toBe(20);
    });

    it('reschedules an open episode with its attempts, and refuses one that was closed or replaced', async () => {
      const open = episode('cart', 'u:anna', T0);
      await store.openEpisode(open);
      expect(await store.rescheduleEpisode({ ...open, dueAt: T0 + 30_000, attempts: 2, timed: true })).toBe(true);
      expect(await store.getEpisode('cart', 'u:anna')).toEqual({ ...open, dueAt: T0 + 30_000, attempts: 2, timed: true });
      expect(await store.claimDueEpisodes(T0 + 29_999, 10, 1000)).toEqual([]);
      expect((await store.claimDueEpisodes(T0 + 30_000, 10, 1000))[0]?.attempts).toBe(2);
      await store.closeEpisode('cart', 'u:anna');
      expect(await store.rescheduleEpisode({ ...open, dueAt: T0 })).toBe(false);
      expect(await store.getEpisode('cart', 'u:anna')).toBeUndefined();
    });

    it('records a send once per episode, for the cap and in the trigger\u2019s recent list', async () => {
      const a = episode('cart', 'u:anna', T0);
      const b = episode('cart', 'u:anna', T0 + 1000);
      expect(await store.recordSend(send(a, T0))).toBe(true);
      expect(await store.recordSend(send(a, T0 + 5))).toBe(false);
      expect(await store.recordSend(send(b, T0 + 1000, true))).toBe(true);
      await store.recordSend(send(episode('cart', 'u:bob', T0), T0 + 2000));
      expect((await store.sendsOf('cart', 'u:anna', T0)).map((s) => s.episodeId)).toEqual([b.id, a.id]);
      expect((await store.sendsOf('cart', 'u:anna', T0 + 1)).map((s) => s.episodeId)).toEqual([b.id]);
      expect(await store.sendsOf('browse', 'u:anna', 0)).toEqual([]);
      const recent = await store.recentSends('cart', 10);
      expect(recent.map((s) => s.subjectKey)).toEqual(['u:bob', 'u:anna', 'u:anna']);
      expect(recent[1]).toEqual(send(b, T0 + 1000, true));
      expect(await store.recentSends('cart', 1)).toHaveLength(1);
    });

    it('keeps dead letters oldest first until one is taken', async () => {
      const first = { id: 'e1', episode: episode('cart', 'u:anna', T0), failedAt: T0, status: 400, error: 'HTTP 400: bad metric' };
      const second = { id: 'e2', episode: episode('cart', 'u:bob', T0), failedAt: T0 + 1, error: 'no answer' };
      await store.putDeadLetter(second);
      await store.putDeadLetter(first);
      expect(await store.listDeadLetters(10)).toEqual([first, second]);
      expect(await store.listDeadLetters(1)).toEqual([first]);
      expect(await store.takeDeadLetter('e1')).toEqual(first);
      expect(await store.takeDeadLetter('e1')).toBeUndefined();
      expect(await store.listDeadLetters(10)).toEqual([second]);
    });

    it('remembers the latest interest of each subscriber in a product, newest first', async () => {
      await store.noteInterest([
        { productId: 'sku-1', subjectKey: 'u:anna', kind: 'viewed', at: T0 - 3000 },
        { productId: 'sku-1', subjectKey: 'u:bob', kind: 'carted', at: T0 - 2000 },
        { productId: 'sku-2', subjectKey: 'u:anna', kind: 'viewed', at: T0 },
      ]);
      await store.noteInterest([{ productId: 'sku-1', subjectKey: 'u:anna', kind: 'carted', at: T0 - 1000 }]);
      const interested = await store.interestIn('sku-1', T0 - 10_000, 10);
      expect(interested.map((i) => [i.subjectKey, i.kind, i.at])).toEqual([
        ['u:anna', 'carted', T0 - 1000],
        ['u:bob', 'carted', T0 - 2000],
      ]);
      expect((await store.interestIn('sku-1', T0 - 1500, 10)).map((i) => i.subjectKey)).toEqual(['u:anna']);
      expect(await store.interestIn('sku-1', T0 - 10_000, 1)).toHaveLength(1);
      expect(await store.interestIn('sku-9', 0, 10)).toEqual([]);
    });
  });
}
