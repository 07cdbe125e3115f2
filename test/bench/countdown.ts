/**
 * Countdown budget: a 600×150 block (1200×300 at 2×), 60 frames. Cold is
 * the first open of a block version (face, digit tiles and palette drawn
 * with satori + resvg, then the GIF); warm is every later second (frames
 * composited from the cached parts and encoded). The budget: under
 * 50 ms and under 150 KB.
 */
import { loadFonts, layoutWasm } from '../../src/adapters/node/files.ts';
import { resvgNodeRasterizer } from '../../src/adapters/raster/resvg-node.ts';
import { countdownBlockSchema } from '../../src/core/blocks/countdown.ts';
import { buildFace, type ArtDeps } from '../../src/core/countdown/art.ts';
import { countdownGif, countdownPng } from '../../src/core/countdown/frames.ts';
import { initLayout } from '../../src/core/render/layout.ts';
import { createTestApp } from '../helpers/app.ts';
import { percentile, type Row } from './stats.ts';

export async function countdownBench(options: { rounds?: number; coldRounds?: number } = {}): Promise<Row[]> {
  const rounds = options.rounds ?? 200;
  const coldRounds = options.coldRounds ?? 10;
  await initLayout(await layoutWasm());
  const deps: ArtDeps = {
    rasterizer: resvgNodeRasterizer(),
    fonts: await loadFonts(),
    scale: 2,
    loadImage: () => Promise.reject(new Error('no images in the bench')),
  };
  const block = (headline: string) =>
    countdownBlockSchema.parse({
      id: 'bench-countdown',
      kind: 'countdown',
      size: { width: 600, height: 150 },
      deadline: { at: '2026-12-24T23:59', zone: 'America/New_York' },
      url: 'https://shop.example.com/sale',
      params: { headline, background: '#fff7ed', box: '#b91c1c' },
      fallback: { url: 'https://shop.example.com/' },
    });
  const never = () => {
    throw new Error('the bench deadline is never inside the window');
  };
  // About 206 days left: every unit is on screen and the minutes roll over once in the window.
  const start = 206 * 86_400 + 16 * 3_600 + 59 * 60 + 30;

  const cold: number[] = [];
  for (let i = 0; i < coldRounds; i++) {
    const started = performance.now();
    const face = await buildFace(deps, block(`The holiday sale ends in (${i})`), 3);
    countdownGif(face, start, 60, never);
    cold.push(performance.now() - started);
  }

  const face = await buildFace(deps, block('The holiday sale ends in'), 3);
  const warm: number[] = [];
  let bytes = 0;
  let largest = 0;
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const gif = countdownGif(face, start - i, 60, never);
    warm.push(performance.now() - started);
    bytes += gif.length;
    largest = Math.max(largest, gif.length);
  }
  const still: number[] = [];
  let stillBytes = 0;
  for (let i = 0; i < Math.min(rounds, 50); i++) {
    const started = performance.now();
    stillBytes = (await countdownPng(face, start - i)).length;
    still.push(performance.now() - started);
  }
  // The same through the app, in process: block lookup, deadline, cache key, render, cache write.
  const app = await createTestApp();
  const put = await app.admin('PUT', '/v1/blocks/bench-countdown', { ...block('The holiday sale ends in'), kind: 'countdown' });
  if (put.status !== 200) throw new Error(`bench block: ${put.status} ${await put.text()}`);
  await app.request('/i/bench-countdown.gif').then((r) => r.arrayBuffer());
  const routeMs: number[] = [];
  const hitMs: number[] = [];
  for (let i = 0; i < Math.min(rounds, 100); i++) {
    app.clock.advance(1000);
    let started = performance.now();
    const miss = await app.request('/i/bench-countdown.gif?u=someone');
    await miss.arrayBuffer();
    routeMs.push(performance.now() - started);
    if (miss.headers.get('x-opentime-cache') !== 'miss') throw new Error(`expected a render, got ${miss.headers.get('x-opentime-cache')}`);
    started = performance.now();
    await (await app.request('/i/bench-countdown.gif?u=someone-else')).arrayBuffer();
    hitMs.push(performance.now() - started);
  }
  await app.close();

  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return [
    {
      name: 'countdown GIF, warm parts (every new second)',
      median: percentile(warm, 50),
      p99: percentile(warm, 99),
      extra: `${kb(bytes / rounds)} mean, ${kb(largest)} max; budget 50 ms, 150 KB`,
    },
    { name: 'countdown GIF, cold (face + glyphs + palette + GIF)', median: percentile(cold, 50), p99: percentile(cold, 99), extra: 'once per block version' },
    { name: 'countdown PNG still, warm parts', median: percentile(still, 50), p99: percentile(still, 99), extra: kb(stillBytes) },
    { name: 'GET /i/:block.gif in process, a new second', median: percentile(routeMs, 50), p99: percentile(routeMs, 99), extra: 'render + cache write' },
    { name: 'GET /i/:block.gif in process, same second', median: percentile(hitMs, 50), p99: percentile(hitMs, 99), extra: 'render-cache hit' },
  ];
}
