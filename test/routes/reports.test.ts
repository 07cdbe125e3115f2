import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { redisStore } from '../../src/adapters/store/redis.ts';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { nodeRuntime } from '../helpers/node-runtime.ts';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';
import { describeReports } from '../specs/reports.spec.ts';

/**
 * The reports spec (test/specs/reports.spec.ts) on Node, over each store a
 * Node server runs on: memory, the embedded SQLite file, and a real Redis.
 */
const dir = mkdtempSync(join(tmpdir(), 'opentime-reports-'));
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});
let stores = 0;

describeReports(nodeRuntime());
describeReports(nodeRuntime({ storeName: 'sqlite', store: () => sqliteStore({ path: join(dir, `reports-${++stores}.db`) }) }));
describeReports(nodeRuntime({ storeName: 'redis', store: () => redisStore({ url: redis.url, keyPrefix: `reports-${++stores}:` }), startAt: () => Date.now() }));
