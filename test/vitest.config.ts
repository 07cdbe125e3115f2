import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // The Workers tests run inside workerd, with their own config (test/workers/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/workers/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Rendering is CPU-bound; two workers match a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
