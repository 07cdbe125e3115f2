import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface NodeProcess {
  url: string;
  child: ChildProcess;
}

/**
 * `node src/node.ts` as an operator starts it, on a free port, with its data
 * in `dataDir`: resolves with its URL once it says it is running (the banner
 * on stderr), rejects if it exits first or has not started within 20 s.
 * The caller kills it (`child.kill`).
 */
export async function startNodeProcess(dataDir: string, env: Record<string, string> = {}): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/node.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', OPENTIME_DATA_DIR: dataDir, OPENTIME_DEMO: '0', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((found, failed) => {
    let output = '';
    const timer = setTimeout(() => failed(new Error(`server did not start: ${output}`)), 20_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running on (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        found(match[1] as string);
      }
    });
    child.once('exit', (code) => failed(new Error(`server exited with ${code}: ${output}`)));
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { url, child };
}
