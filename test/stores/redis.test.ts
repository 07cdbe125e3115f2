import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisClient } from '../../src/adapters/store/redis.ts';
import { DEDUPE_WINDOW_SECONDS } from '../../src/core/events/limits.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { added, blockConfig, describeStore, product } from './contract.ts';

/**
 * The Redis store against real servers of the test's own: a standalone one,
 * and a one-node cluster, where Redis refuses any command or script whose
 * keys are in different slots (as a real cluster does). Each test gets a
 * fresh key prefix.
 */
let standalone: RedisServer;
let cluster: RedisServer;
beforeAll(async () => {
  [standalone, cluster] = await Promise.all([startRedisServer(), startRedisServer({ cluster: true })]);
});
afterAll(async () => {
  await Promise.all([standalone?.close(), cluster?.close()]);
});

let prefixes = 0;
const freshPrefix = () => `test-${++prefixes}:`;
// The store turns `now` into absolute expiries (PXAT, PEXPIREAT) on a real clock: test around the real now.
const T0 = Date.now();

describeStore('redis', (setup) => redisStore({ url: standalone.url, keyPrefix: freshPrefix(), ...setup }), { now: T0 });
describeStore('redis cluster', (setup) => redisStore({ cluster: [{ host: '127.0.0.1', port: cluster.port }], keyPrefix: freshPrefix(), ...setup }), { now: T0 });

/** A client that counts what goes to Redis: each command, and each MULTI … EXEC, is one round trip. */
function countingClient(inner: Redis): { client: RedisClient; trips: () => number } {
  let trips = 0;
  const client: RedisClient = {
    get status() {
      return inner.status;
    },
    call: (command, ...args) => {
      trips++;
      return inner.call(command, ...args);
    },
    multi: (commands) => ({
      exec: () => {
        trips++;
        return inner.multi(commands).exec();
      },
    }),
    on: (event: 'error' | 'ready' | 'close', listener: (error: Error) => void) => inner.on(event, listener),
    off: (event: 'error' | 'ready' | 'close', listener: (error: Error) => void) => inner.off(event, listener),
    quit: () => inner.quit(),
    disconnect: () => inner.disconnect(),
  };
  return { client, trips: () => trips };
}

const apply = (store: ReturnType<typeof redisStore>, subjectKey: string, events: ReturnType<typeof added>[], now = T0) => store.applyEvents([{ subjectKey, events }], now);

