import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/adapters/store/memory.ts';
import type { Store } from '../../../src/core/ports.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { BLOCK_OF_EVERY_KIND } from '../../helpers/fixtures.ts';

/**
 * The open pipeline's rules that hold for every kind: one fallback chain,
 * one counting rule. Each case runs against a product grid, a hero and a
 * countdown through the whole app.
 */
/** One block of each kind (test/helpers/fixtures.ts): the compiler asks for one more when a kind is added. */
const BLOCKS = BLOCK_OF_EVERY_KIND;

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app whose store stops answering block reads when `down` is set (a fault a real store cannot be told to make on cue). */
async function appWithFlakyBlocks(): Promise<{ app: TestApp; down(): void }> {
  let failing = false;
  const store = memoryStore();
  const flaky: Store = { ...store, getBlock: (id) => (failing ? Promise.reject(new Error('store is down')) : store.getBlock(id)) };
  const created = await createTestApp({ store: flaky, config: { blockCacheMs: 1 } });
  return { app: created, down: () => (failing = true) };
}

async function counters(of: TestApp): Promise<Record<string, number>> {
  await of.settle();
  return (await (await of.admin('GET', '/v1/stats')).json()).counters;
}

describe.each(Object.entries(BLOCKS))('an open of a %s', (_kind, block) => {
  const id = block.id as string;

  it('is answered from the fallback chain, and counted as one open of a fallback, when the store fails', async () => {
    const flaky = await appWithFlakyBlocks();
    app = flaky.app;
    expect((await app.admin('PUT', `/v1/blocks/${id}`, block)).status).toBe(200);
    expect((await app.request(`/i/${id}.png?u=alice&m=m1`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = await counters(app);
    flaky.down();
    const response = await app.request(`/i/${id}.png?u=alice&m=m1`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(['static', 'last-generic']).toContain(response.headers.get('x-opentime-fallback'));
    const after = await counters(app);
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    expect({ opens: delta('opens'), fallback: delta('opens.fallback'), block: delta(`block.${id}.opens`) }).toEqual({ opens: 1, fallback: 1, block: 1 });
  });

  it('counts a person by the one rule: by requester class, as an open and as an open of its block', async () => {
    app = await createTestApp();
    expect((await app.admin('PUT', `/v1/blocks/${id}`, block)).status).toBe(200);
    await app.request(`/i/${id}.png?u=alice`, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } });
    await app.request(`/i/${id}.png?u=alice`, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' } });
    const seen = await counters(app);
    expect(seen['opens.by.person']).toBe(1);
    expect(seen['opens.by.gmail_proxy']).toBe(1);
    expect(seen.opens).toBe(2);
    expect(seen[`block.${id}.opens`]).toBe(2);
  });

  it('answers a GIF in GIF and a PNG in PNG, whatever it draws', async () => {
    app = await createTestApp();
    expect((await app.admin('PUT', `/v1/blocks/${id}`, block)).status).toBe(200);
    for (const format of ['png', 'gif']) {
      const response = await app.request(`/i/${id}.${format}`);
      expect(response.headers.get('content-type')).toBe(`image/${format}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(String.fromCharCode(...bytes.subarray(0, 3))).toBe(format === 'png' ? '\x89PN' : 'GIF');
    }
  });
});

describe('an open of a countdown to a fixed deadline', () => {
  it('reads nothing about its subscriber: the image is the same for everyone in that second', async () => {
    const store = memoryStore();
    const reads: string[] = [];
    const watched: Store = {
      ...store,
      getLinks: (keys) => (reads.push('getLinks'), store.getLinks(keys)),
      getSuppressions: (keys) => (reads.push('getSuppressions'), store.getSuppressions(keys)),
      getProfile: (key) => (reads.push('getProfile'), store.getProfile(key)),
      getOpenRecord: (key, now) => (reads.push('getOpenRecord'), store.getOpenRecord(key, now)),
    };
    app = await createTestApp({ store: watched });
    expect((await app.admin('PUT', '/v1/blocks/timer', BLOCKS.countdown)).status).toBe(200);
    const response = await app.request('/i/timer.gif?u=alice&m=m1', { headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Mobile/15E148' } });
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('x-opentime-fallback')).toBeNull();
    expect(reads).toEqual([]);
  });
});
