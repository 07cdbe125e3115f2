import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { redisStore } from '../../src/adapters/store/redis.ts';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { nodeRuntime } from '../helpers/node-runtime.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { describeOptimize } from '../specs/optimize.spec.ts';

/** The optimize spec (test/specs/optimize.spec.ts) on Node, over memory, the embedded SQLite file and a real Redis. */
const dir = mkdtempSync(join(tmpdir(), 'opentime-optimize-'));
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});
let stores = 0;

describeOptimize(nodeRuntime());
describeOptimize(nodeRuntime({ storeName: 'sqlite', store: () => sqliteStore({ path: join(dir, `optimize-${++stores}.db`) }) }));
describeOptimize(nodeRuntime({ storeName: 'redis', store: () => redisStore({ url: redis.url, keyPrefix: `optimize-${++stores}:` }), startAt: () => Date.now() }));
