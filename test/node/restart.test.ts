import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';

/**
 * The real entry point as an operator runs it (`node src/node.ts`), killed
 * without warning: what it acknowledged must be there when it comes back.
 */
let dataDir: string;
const children: ChildProcess[] = [];

async function boot(): Promise<NodeProcess> {
  const started = await startNodeProcess(dataDir);
  children.push(started.child);
  return started;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'opentime-restart-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('restart', () => {
  it('keeps every acknowledged event across a SIGKILL, and generated keys stay the same', async () => {
    const first = await boot();
    const keys = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as { writeKey: string; adminKey: string };
    const auth = `Basic ${btoa(`${keys.writeKey}:`)}`;
    const acknowledged: string[] = [];
    // 40 requests of 5 events, as fast as the server takes them.
    await Promise.all(
      Array.from({ length: 40 }, async (_, r) => {
        const batch = Array.from({ length: 5 }, (_, i) => ({
          type: 'track',
          userId: `shopper-${r % 4}`,
          event: 'Product Added',
          messageId: `m-${r}-${i}`,
          properties: { product_id: `sku-${r}-${i}` },
        }));
        const response = await fetch(`${first.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        if (response.status === 200) acknowledged.push(...batch.map((e) => e.properties.product_id));
      }),
    );
    expect(acknowledged).toHaveLength(200);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));

    const second = await boot();
    const stored: string[] = [];
    for (let s = 0; s < 4; s++) {
      const response = await fetch(`${second.url}/v1/profiles/shopper-${s}`, { headers: { authorization: `Bearer ${keys.adminKey}` } });
      expect(response.status).toBe(200);
      stored.push(...(await response.json()).profile.cart.map((line: { id: string }) => line.id));
    }
    // Each shopper's cart keeps its 50 most recent lines, so every acknowledged add is there.
    expect(stored.sort()).toEqual(acknowledged.sort());

    // A sender retrying after the crash does not double anything: dedupe survived too.
    const retry = await fetch(`${second.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [{ type: 'track', userId: 'shopper-0', event: 'Product Added', messageId: 'm-0-0', properties: { product_id: 'sku-0-0' } }] }),
    });
    expect(await retry.json()).toMatchObject({ applied: 0, duplicates: 1 });
    second.child.kill('SIGTERM');
    await new Promise((done) => second.child.once('exit', done));
  });
});
