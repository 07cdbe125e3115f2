/**
 * `npm run bench`: opentime's hot paths next to baselines measured in the
 * same run on the same machine.
 *
 *   cold open      GET /i/demo-picks.png for a cart never rendered before
 *                  vs satori + resvg on the same element tree, no caching
 *   cache hit      GET /i/… whose decision is cached (profile read + decide + bytes),
 *                  on the embedded store and on Redis,
 *                  vs a plain node:http server returning the same bytes
 *   ingestion      POST /v1/track (1 event) and /v1/batch (100 events),
 *                  into the embedded store and into Redis
 *
 * Redis is a redis-server of the bench's own (test/helpers/redis-server.ts),
 * with its append-only file synced at every write: as durable as SQLite's
 * synchronous=FULL, which is what a 2xx to an event sender promises.
 * Load is generated from a worker thread (closed loop, keep-alive).
 */
import { renderAsync } from '@resvg/resvg-js';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { jsonLogger } from '../../src/adapters/node/logger.ts';
import { decide } from '../../src/core/decide/decide.ts';
import { ingestEvents } from '../../src/core/events/ingest.ts';
import { normalizeEvent } from '../../src/core/events/normalize.ts';
import { toSvg } from '../../src/core/render/layout.ts';
import { renderTemplate } from '../../src/core/templates/render.ts';
import { gridLayout, productViews } from '../../src/core/render/grid-layout.ts';
import { createSubjectKeyer } from '../../src/core/subjects.ts';
import { DEMO_BLOCK_ID, DEMO_PRODUCTS } from '../../src/demo/catalog.ts';
import { startServer, type RunningServer } from '../../src/node.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import type { LoadResult, LoadSpec } from './load-worker.ts';
import { countdownBench } from './countdown.ts';
import { percentile, printTable, type Row } from './stats.ts';

const WRITE_KEY = 'bench-write-key-0123456789';
const ADMIN_KEY = 'bench-admin-key-0123456789';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COLD_RENDERS = Number(process.env.BENCH_COLD_RENDERS ?? 40);

function load(spec: Omit<LoadSpec, 'seconds' | 'warmupSeconds' | 'connections'> & Partial<LoadSpec>): Promise<LoadResult> {
  const full: LoadSpec = { seconds: SECONDS, warmupSeconds: 1, connections: CONNECTIONS, ...spec };
  return new Promise((done, fail) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: full });
    worker.once('message', (result: LoadResult) => {
      done(result);
      void worker.terminate();
    });
    worker.once('error', fail);
  });
}

function loadRow(name: string, result: LoadResult, perRequest = 1, unit = 'req/s'): Row {
  const rate = (result.requests * perRequest) / result.seconds;
  const bad = result.errors + Object.entries(result.statuses).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  return {
    name,
    median: percentile(result.latenciesMs, 50),
    p99: percentile(result.latenciesMs, 99),
    throughput: `${Math.round(rate).toLocaleString('en-US')} ${unit}`,
    extra: bad > 0 ? `${bad} non-200/errors` : '',
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'opentime-bench-'));
const benchServer = (env: Record<string, string>) =>
  startServer({
    env: {
      PORT: '0',
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_ADMIN_KEY: ADMIN_KEY,
      OPENTIME_SECRET: 'bench-secret-0123456789abcdef',
      OPENTIME_DEMO: '1',
      ...env,
    },
    logger: jsonLogger({ quiet: true }),
  });
const server = await benchServer({});
const redis = await startRedisServer({ durable: true });
const redisServer = await benchServer({ REDIS_URL: redis.url });
const { deps } = server;
const keyer = createSubjectKeyer(deps.config.secret);
const stored = await deps.store.getBlock(DEMO_BLOCK_ID);
if (!stored || stored.config.kind !== 'product-grid') throw new Error('demo block missing');
const block = stored.config;
const catalog = await deps.store.getProducts(DEMO_PRODUCTS.map((p) => p.id));

