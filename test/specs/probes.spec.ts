import { describe, expect, it } from 'vitest';
import type { SpecRuntime } from './harness.ts';
import { useSpecApp } from './use-app.ts';

/** The health probes a load balancer or orchestrator reads, the same on Node and on Workers. */
export function describeProbes(runtime: SpecRuntime): void {
  describe('health probes', () => {
    const app = useSpecApp(runtime, { seeded: false });

    describe('probes', () => {
      it('/livez is 200 while the process runs, even with the store down', async () => {
        expect((await app.request('/livez')).status).toBe(200);
        await app.breakStore();
        const live = await app.request('/livez');
        expect(live.status).toBe(200);
        expect(live.headers.get('cache-control')).toBe('no-store');
      });

      it('/readyz and its alias /healthz are 503 while the store cannot answer', async () => {
        for (const path of ['/readyz', '/healthz']) expect((await app.request(path)).status, path).toBe(200);
        await app.breakStore();
        for (const path of ['/readyz', '/healthz']) {
          const response = await app.request(path);
          expect(response.status, path).toBe(503);
          expect(await response.json()).toMatchObject({ ok: false, store: runtime.storeName });
        }
      });
    });
  });
}
