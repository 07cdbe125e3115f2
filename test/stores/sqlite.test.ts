import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { blockSchema } from '../../src/core/blocks/schema.ts';
import { reduceProfile } from '../../src/core/profiles/reducer.ts';
import { NOW, added, describeStore } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentime-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStore('sqlite', () => sqliteStore({ path: join(dir, `contract-${++n}.db`) }));

describe('sqlite store on disk', () => {
  it('keeps profiles, dedupe entries, blocks and counters when reopened', async () => {
    const path = join(dir, 'reopen.db');
    const first = sqliteStore({ path });
    const event = added('kept');
    await first.applyEvents([{ subjectKey: 'u:kept', events: [event] }], reduceProfile, 86_400, NOW);
    await first.putBlock(blockSchema.parse({ id: 'b', size: { width: 600, height: 300 }, slots: 1, source: [{ from: 'cart' }], fallback: { url: 'https://x.example.com/' } }), NOW);
    await first.incrementCounters({ opens: 7 });
    await first.close();

    const second = sqliteStore({ path });
    expect((await second.getProfile('u:kept'))?.cart.map((l) => l.id)).toEqual(['kept']);
    expect((await second.applyEvents([{ subjectKey: 'u:kept', events: [event] }], reduceProfile, 86_400, NOW + 1)).duplicates).toEqual([event.messageId]);
    expect((await second.getBlock('b'))?.version).toBe(1);
    expect((await second.readCounters()).opens).toBe(7);
    await second.close();
  });

  it('runs in WAL mode', async () => {
    const path = join(dir, 'wal.db');
    const store = sqliteStore({ path });
    await store.ping();
    const check = new DatabaseSync(path);
    expect((check.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    check.close();
    await store.close();
  });
});
