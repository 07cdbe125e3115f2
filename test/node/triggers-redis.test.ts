import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger } from '../helpers/app.ts';
import { startFakeEsp, type FakeEsp } from '../helpers/fake-esp.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

/**
 * Two opentime instances on one Redis, each polling for due episodes every
 * second: every episode is claimed by one of them and sent once.
 */
const WRITE_KEY = 'twins-write-key-0123456789';
const ADMIN_KEY = 'twins-admin-key-0123456789';
const SHOPPERS = 30;
let redis: RedisServer;
let esp: FakeEsp;
const servers: RunningServer[] = [];
const dataDirs: string[] = [];

async function instance(): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'opentime-trigger-twin-'));
  dataDirs.push(dataDir);
  const server = await startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_SECRET: 'twins-secret-0123456789abcdef',
      OPENTIME_DEMO: '0',
      OPENTIME_BLOCK_CACHE_SECONDS: '0',
      OPENTIME_PUBLIC_URL: 'https://live.example.com',
      OPENTIME_KLAVIYO_URL: esp.url,
      OPENTIME_KLAVIYO_API_KEY: 'pk_twins',
      REDIS_URL: redis.url,
    },
    logger: memoryLogger(),
  });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  [redis, esp] = await Promise.all([startRedisServer(), startFakeEsp()]);
  await Promise.all([instance(), instance()]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all([redis?.close(), esp?.close()]);
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe('triggers on two instances sharing one Redis', () => {
  it('sends each due episode once, whichever instance claims it', async () => {
    const [first, second] = servers as [RunningServer, RunningServer];
    const put = await fetch(`${first.url}/v1/triggers/cart`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ start: { event: 'Product Added' }, wait: { seconds: 2 }, destination: { type: 'klaviyo', metric: 'Cart Abandoned' } }),
    });
    expect(put.status).toBe(200);
    await Promise.all(
      Array.from({ length: SHOPPERS }, async (_, i) => {
        const response = await fetch(`${(i % 2 === 0 ? first : second).url}/v1/track`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `shopper-${i}`, event: 'Product Added', properties: { product_id: 'sku-1' } }),
        });
        expect(response.status).toBe(200);
      }),
    );
    const until = Date.now() + 20_000;
    while (esp.requests.length < SHOPPERS && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    // Both keep polling for a few more rounds: nothing more goes out.
    await new Promise((r) => setTimeout(r, 2500));
    expect(esp.requests).toHaveLength(SHOPPERS);
    const shoppers = esp.requests.map((r) => r.body.data.attributes.profile.data.attributes.external_id as string);
    expect(new Set(shoppers).size).toBe(SHOPPERS);
    expect(new Set(esp.requests.map((r) => r.body.data.attributes.unique_id)).size).toBe(SHOPPERS);
    const report = (await (await fetch(`${second.url}/v1/triggers/cart/report`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as Record<string, number>;
    expect(report).toMatchObject({ started: SHOPPERS, fired: SHOPPERS, sent: SHOPPERS });
  });
});
