import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * wrk (Debian package `wrk`) as the load generator for throughput: a C
 * event loop on its own core, so the server under test, not the generator,
 * is what is measured. `paths` are requested in turn (a Lua script), so a
 * run can spread over many subscribers as a send does.
 */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export async function wrk(options: { origin: string; paths: readonly string[]; seconds: number; connections: number }): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'opentime-wrk-'));
  const script = join(dir, 'paths.lua');
  const list = options.paths.map((p) => JSON.stringify(p)).join(',\n  ');
  await writeFile(script, `local paths = {\n  ${list}\n}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);
  try {
    const out = await new Promise<string>((done, fail) =>
      execFile('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '-s', script, options.origin], (error, stdout) =>
        error ? fail(new Error(`wrk failed (apt-get install wrk): ${error.message}`)) : done(stdout),
      ),
    );
    const number = (pattern: RegExp) => Number(pattern.exec(out)?.[1] ?? NaN);
    const ms = (pattern: RegExp) => {
      const match = pattern.exec(out);
      if (!match) return NaN;
      const value = Number(match[1]);
      return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
    };
    return {
      requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
      p50Ms: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
      p99Ms: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
      non2xx: number(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
      errors: [...out.matchAll(/(connect|read|write|timeout) (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `a` and `b` alternately `rounds` times and keeps each one's median: a busy shared machine drifts between runs. */
export async function alternate(rounds: number, a: () => Promise<WrkResult>, b: () => Promise<WrkResult>): Promise<[WrkResult, WrkResult]> {
  const as: WrkResult[] = [];
  const bs: WrkResult[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(await a());
    bs.push(await b());
  }
  const median = (runs: WrkResult[]) => [...runs].sort((x, y) => x.requestsPerSecond - y.requestsPerSecond)[Math.floor(runs.length / 2)] as WrkResult;
  return [median(as), median(bs)];
}
