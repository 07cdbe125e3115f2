import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * Starting and stopping the server as an operator does: `node src/node.ts`
 * and `npm start` as real processes, stopped with real signals.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let dataDir: string;
const children: ChildProcess[] = [];

interface Booted {
  url: string;
  port: number;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(command: string, args: string[], env: Record<string, string>, options: { detached?: boolean } = {}): Booted & { started: Promise<void> } {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, OPENTIME_DATA_DIR: dataDir, OPENTIME_DEMO: '0', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  const booted = { url: '', port: 0, child, stdout: () => out, stderr: () => err, exited } as Booted;
  const started = new Promise<void>((found, failed) => {
    const timer = setTimeout(() => failed(new Error(`server did not start: ${err}`)), 30_000);
    child.stderr?.on('data', () => {
      const match = /running on (http:\/\/localhost:(\d+))/.exec(err);
      if (match && !booted.url) {
        clearTimeout(timer);
        booted.url = match[1] as string;
        booted.port = Number(match[2]);
        found();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      failed(new Error(`server exited: ${err}`));
    });
  });
  started.catch(() => undefined); // awaited by boot(); a launch expected to fail reads `exited`
  return Object.assign(booted, { started });
}

async function boot(env: Record<string, string> = {}): Promise<Booted> {
  const booted = launch(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/node.ts'], { PORT: '0', ...env });
  await booted.started;
  return booted;
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** A POST whose body arrives in two parts, so the request stays in flight until `finish()`. */
function slowPost(port: number, path: string, headers: Record<string, string>, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': String(bytes.length) } });
  const answer = new Promise<{ status: number; body: string }>((done, failed) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', failed);
  });
  req.write(bytes.subarray(0, half));
  return { answer, finish: () => req.end(bytes.subarray(half)) };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-lifecycle-'));
});
afterEach(() => {
  for (const child of children.splice(0)) {
    // npm runs in its own process group: what it leaves behind goes with the group.
    if (child.spawnargs[0] === 'npm' && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
    } else if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('stopping on SIGTERM', () => {
  it('fails readiness, finishes the request in flight, exits 0, and what it acknowledged (the event, a click count) is stored', async () => {
    const server = await boot({ OPENTIME_SHUTDOWN_SECONDS: '20' });
    const keys = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { writeKey: string; adminKey: string };
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const event = { userId: 'draining-shopper', event: 'Product Added', messageId: 'drain-1', properties: { product_id: 'late-sku', quantity: 1 } };
    const inFlight = slowPost(server.port, '/v1/track', { authorization: `Basic ${btoa(`${keys.writeKey}:`)}`, 'content-type': 'application/json' }, JSON.stringify(event));
    // A click just before the signal: its counter is buffered in memory, to be written at shutdown.
    const countdown = await readFile(join(ROOT, 'templates/countdown-sale.json'), 'utf8');
    const put = await fetch(`${server.url}/v1/blocks/countdown-sale`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${keys.adminKey}`, 'content-type': 'application/json' },
      body: countdown,
    });
    expect(put.status).toBe(200);
    const click = await fetch(`${server.url}/c/countdown-sale/0?u=draining-shopper&m=m1`, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' },
    });
    expect(click.status).toBe(302);
    await new Promise((done) => setTimeout(done, 200));
    server.child.kill('SIGTERM');

    // While the request is in flight the server still answers, and says it is not ready.
    const readiness = await until(async () => {
      const response = await fetch(`${server.url}/readyz`);
      return response.status === 503 ? response : undefined;
    });
    expect(await readiness.json()).toMatchObject({ ok: false, draining: true });
    // Keep-alive clients are told to reconnect, to an instance that is staying.
    expect(readiness.headers.get('connection')).toBe('close');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);

    inFlight.finish();
    expect(await inFlight.answer).toMatchObject({ status: 200 });
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const again = await boot();
    const profile = await fetch(`${again.url}/v1/profiles/draining-shopper`, { headers: { authorization: `Bearer ${keys.adminKey}` } });
    expect(profile.status).toBe(200);
    expect((await profile.json()).profile.cart).toEqual([expect.objectContaining({ id: 'late-sku' })]);
    const stats = await (await fetch(`${again.url}/v1/stats`, { headers: { authorization: `Bearer ${keys.adminKey}` } })).json();
    expect(stats.counters.clicks).toBe(1);
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('closes a request that outlasts OPENTIME_SHUTDOWN_SECONDS, and still exits 0', async () => {
    const server = await boot({ OPENTIME_SHUTDOWN_SECONDS: '1' });
    const keys = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { writeKey: string };
    const stuck = slowPost(
      server.port,
      '/v1/track',
      { authorization: `Basic ${btoa(`${keys.writeKey}:`)}`, 'content-type': 'application/json' },
      JSON.stringify({ userId: 'stuck', event: 'Product Viewed' }),
    );
    const settled = stuck.answer.then(
      () => 'answered',
      () => 'closed',
    );
    await new Promise((done) => setTimeout(done, 200));
    const sent = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(8000);
    expect(await settled).toBe('closed');
    expect(server.stderr()).toContain('shutdown deadline passed');
  }, 30_000);
});

describe('a port in use', () => {
  it('says which port and how to pick another, and exits non-zero', async () => {
    const first = await boot();
    const second = launch(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/node.ts'], { PORT: String(first.port) });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.stderr()).toContain(`port ${first.port} is already in use`);
    expect(second.stderr()).toContain(`PORT=${first.port + 1} npm start`);
    expect(second.stderr()).not.toContain('Unhandled');
    first.child.kill('SIGTERM');
    await first.exited;
  }, 60_000);
});

describe('npm start', () => {
  // `npm start` runs sh, which runs src/run-with-node.mjs, which runs src/node.ts: each way of
  // stopping it must stop the server (the port is free) and leave no process behind.
  const stops: Array<[string, (npm: number, wrapper: number) => void]> = [
    ['Ctrl-C to the process group', (npm) => process.kill(-npm, 'SIGINT')],
    ['SIGTERM to the process group', (npm) => process.kill(-npm, 'SIGTERM')],
    ['SIGTERM to npm alone', (npm) => process.kill(npm, 'SIGTERM')],
    ['SIGTERM to the wrapper alone', (_npm, wrapper) => process.kill(wrapper, 'SIGTERM')],
  ];
  for (const [name, stop] of stops) {
    it(`stops the server on ${name}`, async () => {
      const npm = launch('npm', ['start', '--silent'], { PORT: '0' }, { detached: true });
      await npm.started;
      const pid = npm.child.pid as number;
      const tree = await processTree(pid);
      const wrapper = tree.find((p) => p.command.includes('run-with-node.mjs'));
      const server = tree.find((p) => p.command.includes('src/node.ts') && !p.command.includes('run-with-node.mjs'));
      expect(wrapper && server).toBeTruthy();
      expect((await fetch(`${npm.url}/healthz`)).status).toBe(200);

      stop(pid, wrapper?.pid as number);
      await until(async () => ((await refused(`${npm.url}/healthz`)) ? true : undefined));
      await until(async () => (alive(server?.pid as number) || alive(wrapper?.pid as number) ? undefined : true));
      expect(npm.stderr()).toContain('finishing requests in flight');
    }, 60_000);
  }
});

async function processTree(root: number): Promise<Array<{ pid: number; command: string }>> {
  const { execFileSync } = await import('node:child_process');
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3] as string }));
  const found: Array<{ pid: number; command: string }> = [];
  const walk = (pid: number) => {
    for (const row of rows.filter((r) => r.ppid === pid)) {
      found.push(row);
      walk(row.pid);
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
