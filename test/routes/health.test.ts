import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
afterEach(async () => app?.close());

describe('probes', () => {
  it('/livez is 200 while the process runs, even with the store down', async () => {
    app = await createTestApp();
    expect((await app.request('/livez')).status).toBe(200);
    await app.deps.store.close();
    const live = await app.request('/livez');
    expect(live.status).toBe(200);
    expect(live.headers.get('cache-control')).toBe('no-store');
  });

  it('/readyz and its alias /healthz are 503 while the store cannot answer', async () => {
    app = await createTestApp();
    for (const path of ['/readyz', '/healthz']) expect((await app.request(path)).status, path).toBe(200);
    await app.deps.store.close();
    for (const path of ['/readyz', '/healthz']) {
      const response = await app.request(path);
      expect(response.status, path).toBe(503);
      expect(await response.json()).toMatchObject({ ok: false, store: 'memory' });
    }
  });

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
