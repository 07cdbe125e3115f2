import type { WorkerEnv } from '../../src/worker.ts';

// The bindings that `env` from cloudflare:workers has in these tests: wrangler.toml's.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Tests only: the workerd process's CPU time, from the test process (test/workers/cpu-meter.ts). */
      CPU_METER: Fetcher;
    }
  }
}
