import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Rendering is CPU-bound; two workers match a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
