import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { workerdCpuMs } from './cpu-meter.ts';
import { photoService } from './photo-server.ts';

/**
 * The Worker's tests, run inside workerd (the Workers runtime) with the
 * bindings of wrangler.toml: real Durable Objects with SQLite, the real
 * Cache API, the real static-assets binding, both wasm modules. Secrets are
 * test values; the Worker's outbound fetches go to a local photo service.
 * Storage is isolated per test file.
 */
const root = new URL('../..', import.meta.url).pathname;

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${root}wrangler.toml` },
      miniflare: {
        bindings: {
          OPENTIME_ADMIN_KEY: 'test-admin-key-0123456789',
          OPENTIME_WRITE_KEY: 'test-write-key-0123456789',
          OPENTIME_SECRET: 'test-secret-0123456789abcdef',
          OPENTIME_STORE_TIMEOUT_MS: '2000',
          OPENTIME_PHOTO_TIMEOUT_MS: '3000',
          OPENTIME_BLOCK_CACHE_SECONDS: '0',
          OPENTIME_CONSENT_CATEGORIES: 'Personalization',
        },
        outboundService: photoService(),
        // CPU time the workerd process has used, read from /proc by this (Node) process: see render-cpu.test.ts.
        serviceBindings: { CPU_METER: async () => Response.json(workerdCpuMs()) },
      },
    }),
  ],
  test: {
    root,
    include: ['test/workers/**/*.test.ts'],
    // Before any test file imports satori (see src/adapters/workers/harfbuzz.ts).
    setupFiles: ['test/workers/setup.ts'],
    // The app's own JSON log lines (one per request) would bury the results; the tests that
    // care about logs capture them themselves.
    onConsoleLog: (log) => !log.startsWith('{"level":'),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
