import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A real `redis-server` of the test's own, on a free port in a temporary
 * directory, that a test can stop (as a crash or a clean shutdown) and start
 * again on the same port. There is no mock Redis: if the binary is missing
 * the test fails and says how to install it. Test files call `close()` in
 * afterAll; servers still running when the process exits are killed.
 */
export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server and waits until it has exited. SIGKILL (the default) is a crash; SIGTERM a clean shutdown. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts it again on the same port, with the same directory (and so, when durable, the same data). */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** An append-only file synced at every write, so that what Redis acknowledged survives a SIGKILL. */
  durable?: boolean;
  /** Cluster mode, with all 16384 slots on this one node (CROSSSLOT errors as on a real cluster). */
  cluster?: boolean;
}

const READY_TIMEOUT_MS = 10_000;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function requireBinary(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server is not on PATH. The Redis tests run against a real server (no mock): install it (Debian/Ubuntu: apt-get install redis-server, macOS: brew install redis) and run them again.',
    );
  }
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((listening) => probe.listen(0, '127.0.0.1', listening));
  const address = probe.address();
  await new Promise((closed) => probe.close(closed));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireBinary();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'opentime-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;

  const args = () => {
    const list = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
    list.push(...(options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    if (options.cluster) list.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1');
    return list;
  };

  const launch = () =>
    new Promise<void>((ready, failed) => {
      const server = spawn('redis-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      child = server;
      running.add(server);
      let output = '';
      const timer = setTimeout(() => failed(new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const collect = (chunk: Buffer) => {
        // Keep the tail only: enough to explain a failure, and the pipe never fills up.
        output = (output + chunk.toString()).slice(-4000);
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ready();
        }
      };
      server.stdout?.on('data', collect);
      server.stderr?.on('data', collect);
      server.once('exit', (code, signal) => {
        running.delete(server);
        clearTimeout(timer);
        failed(new Error(`redis-server on port ${port} exited (${signal ?? code}):\n${output}`));
      });
    });

  const stop = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL') => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((done) => current.once('exit', done));
    current.kill(signal);
    await exited;
  };

  const assignSlots = async () => {
    const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      const info = String(await admin.call('cluster', 'info'));
      if (!info.includes('cluster_state:ok')) {
        const slots = String(await admin.call('cluster', 'slots'));
        if (slots === '') await admin.call('cluster', 'addslotsrange', 0, 16383);
        for (let i = 0; i < 100 && !String(await admin.call('cluster', 'info')).includes('cluster_state:ok'); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      admin.disconnect();
    }
  };

  const start = async () => {
    await launch();
    if (options.cluster) await assignSlots();
  };

  // Another process may take the probed port before redis-server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      await stop();
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
