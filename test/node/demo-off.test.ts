import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';

/** `node src/node.ts` started with the demo on, then again with OPENTIME_DEMO=0 on the same data. */
let dataDir: string;
const children: ChildProcess[] = [];

async function boot(demo: '0' | '1'): Promise<NodeProcess> {
  const started = await startNodeProcess(dataDir, { OPENTIME_DEMO: demo });
  children.push(started.child);
  return started;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-demo-off-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('turning the demo off', () => {
  it('removes the demo shop from the store at the next start, and keeps the shop’s own products', async () => {
    const first = await boot('1');
    const { adminKey } = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { adminKey: string };
    const admin = (url: string, path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' } });
    const catalog = async (url: string) => ((await (await admin(url, '/v1/catalog/products')).json()) as { products: Array<{ id: string; title: string }> }).products;
    expect((await catalog(first.url)).length).toBe(8);
    const ours = [
      { id: 'aviators', title: 'Our Aviators', price: 70, url: 'https://shop.example.com/aviators' },
      { id: 'my-sku', title: 'Our Own', price: 10, url: 'https://shop.example.com/my-sku' },
    ];
    expect((await admin(first.url, '/v1/catalog/products', { method: 'PUT', body: JSON.stringify(ours) })).status).toBe(200);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));

    const second = await boot('0');
    expect((await catalog(second.url)).map((p) => [p.id, p.title])).toEqual([
      ['aviators', 'Our Aviators'],
      ['my-sku', 'Our Own'],
    ]);
    expect((await admin(second.url, '/v1/blocks/demo-picks')).status).toBe(404);
  });
});
