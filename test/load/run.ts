/**
 * `npm run loadtest`: a mixed workload against a real opentime process on
 * loopback, for a bounded time, then a check that nothing acknowledged was
 * lost. Not part of `npm test`.
 *
 *   opens     GET /i/demo-picks.png?u=…&m=…   for many subscribers, through Gmail's and
 *                                              Apple's proxies, browsers and scanners
 *   pixel     GET /o/<campaign>.gif?u=…        the email-open pixel
 *   clicks    GET /c/demo-picks/<slot>?u=…&m=…
 *   batches   POST /v1/batch                   1–20 events, each with its own messageId
 *
 * Batches answered 429, 503 or not at all are retried after Retry-After (or
 * a backoff) as Segment's libraries do; only a 200 counts as acknowledged.
 * Afterwards every acknowledged event is looked for twice: its trace in the
 * subscriber's profile (a `Product Viewed` of a product id used once), and
 * its messageId, which opentime must remember (sending it again must be a
 * duplicate). Both counts of missing events must be 0.
 *
 *   --seconds 30         how long the workload runs (LOADTEST_SECONDS)
 *   --connections 16     concurrent request loops (LOADTEST_CONNECTIONS)
 *   --subscribers 5000   distinct subscribers
 *   --redis-restart      the Redis store on a redis-server of its own, killed a third of
 *                        the way in and started again --outage-seconds later (5): image
 *                        routes must answer images throughout, events answered 503 are
 *                        retried, and opentime recovers without a restart
 *   --kill               opentime is killed with SIGKILL halfway, during ingestion, and
 *                        started again on the same data directory and port
 *
 * Exits 1 when a figure that must be zero is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WRITE_KEY = 'loadtest-write-key-0123456789';
const ADMIN_KEY = 'loadtest-admin-key-0123456789';
const BLOCK = 'demo-picks';
const DEMO_PRODUCTS = ['aviators', 'trail-runner', 'studio-headphones', 'pour-over-mug', 'desk-plant', 'weekender', 'merino-crew', 'field-watch'];
/** A profile keeps its last 50 viewed products; traces stay under that with the demo products beside them. */
const TRACES_PER_SUBSCRIBER = 40;
const AGENTS = [
  { weight: 6, ua: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' },
  { weight: 2, ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' },
  { weight: 1, ua: 'Mozilla/5.0' },
  { weight: 1, ua: 'Mozilla/5.0 (compatible; Proofpoint URL Defense)' },
];

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.LOADTEST_SECONDS ?? '30' },
    connections: { type: 'string', default: process.env.LOADTEST_CONNECTIONS ?? '16' },
    subscribers: { type: 'string', default: '5000' },
    'redis-restart': { type: 'boolean', default: false },
    'outage-seconds': { type: 'string', default: '5' },
    kill: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const SUBSCRIBERS = Number(args.subscribers);
const OUTAGE_SECONDS = Number(args['outage-seconds']);
const variant = args['redis-restart'] ? 'redis-restart' : args.kill ? 'kill' : 'embedded';
if (args['redis-restart'] && args.kill) throw new Error('choose --redis-restart or --kill, not both');

// ---------------------------------------------------------------- the server

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
  const address = probe.address();
  await new Promise((closed) => probe.close(closed));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

interface Opentime {
  child: ChildProcess;
  /** Error lines the server logged. */
  errors: () => number;
}

const serverLog = { errors: 0 };

async function startOpentime(env: Record<string, string>): Promise<Opentime> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/node.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // One JSON line per entry; errors (5xx request lines included) are on stderr: counted, not kept.
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    serverLog.errors += chunk.toString().split('"level":"error"').length - 1;
  });
  await new Promise<void>((ready, failed) => {
    let output = '';
    const timer = setTimeout(() => failed(new Error(`opentime did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (/running on http:\/\/localhost:\d+/.test(output)) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        ready();
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      failed(new Error(`opentime exited with ${code}:\n${output}`));
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
  // Errors the server writes to stderr after starting (its shutdown message is not one).
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString().trim();
    if (text !== '' && !text.includes('finishing requests and closing the store')) process.stderr.write(`  [opentime] ${text}\n`);
  });
  return { child, errors: () => serverLog.errors };
}

async function stopOpentime(server: Opentime, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((done) => server.child.once('exit', done));
  server.child.kill(signal);
  await exited;
}

// ---------------------------------------------------------------- measuring

type Route = 'open' | 'pixel' | 'click' | 'batch';
const ROUTES: Route[] = ['open', 'pixel', 'click', 'batch'];

interface RouteStats {
  latencies: number[];
  statuses: Map<number, number>;
  networkErrors: number;
  /** Image routes: answers that were not a 200 image. */
  nonImage: number;
  fallbacks: number;
  rateLimited: number;
}
const stats = new Map<Route, RouteStats>(ROUTES.map((r) => [r, { latencies: [], statuses: new Map(), networkErrors: 0, nonImage: 0, fallbacks: 0, rateLimited: 0 }]));
/** Where the run is, for opens answered with a fallback image: before, during and after a fault. */
type Phase = 'before' | 'fault' | 'after';
let phase: Phase = 'before';
const openPhases = new Map<Phase, { opens: number; fallbacks: number }>([
  ['before', { opens: 0, fallbacks: 0 }],
  ['fault', { opens: 0, fallbacks: 0 }],
  ['after', { opens: 0, fallbacks: 0 }],
]);
const counts = { acknowledgedEvents: 0, acknowledgedBatches: 0, retriedBatches: 0, refused503: 0, refused429: 0, neverAcknowledged: 0 };

function record(route: Route, ms: number, status: number): void {
  const s = stats.get(route) as RouteStats;
  s.latencies.push(ms);
  s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const PNG = [0x89, 0x50, 0x4e, 0x47];
const GIF = [0x47, 0x49, 0x46, 0x38];
function isImage(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

// ---------------------------------------------------------------- the workload

let base = '';
const basic = `Basic ${btoa(`${WRITE_KEY}:`)}`;
let random = 0x9e3779b9;
/** A small seeded generator, so two runs send the same mix. */
function rand(): number {
  random ^= random << 13;
  random ^= random >>> 17;
  random ^= random << 5;
  return (random >>> 0) / 0x100000000;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
function weighted<T extends { weight: number }>(items: readonly T[]): T {
  let r = rand() * items.reduce((n, i) => n + i.weight, 0);
  for (const item of items) {
    r -= item.weight;
    if (r < 0) return item;
  }
  return items[items.length - 1] as T;
}
const subscriber = () => `lt-${Math.floor(rand() * SUBSCRIBERS)}`;
const campaign = () => `load-${Math.floor(rand() * 5)}`;

interface SentEvent {
  payload: Record<string, unknown>;
  userId: string;
  trace?: string;
}
interface PendingBatch {
  events: SentEvent[];
  notBefore: number;
  attempts: number;
}
const acknowledged: SentEvent[] = [];
const retries: PendingBatch[] = [];
const traces = new Map<string, number>();
let eventCounter = 0;
const runId = Date.now().toString(36);

function newEvent(): SentEvent {
  const userId = subscriber();
  const n = eventCounter++;
  const messageId = `lt-${runId}-${n}`;
  const kind = rand();
  if (kind < 0.5 && (traces.get(userId) ?? 0) < TRACES_PER_SUBSCRIBER) {
    // A product id used once: its presence in the profile proves this event was applied.
    const trace = `trace-${runId}-${n}`;
    traces.set(userId, (traces.get(userId) ?? 0) + 1);
    return { userId, trace, payload: { type: 'track', userId, event: 'Product Viewed', messageId, properties: { product_id: trace, category: 'load' } } };
  }
  const product = pick(DEMO_PRODUCTS);
  const event = kind < 0.75 ? 'Product Viewed' : kind < 0.95 ? 'Product Added' : 'Order Completed';
  const properties = event === 'Order Completed' ? { order_id: messageId, products: [{ product_id: product, quantity: 1 }] } : { product_id: product, quantity: 1 };
  return { userId, payload: { type: 'track', userId, event, messageId, properties } };
}

async function timed(route: Route, url: string, init: RequestInit = {}): Promise<{ response: Response; bytes: Uint8Array } | undefined> {
  const started = performance.now();
  try {
    const response = await fetch(url, init);
    const bytes = new Uint8Array(await response.arrayBuffer());
    record(route, performance.now() - started, response.status);
    return { response, bytes };
  } catch {
    (stats.get(route) as RouteStats).networkErrors++;
    return undefined;
  }
}

async function imageRequest(route: 'open' | 'pixel', url: string, ua: string): Promise<void> {
  const result = await timed(route, url, { headers: { 'user-agent': ua } });
  const s = stats.get(route) as RouteStats;
  if (!result) {
    // No answer at all (the process is down): not an answer, but the caller waits before the next.
    await sleep(100);
    return;
  }
  const { response, bytes } = result;
  const ok =
    response.status === 200 &&
    (route === 'open' ? response.headers.get('content-type') === 'image/png' && isImage(bytes, PNG) : response.headers.get('content-type') === 'image/gif' && isImage(bytes, GIF));
  if (!ok) s.nonImage++;
  const fellBack = response.headers.get('x-opentime-fallback') !== null;
  if (fellBack) s.fallbacks++;
  if (route === 'open') {
    const p = openPhases.get(phase) as { opens: number; fallbacks: number };
    p.opens++;
    if (fellBack) p.fallbacks++;
  }
  if (response.headers.get('x-opentime-rate-limited')) s.rateLimited++;
}

async function sendBatch(batch: PendingBatch): Promise<void> {
  const body = JSON.stringify({ batch: batch.events.map((e) => e.payload), sentAt: new Date().toISOString() });
  const result = await timed('batch', `${base}/v1/batch`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body });
  if (result?.response.status === 200) {
    counts.acknowledgedBatches++;
    counts.acknowledgedEvents += batch.events.length;
    acknowledged.push(...batch.events);
    return;
  }
  // Retried as Segment's libraries do: after Retry-After when the server names it, else with a doubling backoff.
  const status = result?.response.status;
  if (status === 503) counts.refused503++;
  if (status === 429) counts.refused429++;
  if (status !== undefined && status !== 503 && status !== 429) {
    console.error(`  batch refused for good: ${status} ${new TextDecoder().decode(result?.bytes ?? new Uint8Array()).slice(0, 200)}`);
    counts.neverAcknowledged += batch.events.length;
    return;
  }
  const retryAfter = Number(result?.response.headers.get('retry-after'));
  const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.min(5000, 250 * 2 ** batch.attempts);
  counts.retriedBatches++;
  retries.push({ events: batch.events, notBefore: Date.now() + waitMs, attempts: batch.attempts + 1 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dueRetry(): PendingBatch | undefined {
  const now = Date.now();
  const index = retries.findIndex((b) => b.notBefore <= now);
  return index === -1 ? undefined : retries.splice(index, 1)[0];
}

const ACTIONS: Array<{ weight: number; run: () => Promise<void> }> = [
  { weight: 50, run: () => imageRequest('open', `${base}/i/${BLOCK}.png?u=${subscriber()}&m=${campaign()}`, weighted(AGENTS).ua) },
  { weight: 10, run: () => imageRequest('pixel', `${base}/o/${campaign()}.gif?u=${subscriber()}`, weighted(AGENTS).ua) },
  {
    weight: 15,
    run: async () => {
      const result = await timed('click', `${base}/c/${BLOCK}/${Math.floor(rand() * 3)}?u=${subscriber()}&m=${campaign()}`, {
        redirect: 'manual',
        headers: { 'user-agent': AGENTS[1]?.ua as string },
      });
      if (!result) await sleep(100);
    },
  },
  {
    weight: 25,
    run: async () => {
      const retry = dueRetry();
      if (retry) return sendBatch(retry);
      const size = 1 + Math.floor(rand() * 20);
      return sendBatch({ events: Array.from({ length: size }, newEvent), notBefore: 0, attempts: 0 });
    },
  },
];

async function loop(until: number): Promise<void> {
  while (Date.now() < until) await weighted(ACTIONS).run();
}

/** After the workload: batches still waiting are sent until they are acknowledged (or a minute passes). */
async function drainRetries(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (retries.length > 0 && Date.now() < deadline) {
    const due = dueRetry();
    if (due) await sendBatch(due);
    else await sleep(100);
  }
  counts.neverAcknowledged += retries.reduce((n, b) => n + b.events.length, 0);
}

// ---------------------------------------------------------------- checking

async function missingFromProfiles(): Promise<number> {
  const expected = new Map<string, Set<string>>();
  for (const event of acknowledged) {
    if (!event.trace) continue;
    let set = expected.get(event.userId);
    if (!set) {
      set = new Set();
      expected.set(event.userId, set);
    }
    set.add(event.trace);
  }
  let missing = 0;
  const users = [...expected.keys()];
  for (let i = 0; i < users.length; i += 32) {
    await Promise.all(
      users.slice(i, i + 32).map(async (userId) => {
        // A read that missed its time budget under load is asked again; only an answer counts.
        let response = await fetch(`${base}/v1/profiles/${userId}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        for (let attempt = 0; response.status !== 200 && response.status !== 404; attempt++) {
          if (attempt > 20) throw new Error(`reading the profile of ${userId}: ${response.status} ${await response.text()}`);
          await sleep(100);
          response = await fetch(`${base}/v1/profiles/${userId}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        }
        const viewed = new Set<string>(response.status === 200 ? ((await response.json()) as { profile: { viewed: Array<{ id: string }> } }).profile.viewed.map((v) => v.id) : []);
        for (const trace of expected.get(userId) as Set<string>) if (!viewed.has(trace)) missing++;
      }),
    );
  }
  return missing;
}

/** Sends every acknowledged event again: each must come back as a duplicate, or opentime forgot it. */
async function forgottenMessageIds(): Promise<number> {
  let forgotten = 0;
  for (let i = 0; i < acknowledged.length; i += 200) {
    const slice = acknowledged.slice(i, i + 200);
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${base}/v1/batch`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: slice.map((e) => e.payload) }),
      });
      if (response.status === 200) {
        // Applied or ignored, it was new to opentime: forgotten.
        const answer = (await response.json()) as { applied: number; ignored?: number; duplicates: number };
        forgotten += answer.applied + (answer.ignored ?? 0);
        break;
      }
      if (attempt > 20) throw new Error(`re-sending acknowledged events: ${response.status}`);
      await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
    }
  }
  return forgotten;
}

