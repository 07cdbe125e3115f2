import type { BackgroundRunner } from '../../core/ports.ts';

/** Work after the response, tracked so that shutdown can wait for it. */
export function trackedBackground(): { run: BackgroundRunner; drain: () => Promise<void>; readonly pending: number } {
  const pending = new Set<Promise<unknown>>();
  return {
    run(task) {
      const tracked = task.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    get pending() {
      return pending.size;
    },
  };
}
