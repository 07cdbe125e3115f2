import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../src/adapters/node/logger.ts';

/** What the Node logger writes to the process's real stdout and stderr. */
function captured() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { out: () => parsed(out), err: () => parsed(err) };
}
afterEach(() => vi.restoreAllMocks());

describe('the Node logger', () => {
  it('writes errors and warnings to stderr, the rest to stdout, with standard level names', () => {
    const streams = captured();
    const logger = jsonLogger();
    logger.info('started', { port: 8787 });
    logger.warn('slow store', { ms: 900 });
    logger.error('request failed', { code: 'INTERNAL' });
    vi.restoreAllMocks();
    expect(streams.out()).toEqual([expect.objectContaining({ level: 'info', msg: 'started', port: 8787 })]);
    expect(streams.err()).toEqual([expect.objectContaining({ level: 'warn', msg: 'slow store' }), expect.objectContaining({ level: 'error', msg: 'request failed' })]);
  });

  it('logs a request as info with type request, and a 5xx answer as an error on stderr', () => {
    const streams = captured();
    const logger = jsonLogger();
    logger.request({ method: 'GET', route: '/i/:file', status: 200, ms: 3 });
    logger.request({ method: 'POST', route: '/v1/track', status: 400 });
    logger.request({ method: 'POST', route: '/v1/track', status: 503 });
    vi.restoreAllMocks();
    expect(streams.out()).toEqual([
      expect.objectContaining({ level: 'info', msg: 'request', type: 'request', route: '/i/:file', status: 200 }),
      expect.objectContaining({ level: 'info', type: 'request', status: 400 }),
    ]);
    expect(streams.err()).toEqual([expect.objectContaining({ level: 'error', msg: 'request', type: 'request', status: 503 })]);
  });

  it('writes only the asked share of cache-hit image opens, and every other request line', () => {
    const streams = captured();
    const logger = jsonLogger({ requestPercent: 10 });
    for (let i = 0; i < 2000; i++) logger.request({ route: '/i/:file', status: 200, cache: 'hit' });
    logger.request({ route: '/i/:file', status: 200, cache: 'miss' });
    logger.request({ route: '/i/:file', status: 200, cache: 'fallback:static' });
    logger.request({ route: '/v1/track', status: 200 });
    logger.request({ route: '/i/:file', status: 503, cache: 'hit' });
    vi.restoreAllMocks();
    const hits = streams.out().filter((line) => line.cache === 'hit');
    expect(hits.length).toBeGreaterThan(100);
    expect(hits.length).toBeLessThan(300);
    expect(streams.out().filter((line) => line.cache !== 'hit')).toEqual([
      expect.objectContaining({ cache: 'miss' }),
      expect.objectContaining({ cache: 'fallback:static' }),
      expect.objectContaining({ route: '/v1/track' }),
    ]);
    expect(streams.err()).toEqual([expect.objectContaining({ status: 503, cache: 'hit' })]);
  });

  it('writes only entries at LOG_LEVEL or above', () => {
    const streams = captured();
    const warn = jsonLogger({ level: 'warn' });
    warn.debug?.('detail');
    warn.info('started');
    warn.request({ status: 200 });
    warn.warn('slow store');
    const debug = jsonLogger({ level: 'debug' });
    debug.debug?.('detail');
    vi.restoreAllMocks();
    expect(streams.out().map((e) => e.msg)).toEqual(['detail']);
    expect(streams.err().map((e) => e.msg)).toEqual(['slow store']);
  });
});

describe('the Workers logger', () => {
  it('uses console’s method for each level, logs requests as info (5xx as errors) and honours LOG_LEVEL', async () => {
    const { consoleLogger } = await import('../../src/adapters/workers/logger.ts');
    const calls: Array<[string, Record<string, unknown>]> = [];
    for (const method of ['log', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((line: string) => void calls.push([method, JSON.parse(line)]));
    }
    const logger = consoleLogger();
    logger.request({ route: '/c/:block/:slot', status: 302 });
    logger.request({ route: '/v1/batch', status: 500 });
    logger.warn('slow store');
    logger.debug?.('detail');
    consoleLogger({ level: 'error' }).warn('hidden');
    vi.restoreAllMocks();
    expect(calls).toEqual([
      ['log', expect.objectContaining({ level: 'info', msg: 'request', type: 'request', status: 302 })],
      ['error', expect.objectContaining({ level: 'error', msg: 'request', type: 'request', status: 500 })],
      ['warn', expect.objectContaining({ level: 'warn', msg: 'slow store' })],
    ]);
  });
});