// ---------------------------------------------------------------- the run

const dataDir = await mkdtemp(join(tmpdir(), 'opentime-loadtest-'));
const port = await freePort();
base = `http://127.0.0.1:${port}`;
let redis: RedisServer | undefined;
if (variant === 'redis-restart') redis = await startRedisServer({ durable: true });
const env: Record<string, string> = {
  PORT: String(port),
  OPENTIME_DATA_DIR: dataDir,
  OPENTIME_WRITE_KEY: WRITE_KEY,
  OPENTIME_ADMIN_KEY: ADMIN_KEY,
  OPENTIME_SECRET: 'loadtest-secret-0123456789abcdef',
  OPENTIME_DEMO: '1',
  ...(redis ? { REDIS_URL: redis.url } : {}),
};

console.log(`opentime loadtest · ${variant} · ${SECONDS} s · ${CONNECTIONS} connections · ${SUBSCRIBERS} subscribers · node ${process.version} · ${new Date().toISOString()}`);
let server = await startOpentime(env);
const firstPid = server.child.pid;
const events: string[] = [];
const started = Date.now();
const until = started + SECONDS * 1000;
const at = (ms: number) => `${((ms - started) / 1000).toFixed(1)} s`;

const fault = (async () => {
  if (variant === 'redis-restart' && redis) {
    await sleep((SECONDS * 1000) / 3);
    const before = { ...counts };
    await redis.stop('SIGKILL');
    phase = 'fault';
    const down = Date.now();
    events.push(`${at(down)}: Redis killed (SIGKILL)`);
    await sleep(OUTAGE_SECONDS * 1000);
    await redis.start();
    phase = 'after';
    const up = Date.now();
    events.push(`${at(up)}: Redis started again (${((up - down) / 1000).toFixed(1)} s down); ${counts.refused503 - before.refused503} batches answered 503 meanwhile`);
    const acknowledgedBefore = counts.acknowledgedBatches;
    while (counts.acknowledgedBatches === acknowledgedBefore && Date.now() < until + 30_000) await sleep(20);
    events.push(`${at(Date.now())}: first batch acknowledged after the restart (${Date.now() - up} ms after Redis was back)`);
  }
  if (variant === 'kill') {
    await sleep((SECONDS * 1000) / 2);
    const killed = Date.now();
    phase = 'fault';
    await stopOpentime(server, 'SIGKILL');
    events.push(`${at(killed)}: opentime killed (SIGKILL) with ${counts.acknowledgedEvents} events acknowledged`);
    server = await startOpentime(env);
    phase = 'after';
    events.push(`${at(Date.now())}: opentime started again on the same data directory (${Date.now() - killed} ms without a server)`);
  }
})();

