import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import { redisStore } from '../../src/adapters/store/redis.ts';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { createSubjectKeyer } from '../../src/core/audience/subjects.ts';
import { ingestEvents } from '../../src/core/events/ingest.ts';
import { normalizeEvent } from '../../src/core/events/normalize.ts';
import type { Store } from '../../src/core/ports.ts';
import { NEIGHBOUR_LISTS } from '../../src/core/recommend/neighbours.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

/**
 * The same events, ingested in the same batches, give the same neighbour
 * lists in every Node store, score for score (the Durable Object store runs
 * the same rule, checked by the contract suite inside workerd). The stream is
 * seeded: sessions of views with gaps, orders of several products, a retried
 * batch, and out-of-order deliveries.
 */
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
});

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

function stream(now: number) {
  const next = random(18);
  const batches: unknown[][] = [];
  let id = 0;
  for (let shopper = 0; shopper < 40; shopper++) {
    let at = now - 20 * 86_400_000 + Math.floor(next() * 86_400_000);
    const batch: unknown[] = [];
    for (let step = 0; step < 12; step++) {
      at += next() < 0.2 ? 3 * 3_600_000 : Math.floor(next() * 600_000);
      const product = `p${Math.floor(next() * 15)}`;
      const order = next() < 0.15;
      batch.push({
        type: 'track',
        userId: `u${shopper}`,
        messageId: `m${++id}`,
        timestamp: new Date(at).toISOString(),
        event: order ? 'Order Completed' : 'Product Viewed',
        properties: order ? { order_id: `o${id}`, products: [product, `p${Math.floor(next() * 15)}`, 'p0'].map((product_id) => ({ product_id })) } : { product_id: product },
      });
    }
    // Delivered in two batches, the later half first; the first half sent twice (a retry).
    batches.push(batch.slice(6), batch.slice(0, 6), batch.slice(0, 6));
  }
  return batches;
}

async function replay(store: Store, now: number) {
  const keyer = createSubjectKeyer('agreement-secret');
  for (const batch of stream(now)) {
    const events = batch.map((raw) => normalizeEvent(raw, undefined, now));
    await ingestEvents({ store, keyer }, events, now);
  }
  const lists: Record<string, unknown> = {};
  for (const list of NEIGHBOUR_LISTS) {
    const found = await store.getNeighbours(
      list,
      Array.from({ length: 15 }, (_, i) => `p${i}`),
      now,
    );
    lists[list] = Object.fromEntries([...found].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  await store.close();
  return lists;
}

describe('neighbour lists in every store', () => {
  it('are the same, score for score, for the same events', async () => {
    const now = Date.now();
    const memory = await replay(memoryStore(), now);
    const sqlite = await replay(sqliteStore({ path: ':memory:' }), now);
    const onRedis = await replay(redisStore({ url: redis.url, keyPrefix: `agree-${now}:` }), now);
    expect(Object.keys(memory.viewed_together as object).length).toBeGreaterThan(10);
    expect(Object.keys(memory.bought_together as object).length).toBeGreaterThan(5);
    expect(sqlite).toEqual(memory);
    expect(onRedis).toEqual(memory);
  });
});