/** Gives a subscriber exactly these three products in the cart. */
async function cart(userId: string, ids: readonly string[], into: RunningServer = server): Promise<void> {
  const now = Date.now();
  const events = ids.map((id, i) =>
    normalizeEvent({ userId, event: 'Product Added', messageId: `${userId}-${i}`, properties: { product_id: id } }, 'track', now - (ids.length - i) * 1000),
  );
  await ingestEvents({ store: into.deps.store, keyer }, events, now);
}

const triples: string[][] = [];
for (const a of DEMO_PRODUCTS) for (const b of DEMO_PRODUCTS) for (const c of DEMO_PRODUCTS) {
  if (a.id !== b.id && b.id !== c.id && a.id !== c.id) triples.push([a.id, b.id, c.id]);
}

console.log(`opentime bench · node ${process.version} · ${SECONDS}s per load test, ${CONNECTIONS} connections · ${new Date().toISOString()}`);

// Warm-up: photos fetched and scaled once, layout engine loaded.
await cart('bench-warm', triples[0] as string[]);
await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png?u=bench-warm`).then((r) => r.arrayBuffer());

// 1. Cold opens over HTTP: every decision new (a different cart each time).
const coldMs: number[] = [];
let coldBytes = 0;
for (let i = 0; i < COLD_RENDERS; i++) {
  const ids = triples[(i * 7 + 1) % triples.length] as string[];
  await cart(`bench-cold-${i}`, ids);
  const started = performance.now();
  const response = await fetch(`${server.url}/i/${DEMO_BLOCK_ID}.png?u=bench-cold-${i}&m=bench`);
  const bytes = await response.arrayBuffer();
  coldMs.push(performance.now() - started);
  coldBytes = bytes.byteLength;
  if (response.headers.get('x-opentime-cache') !== 'miss') throw new Error(`cold open ${i} was ${response.headers.get('x-opentime-cache')}`);
}

// 1b. Baseline: satori + resvg with no caching, on the same element tree (built untimed, photos already scaled).
const { templates, engine } = server.opentime.services;
const template = await templates.get(block.template);
if (!template) throw new Error('product-grid template missing');
const baselineMs: number[] = [];
for (let i = 0; i < COLD_RENDERS; i++) {
  const ids = triples[(i * 7 + 1) % triples.length] as string[];
  const decision = decide({ block, blockVersion: stored.version, profile: undefined, products: catalog, trending: new Map() });
  decision.slots = ids.map((id) => {
    const p = catalog.get(id);
    return p ? { id: p.id, title: p.title, price: p.price, currency: p.currency, url: p.url, image_url: p.image_url, source: 'cart' as const } : null;
  });
  const products = productViews(decision);
  const scope = { block: { id: block.id, width: block.size.width, height: block.size.height, slots: block.slots }, params: block.params, layout: gridLayout(block), products, now: new Date().toISOString() };
  const tree = await renderTemplate(
    { engine, images: deps.images, fonts: deps.fonts, scale: 2, photoTimeoutMs: 5000 },
    template,
    scope,
    block.size,
    new Set(products.map((p) => p.image_url)),
  );
  if (!('element' in tree)) throw new Error('baseline photos failed');
  const started = performance.now();
  const svg = await toSvg(tree.element, block.size.width, block.size.height, deps.fonts);
  (await renderAsync(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: false } })).asPng();
  baselineMs.push(performance.now() - started);
}

printTable('Render: a 1200×600 product block with three photos, never rendered before', [
  { name: 'opentime cold open over HTTP (read + decide + render)', median: percentile(coldMs, 50), p99: percentile(coldMs, 99), extra: `${(coldBytes / 1024).toFixed(0)} KB PNG` },
  { name: 'baseline: satori + resvg, no caching (in process)', median: percentile(baselineMs, 50), p99: percentile(baselineMs, 99) },
  { name: 'ratio (baseline median / opentime median)', extra: `${(percentile(baselineMs, 50) / percentile(coldMs, 50)).toFixed(2)}×` },
]);

// 2. Cache hits over HTTP (embedded store, Redis) vs a plain node:http server with the same bytes.
await cart('bench-hit', triples[3] as string[]);
const hitUrl = `${server.url}/i/${DEMO_BLOCK_ID}.png?u=bench-hit&m=bench`;
const hitBytes = new Uint8Array(await (await fetch(hitUrl)).arrayBuffer());
await cart('bench-hit', triples[3] as string[], redisServer);
const redisHitUrl = `${redisServer.url}/i/${DEMO_BLOCK_ID}.png?u=bench-hit&m=bench`;
await fetch(redisHitUrl).then((r) => r.arrayBuffer());
const plain = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'image/png',
    'content-length': hitBytes.byteLength,
    'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
  });
  res.end(hitBytes);
});
await new Promise<void>((ready) => plain.listen(0, '127.0.0.1', ready));
const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/i/demo-picks.png`;
const hits = await load({ url: hitUrl, method: 'GET' });
const redisHits = await load({ url: redisHitUrl, method: 'GET' });
const baselineHits = await load({ url: plainUrl, method: 'GET' });
plain.close();
const rate = (result: LoadResult) => result.requests / result.seconds;
const hitRow = loadRow('opentime render-cache hit, embedded store', hits);
const plainRow = loadRow('baseline: node:http returning the same bytes', baselineHits);
printTable(`Cache hit over HTTP (${(hitBytes.byteLength / 1024).toFixed(0)} KB PNG)`, [
  hitRow,
  loadRow('opentime render-cache hit, Redis store', redisHits),
  plainRow,
  { name: 'ratio (embedded / baseline throughput)', extra: `${((rate(hits) / rate(baselineHits)) * 100).toFixed(0)}%` },
  { name: 'ratio (Redis / baseline throughput)', extra: `${((rate(redisHits) / rate(baselineHits)) * 100).toFixed(0)}%` },
]);

