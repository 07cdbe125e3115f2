import { vi } from 'vitest';
import type { SpecApp, SpecRuntime } from '../../specs/harness.ts';
import { decodePng } from './png.ts';
import { ADMIN_KEY, WRITE_KEY, photoHits, photoUrl, workerApp, type WorkerApp } from './app.ts';

/** A spec app over a Worker app (the Worker entry inside workerd: Durable Objects, resvg-wasm, the Cache API). */
export function specApp(app: WorkerApp): SpecApp {
  return {
    ...app,
    pixelsOf: async (response) => decodePng(new Uint8Array(await response.arrayBuffer())),
    store: async () => (await app.worker.app(app.env)).deps.store,
    breakStore: async () => (await app.worker.app(app.env)).deps.store.close(),
    async logsOf(run) {
      // The Worker logs to the console, as on Cloudflare.
      const lines: string[] = [];
      const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
      const spies = [
        vi.spyOn(console, 'log').mockImplementation(capture),
        vi.spyOn(console, 'warn').mockImplementation(capture),
        vi.spyOn(console, 'error').mockImplementation(capture),
      ];
      try {
        await run();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      return lines;
    },
    // Storage is per test file; the app's work after responses is all there is to finish.
    close: () => app.settle(),
  };
}

/** The Workers runtime for the route specs: photos from the outbound photo service (test/workers/photo-server.ts). */
export function workersRuntime(): SpecRuntime {
  return {
    name: 'workers',
    writeKey: WRITE_KEY,
    adminKey: ADMIN_KEY,
    storeName: 'durable-object',
    capabilities: { bulkLinking: false },
    createApp: async (vars = {}) => specApp(workerApp(vars)),
    photoUrl,
    photoHits: (name) => photoHits(name),
  };
}
