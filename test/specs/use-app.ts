import { afterEach, beforeEach } from 'vitest';
import { seed, type SpecApp, type SpecRuntime } from './harness.ts';

/*
 * Hooks for spec files (apart from harness.ts, which plain scripts such as
 * the benchmarks also import, outside vitest).
 */

/** Stands for whatever `current()` is when it is used: the current test's app, or a server made in a hook. */
export function live<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get(_, key) {
      const target = current();
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A fresh app before each test of a spec, closed after it: seeded with the
 * six-product catalog and the test block unless `seeded` is false. Returns a
 * stand-in for the current test's app. Call it inside the spec's own
 * describe, so its hooks stay off the runtime-only tests beside the spec.
 */
export function useSpecApp(runtime: SpecRuntime, options: { seeded: boolean }): SpecApp {
  let current: SpecApp | undefined;
  beforeEach(async () => {
    current = await runtime.createApp();
    if (options.seeded) await seed(runtime, current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return live(() => {
    if (!current) throw new Error('the app is made in beforeEach');
    return current;
  });
}
