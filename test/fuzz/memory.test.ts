import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Memory under hostile traffic: test/fuzz/heap-probe.ts replays the same
 * few hundred hostile requests (images, pixels, events, bombs, clicks, stray
 * paths) round after round in a node of its own with --expose-gc, and
 * reports the objects on the heap after a full collection. Caches fill in
 * the first rounds; after that, anything that keeps growing is a leak.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ROUNDS = 12;
const REQUESTS = 400;
/** Allowed growth per request once warm; a Map entry kept per request costs more than this. */
const MAX_BYTES_PER_REQUEST = 64;

interface Round {
  round: number;
  objects: number;
  subscriberBuckets: number;
  keyBuckets: number;
}

function runProbe(): Promise<Round[]> {
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, ['--expose-gc', '--disable-warning=ExperimentalWarning', 'test/fuzz/heap-probe.ts'], {
      cwd: ROOT,
      env: { ...process.env, PROBE_ROUNDS: String(ROUNDS), PROBE_REQUESTS: String(REQUESTS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', failed);
    child.once('exit', (code) => {
      if (code !== 0) return failed(new Error(`heap probe exited with ${code}:\n${stderr}`));
      done(
        stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Round),
      );
    });
  });
}

describe('memory under hostile traffic', () => {
  it('stops growing once its caches are warm, and never answers 5xx', async () => {
    const rounds = await runProbe();
    expect(rounds).toHaveLength(ROUNDS);
    const warm = rounds[ROUNDS / 2] as Round;
    const last = rounds[ROUNDS - 1] as Round;
    const perRequest = (last.objects - warm.objects) / ((last.round - warm.round) * REQUESTS);
    expect(perRequest, JSON.stringify(rounds.map((r) => r.objects))).toBeLessThan(MAX_BYTES_PER_REQUEST);
    // The limiters hold a bucket per subscriber or key seen, not per request.
    expect(last.subscriberBuckets).toBe((rounds[0] as Round).subscriberBuckets);
    expect(last.keyBuckets).toBeLessThanOrEqual(2);
  }, 120_000);
});
