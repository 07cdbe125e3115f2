import { parentPort, workerData } from 'node:worker_threads';

/**
 * A closed-loop HTTP load generator in its own thread, so it does not share
 * the server's event loop: `connections` loops each send a request, wait for
 * the whole response, and send the next, for `seconds`.
 */
export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** For POST: a body template; `{{n}}` becomes a number unique to the request. */
  body?: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  latenciesMs: number[];
  bytes: number;
}

const spec = workerData as LoadSpec;
let counter = 0;
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let bytes = 0;
let measuring = false;
let stop = false;

async function loop(): Promise<void> {
  while (!stop) {
    const n = counter++;
    const started = performance.now();
    try {
      const init: RequestInit = { method: spec.method, ...(spec.headers ? { headers: spec.headers } : {}) };
      if (spec.body !== undefined) init.body = spec.body.replaceAll('{{n}}', String(n));
      const response = await fetch(spec.url, init);
      const body = await response.arrayBuffer();
      if (measuring) {
        latencies.push(performance.now() - started);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        bytes += body.byteLength;
      }
    } catch {
      if (measuring) errors++;
    }
  }
}

const loops = Array.from({ length: spec.connections }, () => loop());
await new Promise((r) => setTimeout(r, spec.warmupSeconds * 1000));
measuring = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, spec.seconds * 1000));
measuring = false;
const seconds = (performance.now() - started) / 1000;
stop = true;
await Promise.all(loops);
const result: LoadResult = { requests: latencies.length, errors, statuses, seconds, latenciesMs: latencies, bytes };
parentPort?.postMessage(result);
