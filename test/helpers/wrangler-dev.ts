import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';

/**
 * The Worker as `npm run dev:worker` runs it: `wrangler dev` bundles
 * src/worker.ts and serves it from workerd, with the static assets of
 * wrangler.toml, on a free loopback port, its state in `stateDir`. Nothing
 * is downloaded: no telemetry, and no `Request.cf` data from Cloudflare.
 */
export interface WranglerDev {
  origin: string;
  /** What wrangler printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export const WRANGLER_STARTUP_MS = 90_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startWranglerDev(stateDir: string, vars: Record<string, string>): Promise<WranglerDev> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const args = [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--persist-to',
    stateDir,
    '--inspector-port',
    String(await freePort()),
  ];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
  // Its own process group, so that wrangler and the workerd it starts are stopped together.
  const wrangler: ChildProcess = spawn(process.execPath, args, { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  wrangler.stdout?.on('data', collect);
  wrangler.stderr?.on('data', collect);
  const stop = async () => {
    if (wrangler.pid === undefined || wrangler.exitCode !== null) return;
    const exited = new Promise((done) => wrangler.once('exit', done));
    process.kill(-wrangler.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
  };
  const deadline = Date.now() + WRANGLER_STARTUP_MS;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${origin}/healthz`)).status === 200) return { origin, output: () => output, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer within ${WRANGLER_STARTUP_MS} ms:\n${output}`);
}
