import { Agent, request } from 'node:http';

/**
 * An open-loop load generator in a process of its own (send.ts forks it and
 * sends it the spec): requests `urls` in order at `rate` per second whatever
 * the answers take (a send's opens do not wait for each other), and reports
 * each one's latency and cache outcome. Not a thread of the bench's process,
 * whose RSS is the instance's.
 */
export interface SendSpec {
  urls: string[];
  rate: number;
}

export interface SendResult {
  latenciesMs: number[];
  /** x-opentime-cache of each answer (hit, miss, coalesced, fallback). */
  outcomes: Record<string, number>;
  fallbacks: number;
  errors: number;
  /** Each error's code (ECONNRESET, …) and how many requests ended with it. */
  errorCodes: Record<string, number>;
  bytes: number;
  seconds: number;
}

const spec = await new Promise<SendSpec>((done) => process.once('message', (message) => done(message as SendSpec)));
const agent = new Agent({ keepAlive: true, maxSockets: 512 });
const result: SendResult = { latenciesMs: [], outcomes: {}, fallbacks: 0, errors: 0, errorCodes: {}, bytes: 0, seconds: 0 };

function open(url: string): Promise<void> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(url, { agent }, (res) => {
      let size = 0;
      res.on('data', (chunk: Buffer) => (size += chunk.length));
      res.on('end', () => {
        result.latenciesMs.push(performance.now() - started);
        const outcome = String(res.headers['x-opentime-cache'] ?? 'none');
        result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
        if (res.headers['x-opentime-fallback'] || res.statusCode !== 200) result.fallbacks++;
        result.bytes += size;
        done();
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      result.errors++;
      const code = error.code ?? error.message;
      result.errorCodes[code] = (result.errorCodes[code] ?? 0) + 1;
      done();
    });
    req.end();
  });
}

const started = performance.now();
const pending: Array<Promise<void>> = [];
for (let i = 0; i < spec.urls.length; i++) {
  const due = started + (i * 1000) / spec.rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(open(spec.urls[i] as string));
}
await Promise.all(pending);
result.seconds = (performance.now() - started) / 1000;
agent.destroy();
process.send?.(result, () => process.exit(0));
