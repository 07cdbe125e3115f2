/**
 * Run by test/fuzz/memory.test.ts as `node --expose-gc test/fuzz/heap-probe.ts`:
 * the app (routes, caches, limiters, counters) answers the same few hundred
 * hostile requests round after round, and the heap is measured after a full
 * collection at the end of each round. A leak grows with every round; a
 * bounded cache fills in the first rounds and then stays. The store keeps
 * nothing it is given (events, open records, counters), so that what is
 * measured is the app's own memory, not the data a real store would keep.
 * Prints one JSON line per round on stdout.
 */
import fc from 'fast-check';
import { getHeapSpaceStatistics } from 'node:v8';
import { memoryStore } from '../../src/adapters/store/memory.ts';
import type { Store } from '../../src/core/ports.ts';
import { WRITE_KEY, createTestApp } from '../helpers/app.ts';
import { bodies, gzipBomb, headers, pathSegment, queryString, sendableHeaders, type Body } from './arbitraries.ts';

const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 8);
const REQUESTS = Number(process.env.PROBE_REQUESTS ?? 400);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

/** The memory store, except that writes are acknowledged and forgotten. */
function forgetfulStore(): Store {
  const real = memoryStore();
  const forget: Partial<Store> = {
    async applyEvents(groups) {
      return { applied: groups.flatMap((g) => g.events.map((e) => e.messageId)), duplicates: [] };
    },
    async putOpenRecord() {},
    async incrementCounters() {},
    async bumpTrending() {},
    async linkSubject() {},
    async setSuppression() {},
  };
  return { ...real, ...forget } as Store;
}

interface Probe {
  path: string;
  init: RequestInit;
}

const BOMB = gzipBomb(8);
const basic = `Basic ${btoa(`${WRITE_KEY}:`)}`;
const toInit = (method: string, body: Body, extra: Record<string, string>): RequestInit => ({
  method,
  headers: { ...extra, ...(body.encoding ? { 'content-encoding': body.encoding } : {}) },
  body: body.bytes as BodyInit,
});
const probe: fc.Arbitrary<Probe> = fc.oneof(
  fc
    .tuple(fc.oneof(fc.constantFrom('grid.png', 'hero.png', 'grid.gif', 'nope.png'), pathSegment), queryString, headers)
    .map(([file, query, h]) => ({ path: `/i/${file}?${query}`, init: { headers: sendableHeaders(h) } })),
  fc.tuple(pathSegment, queryString).map(([file, query]) => ({ path: `/o/${file}.gif?${query}`, init: {} })),
  fc.tuple(queryString).map(([query]) => ({ path: `/v1/p.gif?writeKey=${WRITE_KEY}&event=x&userId=a&${query}`, init: {} })),
  fc
    .tuple(fc.constantFrom('/v1/track', '/v1/batch', '/v1/identify'), bodies(BOMB))
    .map(([path, body]) => ({ path, init: toInit('POST', body, { authorization: basic, 'content-type': 'application/json' }) })),
  fc
    .tuple(fc.constantFrom('grid', 'nope'), fc.constantFrom('0', '1', 'x'), queryString)
    .map(([block, slot, query]) => ({ path: `/c/${block}/${slot}?${query}`, init: { redirect: 'manual' as const } })),
  fc.tuple(pathSegment, queryString).map(([segment, query]) => ({ path: `/${segment}/${segment}?${query}`, init: {} })),
);

const app = await createTestApp({ store: forgetfulStore(), config: { rateLimits: { opensPerMinute: 60, eventsPerSecond: 1000 } } });
const hero = {
  kind: 'hero',
  size: { width: 300, height: 150 },
  fallback: { url: 'https://shop.example.com/' },
  variants: [{ id: 'vip', when: { '==': [{ var: 'params.tier' }, 'vip'] }, headline: 'VIP', url: 'https://shop.example.com/vip', background: { color: '#225522' } }],
  default: { id: 'default', headline: 'New season', url: 'https://shop.example.com/', background: { color: '#faf0c8' } },
};
await app.admin('PUT', '/v1/blocks/hero', hero);
await app.admin('PUT', '/v1/blocks/grid', {
  template: 'product-grid',
  size: { width: 600, height: 300 },
  slots: 3,
  source: [{ from: 'cart' }],
  fallback: { url: 'https://shop.example.com/' },
});

const requests = fc.sample(probe, { numRuns: REQUESTS, seed: 20261124 });
for (let round = 0; round < ROUNDS; round++) {
  for (const { path, init } of requests) {
    const response = await app.request(path, init);
    if (response.status >= 500) throw new Error(`${response.status} for ${path.slice(0, 200)}`);
    await response.arrayBuffer();
  }
  await app.settle();
  // The test logger keeps every line for assertions; a server's logger writes them out.
  app.logger.lines.length = 0;
  gc();
  gc();
  const memory = process.memoryUsage();
  // Objects only: compiled code and bytecode (code and trusted spaces) keep growing for a while as V8 optimises hot paths.
  const objects = getHeapSpaceStatistics()
    .filter((space) => !/code|trusted|read_only/.test(space.space_name))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  const { limits } = app.opentime.services;
  process.stdout.write(
    `${JSON.stringify({ round, objects, heapUsed: memory.heapUsed, arrayBuffers: memory.arrayBuffers, subscriberBuckets: limits.subscriber?.size ?? 0, keyBuckets: limits.apiKey?.size ?? 0 })}\n`,
  );
}
await app.close();