await Promise.all(Array.from({ length: CONNECTIONS }, () => loop(until)));
const elapsed = (Date.now() - started) / 1000;
await fault;
await drainRetries();

const missingTraces = await missingFromProfiles();
const forgotten = await forgottenMessageIds();
const sameProcess = server.child.pid === firstPid;
const serverErrors = server.errors();
await stopOpentime(server, 'SIGTERM');
await redis?.close();
await rm(dataDir, { recursive: true, force: true });

// ---------------------------------------------------------------- the report

const fmt = (ms: number) => (Number.isNaN(ms) ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
console.log('');
for (const line of events) console.log(`  ${line}`);
console.log('');
console.log(
  `  ${'route'.padEnd(8)} ${'requests'.padStart(9)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  statuses`,
);
let total = 0;
for (const route of ROUTES) {
  const s = stats.get(route) as RouteStats;
  const sorted = [...s.latencies].sort((a, b) => a - b);
  total += sorted.length;
  const statuses = [...s.statuses]
    .sort(([a], [b]) => a - b)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  const notes = [
    s.networkErrors > 0 ? `no answer×${s.networkErrors}` : '',
    route === 'open' || route === 'pixel' ? `fallback images ${s.fallbacks}, rate-limited ${s.rateLimited}` : '',
  ]
    .filter((n) => n !== '')
    .join('; ');
  console.log(
    `  ${route.padEnd(8)} ${String(sorted.length).padStart(9)} ${(sorted.length / elapsed).toFixed(1).padStart(8)} ${fmt(percentile(sorted, 50)).padStart(8)} ${fmt(percentile(sorted, 90)).padStart(8)} ${fmt(percentile(sorted, 99)).padStart(8)} ${fmt(sorted.at(-1) ?? NaN).padStart(8)}  ${statuses}${notes ? `  (${notes})` : ''}`,
  );
}
console.log(`  ${'all'.padEnd(8)} ${String(total).padStart(9)} ${(total / elapsed).toFixed(1).padStart(8)}`);
console.log('');
if (variant !== 'embedded') {
  const share = (p: Phase) => {
    const { opens, fallbacks } = openPhases.get(p) as { opens: number; fallbacks: number };
    return `${p} ${fallbacks}/${opens}`;
  };
  console.log(`  opens with a fallback image    ${share('before')}, ${share('fault')}, ${share('after')}`);
}
console.log(
  `  events acknowledged            ${counts.acknowledgedEvents} in ${counts.acknowledgedBatches} batches (${(counts.acknowledgedEvents / elapsed).toFixed(0)} events/s)`,
);
console.log(
  `  batches retried                ${counts.retriedBatches} (503: ${counts.refused503}, 429: ${counts.refused429}, no answer: ${stats.get('batch')?.networkErrors ?? 0})`,
);
console.log(`  events never acknowledged      ${counts.neverAcknowledged}`);
console.log(`  server error log lines         ${serverErrors}`);
const imageFailures = (stats.get('open')?.nonImage ?? 0) + (stats.get('pixel')?.nonImage ?? 0);
const apiServerErrors = [...(stats.get('batch')?.statuses ?? [])].filter(([code]) => code >= 500 && code !== 503).reduce((n, [, c]) => n + c, 0);
const clickServerErrors = [...(stats.get('click')?.statuses ?? [])].filter(([code]) => code >= 500).reduce((n, [, c]) => n + c, 0);
const checks: Array<[string, number | boolean]> = [
  ['non-image answers on image routes', imageFailures],
  ['acknowledged events missing from profiles', missingTraces],
  ['acknowledged messageIds forgotten', forgotten],
  ['5xx other than 503 on the API and clicks', apiServerErrors + clickServerErrors],
];
if (variant === 'redis-restart') checks.push(['opentime restarted during the Redis outage', !sameProcess]);
let failed = false;
for (const [name, value] of checks) {
  const bad = value === true || (typeof value === 'number' && value > 0);
  failed ||= bad;
  console.log(`  ${bad ? 'FAIL' : 'ok  '} ${name.padEnd(44)} ${typeof value === 'boolean' ? (value ? 'yes' : 'no') : value}`);
}
process.exit(failed ? 1 : 0);
