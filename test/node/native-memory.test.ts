import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { boundNativeMemory, memoryShares } from '../../src/adapters/node/native-memory.ts';

const run = promisify(execFile);
const launch = (env: NodeJS.ProcessEnv, script = 'console.log(process.env.MALLOC_ARENA_MAX ?? "unset")') =>
  run(process.execPath, ['src/run-with-node.mjs', '-e', script], { env: { PATH: process.env.PATH, ...env } });
const semiSpace = 'console.log(process.execArgv.find((a) => a.startsWith("--max-semi-space-size")) ?? "unset")';

describe('native memory of a Node server', () => {
  it('keeps no libvips operation cache once bounded', () => {
    boundNativeMemory();
    const cache = sharp.cache();
    expect(cache.memory.max).toBe(0);
    expect(cache.items.max).toBe(0);
  });

  it('is started with two malloc arenas unless the operator chose a number', async () => {
    expect((await launch({})).stdout.trim()).toBe('2');
    expect((await launch({ MALLOC_ARENA_MAX: '4' })).stdout.trim()).toBe('4');
  });

  it('is started with a fixed mmap threshold unless the operator chose one', async () => {
    const threshold = 'console.log(process.env.MALLOC_MMAP_THRESHOLD_ ?? "unset")';
    expect((await launch({}, threshold)).stdout.trim()).toBe('131072');
    expect((await launch({ MALLOC_MMAP_THRESHOLD_: '262144' }, threshold)).stdout.trim()).toBe('262144');
  });

  it("is started with V8's young generation capped unless NODE_OPTIONS sizes it", async () => {
    expect((await launch({}, semiSpace)).stdout.trim()).toBe('--max-semi-space-size=16');
    expect((await launch({ NODE_OPTIONS: '--max-semi-space-size=32' }, semiSpace)).stdout.trim()).toBe('unset');
  });

  it('names the share of RSS that is neither heap nor buffers', () => {
    const shares = memoryShares();
    expect(shares.rss).toBeGreaterThan(shares.heap);
    expect(shares.native).toBe(Math.max(0, shares.rss - shares.heap - shares.buffers));
  });
});
