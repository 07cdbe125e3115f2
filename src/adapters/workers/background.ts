import { waitUntil } from 'cloudflare:workers';
import type { BackgroundRunner } from '../../core/ports.ts';

/**
 * Work after the response (open records, counter flushes, Cache API
 * writes), handed to the running request's `ctx.waitUntil` so that the
 * runtime keeps the request alive until it is done. The app is built once
 * per isolate but a ctx belongs to one request: the `waitUntil` export of
 * cloudflare:workers is that request's ctx.waitUntil, found from the code
 * that is running. Tasks are also tracked, so tests and tools can wait for them.
 */
export function waitUntilBackground(): { run: BackgroundRunner; drain: () => Promise<void>; readonly pending: number } {
  const pending = new Set<Promise<unknown>>();
  return {
    run(task) {
      const tracked = task.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
      waitUntil(tracked);
    },
    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    get pending() {
      return pending.size;
    },
  };
}
