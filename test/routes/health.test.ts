import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { nodeRuntime } from '../helpers/node-runtime.ts';
import { describeProbes } from '../specs/probes.spec.ts';

/** The probes spec (test/specs/probes.spec.ts) on Node; then draining, which only Node's server does (on SIGTERM). */
describeProbes(nodeRuntime());

let app: TestApp;
afterEach(async () => app?.close());

describe('probes while draining', () => {
  it('/readyz is 503 while the instance drains, though the store answers', async () => {
    app = await createTestApp();
    let draining = false;
    app.deps.draining = () => draining;
    expect((await app.request('/readyz')).status).toBe(200);
    draining = true;
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ ok: false, draining: true });
    expect((await app.request('/healthz')).status).toBe(503);
    expect((await app.request('/livez')).status).toBe(200);
  });
});
