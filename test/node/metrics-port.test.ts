import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/node.ts';
import { memoryLogger } from '../helpers/app.ts';

/** OPENTIME_METRICS_PORT: /metrics on its own port without a key, and nothing else there. */
let server: RunningServer;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-metrics-'));
  server = await startServer({
    env: { PORT: '0', OPENTIME_METRICS_PORT: '0', OPENTIME_DATA_DIR: dataDir, OPENTIME_ADMIN_KEY: 'metrics-admin-key-0123456789', OPENTIME_DEMO: '0' },
    logger: memoryLogger(),
  });
});
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('serves /metrics without a key on the metrics port, and only /metrics', async () => {
  expect(server.metricsPort).toBeGreaterThan(0);
  await fetch(`${server.url}/healthz`);
  const response = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('opentime_requests_total{route="/healthz",method="GET",status="200"} 1');
  expect((await fetch(`http://127.0.0.1:${server.metricsPort}/v1/stats`)).status).toBe(404);
  // The main port still wants the admin key.
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
});