describe('redis store', () => {
  it('keeps every key of a subject in one cluster slot, odd subject keys included', async () => {
    const keyPrefix = freshPrefix();
    const store = redisStore({ cluster: [{ host: '127.0.0.1', port: cluster.port }], keyPrefix, retentionSeconds: 3600 });
    const admin = new Redis(cluster.port, '127.0.0.1');
    try {
      for (const subject of ['u:slotted', 'u:we{ird}id', 'a:}{']) {
        await store.linkSubject(`a:device-of-${subject}`, subject, T0);
        await apply(store, subject, [added('sku-a')]);
        await store.putOpenRecord(
          { blockId: 'grid', subjectKey: subject, messageId: 'm{1}' },
          { decision: { blockId: 'grid', blockVersion: 1, personal: true, slots: [] }, renderedAt: T0 },
          3600,
        );
        await store.linkSubject(subject, `u:next-of-${subject}`, T0);
      }
      const written = (await admin.keys(`${keyPrefix}*`)).filter((k) => k.includes('slotted') || k.includes('ird') || k.includes('}{'));
      const slotsBySubject = new Map<string, Set<number>>();
      for (const subject of ['u:slotted', 'u:we{ird}id', 'a:}{']) {
        const own = written.filter((k) => k.startsWith(`${keyPrefix}{${subject}}`));
        // link, linked-from, opens, one open record, and the profile and dedupe entries until they moved on.
        expect(own.length, subject).toBeGreaterThanOrEqual(4);
        slotsBySubject.set(subject, new Set(await Promise.all(own.map(async (k) => Number(await admin.call('cluster', 'keyslot', k))))));
      }
      for (const [subject, slots] of slotsBySubject) expect(slots.size, subject).toBe(1);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('pages through a catalog written before the id index existed, and keeps the index in step after', async () => {
    const keyPrefix = freshPrefix();
    const store = redisStore({ cluster: [{ host: '127.0.0.1', port: cluster.port }], keyPrefix });
    const admin = new Redis(cluster.port, '127.0.0.1');
    try {
      // An older opentime kept products in the hash only.
      await admin.hset(`${keyPrefix}{catalog}:products`, ...['c', 'a', 'b'].flatMap((id) => [id, JSON.stringify(product(id))]));
      expect((await store.listProducts(2)).map((p) => p.id)).toEqual(['a', 'b']);
      expect((await store.listProducts(2, 'b')).map((p) => p.id)).toEqual(['c']);
      await store.deleteProducts(['a']);
      await store.putProducts([product('d')], T0);
      expect((await store.listProducts(10)).map((p) => p.id)).toEqual(['b', 'c', 'd']);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('loses no Product Added when two clients apply events for the same subscriber at once', async () => {
    const keyPrefix = freshPrefix();
    const first = redisStore({ url: standalone.url, keyPrefix });
    const second = redisStore({ url: standalone.url, keyPrefix });
    try {
      const events = Array.from({ length: 50 }, (_, i) => added(`sku-${i}`, T0 + i));
      const results = await Promise.all(events.map((event, i) => apply(i % 2 === 0 ? first : second, 'u:contended', [event], T0 + i)));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(events.map((e) => e.messageId).sort());
      const cart = (await first.getProfile('u:contended'))?.cart.map((line) => line.id).sort();
      expect(cart).toEqual(events.map((_, i) => `sku-${i}`).sort());
      expect(await second.getProfile('u:contended')).toEqual(await first.getProfile('u:contended'));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('applies a batch in a bounded number of round trips: two per subject, whatever the number of events', async () => {
    const inner = new Redis(standalone.url);
    const { client, trips } = countingClient(inner);
    const store = redisStore({ client, keyPrefix: freshPrefix(), retentionSeconds: 3600 });
    try {
      // Loads the scripts into the server, so that nothing below is a first-time EVAL.
      await apply(store, 'u:warm-up', [added('sku')]);

      const before = trips();
      const result = await apply(
        store,
        'u:one-big-batch',
        Array.from({ length: 100 }, (_, i) => added(`sku-${i}`)),
      );
      expect(result.applied).toHaveLength(100);
      expect(trips() - before).toBe(2);

      const spread = Array.from({ length: 10 }, (_, s) => ({ subjectKey: `u:spread-${s}`, events: Array.from({ length: 10 }, (_, i) => added(`sku-${s}-${i}`)) }));
      const beforeSpread = trips();
      const spreadResult = await store.applyEvents(spread, T0);
      expect(spreadResult.applied).toHaveLength(100);
      expect(trips() - beforeSpread).toBe(2 * spread.length);
    } finally {
      await store.close();
      inner.disconnect();
    }
  });

  it('gives the profile the retention period, refreshed at every write, and dedupe entries the dedupe window', async () => {
    const keyPrefix = freshPrefix();
    const store = redisStore({ url: standalone.url, keyPrefix, retentionSeconds: 7200 });
    const admin = new Redis(standalone.url);
    try {
      await apply(store, 'u:kept', [added('sku-a')]);
      await admin.expire(`${keyPrefix}{u:kept}:profile`, 10);
      await apply(store, 'u:kept', [added('sku-b')]);
      expect(await admin.ttl(`${keyPrefix}{u:kept}:profile`)).toBeGreaterThan(7100);
      const dedupeTtl = await admin.ttl(`${keyPrefix}{u:kept}:applied`);
      expect(dedupeTtl).toBeGreaterThan(DEDUPE_WINDOW_SECONDS - 100);
      expect(dedupeTtl).toBeLessThanOrEqual(DEDUPE_WINDOW_SECONDS);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('lets Redis drop open records, their index and trending buckets when they expire', async () => {
    const keyPrefix = freshPrefix();
    const store = redisStore({ url: standalone.url, keyPrefix });
    const admin = new Redis(standalone.url);
    try {
      const now = Date.now();
      const decision = { blockId: 'grid', blockVersion: 1, personal: true, slots: [] };
      await store.putOpenRecord({ blockId: 'grid', subjectKey: 'u:opener', messageId: 'short' }, { decision, renderedAt: now }, 60);
      await store.putOpenRecord({ blockId: 'grid', subjectKey: 'u:opener', messageId: 'long' }, { decision, renderedAt: now }, 3600);
      expect(await admin.pexpiretime(`${keyPrefix}{u:opener}:open:["grid","short"]`)).toBe(now + 60_000);
      expect(await admin.pexpiretime(`${keyPrefix}{u:opener}:opens`)).toBe(now + 3_600_000);

      await store.bumpTrending([{ scope: 'trending', productId: 'p1', weight: 1 }], now);
      const hour = Math.floor(now / 3_600_000);
      expect(await admin.pexpiretime(`${keyPrefix}{trending:trending}:${hour}`)).toBe((hour + 7 * 24) * 3_600_000);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it('tells every instance sharing the Redis what changed a subject, and `all` when it may have missed some', async () => {
    const keyPrefix = freshPrefix();
    const first = redisStore({ url: standalone.url, keyPrefix });
    const second = redisStore({ url: standalone.url, keyPrefix });
    const other = redisStore({ url: standalone.url, keyPrefix: freshPrefix() });
    const admin = new Redis(standalone.url);
    const heard: Array<readonly string[] | 'all'> = [];
    const elsewhere: Array<readonly string[] | 'all'> = [];
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(done()).toBe(true);
    };
    try {
      second.subjectChanges?.subscribe((change) => heard.push(change));
      other.subjectChanges?.subscribe((change) => elsewhere.push(change));
      await until(() => second.subjectChanges?.live === true && other.subjectChanges?.live === true);
      heard.length = 0;
      await apply(first, 'u:ann', [added('sku-a')]);
      await first.setSuppression(['u:bob'], 'admin', Date.now());
      await until(() => heard.length >= 2);
      expect(heard).toEqual([['u:ann'], ['u:bob']]);
      // Another deployment's prefix is another channel.
      expect(elsewhere.filter((c) => c !== 'all')).toEqual([]);

      // The listening connection is cut: nothing heard meanwhile can be trusted, so the feed says `all` and is not live until it listens again.
      heard.length = 0;
      await admin.call('client', 'kill', 'type', 'pubsub');
      await until(() => heard.includes('all'));
      await until(() => second.subjectChanges?.live === true);
      heard.length = 0;
      await first.linkSubject('a:visitor', 'u:carol', Date.now());
      await until(() => heard.some((c) => c !== 'all'));
      expect(heard.filter((c) => c !== 'all')).toEqual([['a:visitor', 'u:carol']]);
    } finally {
      admin.disconnect();
      await Promise.all([first.close(), second.close(), other.close()]);
    }
  });

  it('serves blocks, products and counters written through one instance to another', async () => {
    const keyPrefix = freshPrefix();
    const first = redisStore({ url: standalone.url, keyPrefix });
    const second = redisStore({ url: standalone.url, keyPrefix });
    try {
      await first.putBlock(blockConfig('shared', 'One'), T0);
      await second.putBlock(blockConfig('shared', 'Two'), T0 + 1);
      expect(await first.getBlock('shared')).toEqual({ config: blockConfig('shared', 'Two'), version: 2, updatedAt: T0 + 1 });
      await first.putProducts([product('p1')], T0);
      expect((await second.getProducts(['p1'])).get('p1')).toEqual(product('p1'));
      await Promise.all([first.incrementCounters({ opens: 2 }), second.incrementCounters({ opens: 3 })]);
      expect((await first.readCounters()).opens).toBe(5);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('leaves a client it was given open when it closes, and says where its errors come from', async () => {
    const client = new Redis(standalone.url);
    const store = redisStore({ client, keyPrefix: freshPrefix() });
    await store.ping();
    await store.close();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await expect(store.getProfile('u:late')).rejects.toThrow(/^\[opentime\] \[redis\] getProfile/);
    expect(() => redisStore({ url: 'http://example.com' })).toThrow('[opentime] [redis] expected a redis:// or rediss:// URL');
  });
});