// 3. Ingestion.
const auth = { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}`, 'content-type': 'application/json' };
const singleBody = JSON.stringify({ userId: 'ingest-{{n}}', event: 'Product Viewed', messageId: 'single-{{n}}', properties: { product_id: 'weekender', category: 'bags' } });
const single = await load({ url: `${server.url}/v1/track`, method: 'POST', headers: auth, body: singleBody, connections: 16 });
const batchBody = JSON.stringify({
  batch: Array.from({ length: 100 }, (_, i) => ({
    type: 'track',
    userId: `batch-{{n}}-${i % 10}`,
    event: i % 3 === 0 ? 'Product Added' : 'Product Viewed',
    messageId: `batch-{{n}}-${i}`,
    properties: { product_id: DEMO_PRODUCTS[i % DEMO_PRODUCTS.length]?.id, category: 'bags' },
  })),
});
const batched = await load({ url: `${server.url}/v1/batch`, method: 'POST', headers: auth, body: batchBody, connections: 8 });
const redisSingle = await load({ url: `${redisServer.url}/v1/track`, method: 'POST', headers: auth, body: singleBody, connections: 16 });
const redisBatched = await load({ url: `${redisServer.url}/v1/batch`, method: 'POST', headers: auth, body: batchBody, connections: 8 });
printTable('Event ingestion: embedded store (SQLite, synchronous=FULL) and Redis (appendfsync always)', [
  loadRow('embedded: POST /v1/track, one event per request', single, 1, 'events/s'),
  loadRow('embedded: POST /v1/batch, 100 events per request', batched, 100, 'events/s'),
  loadRow('Redis: POST /v1/track, one event per request', redisSingle, 1, 'events/s'),
  loadRow('Redis: POST /v1/batch, 100 events per request', redisBatched, 100, 'events/s'),
]);

await Promise.all([server.close(), redisServer.close()]);
await redis.close();
await rm(dataDir, { recursive: true, force: true });

// 4. Countdown: frames composited from parts drawn once per block version (test/bench/countdown.ts).
printTable('Countdown: a 600×150 block (1200×300 at 2×), 60 frames; budget under 50 ms and 150 KB', await countdownBench());
