import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { boundNativeMemory, memoryShares } from '../../src/adapters/node/native-memory.ts';

const run = promisify(execFile);
const launch = (env: NodeJS.ProcessEnv) =>
  run(process.execPath, ['src/run-with-node.mjs', '-e', 'console.log(process.env.MALLOC_ARENA_MAX ?? "unset")'], { env: { PATH: process.env.PATH, ...env } });

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

  it('names the share of RSS that is neither heap nor buffers', () => {
    const shares = memoryShares();
    expect(shares.rss).toBeGreaterThan(shares.heap);
    expect(shares.native).toBe(Math.max(0, shares.rss - shares.heap - shares.buffers));
  });
});
