import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/adapters/store/sqlite.ts';
import { reduceProfile } from '../../src/core/profiles/reducer.ts';
import { HOUR, NOW, added, blockConfig, describeStore } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentime-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `store-${++files}.db`);

describeStore('sqlite', (setup) => sqliteStore({ path: freshFile(), ...setup }));

describe('sqlite store on disk', () => {
  it('keeps profiles, dedupe entries, blocks and counters when the file is reopened', async () => {
    const path = freshFile();
    const first = sqliteStore({ path });
    const event = added('kept', NOW);
    await first.applyEvents([{ subjectKey: 'u:kept', events: [event] }], NOW);
    await first.putBlock(blockConfig('grid'), NOW);
    await first.putBlock(blockConfig('grid', 'Again'), NOW);
    await first.incrementCounters({ opens: 7 });
    await first.close();

    const second = sqliteStore({ path });
    try {
      expect(await second.getProfile('u:kept')).toEqual(reduceProfile(undefined, [event]));
      const retried = await second.applyEvents([{ subjectKey: 'u:kept', events: [event] }], NOW + HOUR);
      expect(retried).toEqual({ applied: [], duplicates: [event.messageId] });
      expect(await second.getBlock('grid')).toEqual({ config: blockConfig('grid', 'Again'), version: 2, updatedAt: NOW });
      expect((await second.putBlock(blockConfig('grid', 'Third'), NOW)).version).toBe(3);
      expect((await second.readCounters()).opens).toBe(7);
    } finally {
      await second.close();
    }
  });

  it('commits events still waiting for their group when the store closes', async () => {
    const path = freshFile();
    const store = sqliteStore({ path });
    const event = added('in-flight', NOW);
    const pending = store.applyEvents([{ subjectKey: 'u:flight', events: [event] }], NOW);
    await store.close();
    expect(await pending).toEqual({ applied: [event.messageId], duplicates: [] });

    const reopened = sqliteStore({ path });
    try {
      expect((await reopened.getProfile('u:flight'))?.cart.map((line) => line.id)).toEqual(['in-flight']);
    } finally {
      await reopened.close();
    }
  });

  it('runs the database in WAL mode', async () => {
    const path = freshFile();
    const store = sqliteStore({ path });
    await store.ping();
    const other = new DatabaseSync(path);
    try {
      expect(other.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      other.close();
      await store.close();
    }
  });
});
