import { mkdirSync } from 'node:fs';
import { announcing, LocalSubjectChanges } from '../../core/audience/subject-changes.ts';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { BlockConfig, StoredBlock } from '../../core/blocks/schema.ts';
import type { Product } from '../../core/catalog/product.ts';
import type { Decision } from '../../core/decide/decide.ts';
import { TRENDING_WINDOW_HOURS, hourOf, rankBuckets } from '../../core/decide/trending.ts';
import { sqliteTriggerStore } from './sqlite-triggers.ts';
import {
  BLOCK_VERSIONS_KEPT,
  type ApplyResult,
  type OpenKey,
  type OpenRecord,
  type Store,
  type StoredTemplate,
  type SubjectDeletion,
  type SuppressionSource,
} from '../../core/ports.ts';
import type { Profile } from '../../core/profiles/profile.ts';
import { mergeProfiles } from '../../core/profiles/merge.ts';
import { dedupeHorizon, updateSubject } from '../../core/profiles/store-kit.ts';
import { SubjectRows } from './subject-rows.ts';
import { NEIGHBOUR_MAX_AGE_DAYS, applyNeighbourIncrements, groupIncrements, rankedNeighbours, type Neighbour } from '../../core/recommend/neighbours.ts';
import { REPORT_TABLES, sqlReports, type SqlValue } from './report-sql.ts';

/**
 * The embedded store: SQLite (node:sqlite, built into Node 22+) in WAL mode
 * under the data directory, so a single instance needs no server and keeps
 * its events across restarts. Events, links, the catalog and blocks are
 * written with `synchronous=FULL`: a write that returned is on disk, which
 * is what a 2xx to an event sender promises. Concurrent event writes share
 * one transaction (group commit), so a burst costs one sync, not one each.
 * Open records and counters can be rebuilt or lost without harm; they go
 * through a second connection with `synchronous=NORMAL`.
 */
export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for tests. */
  path: string;
  /** Expired rows (dedupe entries, open records, old trending buckets, old profiles) are swept this often. */
  sweepIntervalMs?: number;
  /** Profiles not written for this long are gone (default: kept). */
  retentionSeconds?: number;
  /** The wall clock for retention (tests move it). */
  now?: () => number;
}

/** Profiles held in process (their JSON): a send's recent openers. */
const PROFILE_ROWS_BYTES = 32 * 1024 * 1024;
/** Links and suppressions held in process, absent ones included. */
const SMALL_ROWS_BYTES = 8 * 1024 * 1024;

/** Schema changes in order; PRAGMA user_version says how many have run. */
const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS profiles (subject TEXT PRIMARY KEY, data TEXT NOT NULL, last_seen INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS links (subject TEXT PRIMARY KEY, target TEXT NOT NULL, linked_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS applied (subject TEXT NOT NULL, message_id TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject, message_id)) WITHOUT ROWID;
   CREATE INDEX IF NOT EXISTS applied_at ON applied (at);
   CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS blocks (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE IF NOT EXISTS opens (block TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (block, subject, message)) WITHOUT ROWID;
   CREATE INDEX IF NOT EXISTS opens_expiry ON opens (expires_at);
   CREATE TABLE IF NOT EXISTS trending (scope TEXT NOT NULL, hour INTEGER NOT NULL, product TEXT NOT NULL, count REAL NOT NULL, PRIMARY KEY (scope, hour, product)) WITHOUT ROWID;
   CREATE INDEX IF NOT EXISTS trending_hour ON trending (hour);
   CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID;`,
  `ALTER TABLE profiles ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX profiles_written ON profiles (written_at);
   CREATE INDEX links_target ON links (target);
   CREATE INDEX opens_subject ON opens (subject);
   CREATE TABLE suppressions (subject TEXT PRIMARY KEY, source TEXT NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE templates (name TEXT PRIMARY KEY, version INTEGER NOT NULL, source TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;`,
  `CREATE TABLE open_memos (block TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (block, subject, message)) WITHOUT ROWID;
   CREATE INDEX open_memos_expiry ON open_memos (expires_at);`,
  // One row per (list, product): its ranked neighbours as JSON [[id, score], …], bounded by the core's rule.
  `CREATE TABLE neighbours (list TEXT NOT NULL, product TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (list, product)) WITHOUT ROWID;
   CREATE INDEX neighbours_updated ON neighbours (updated_at);`,
  REPORT_TABLES,
  `CREATE TABLE block_versions (id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (id, version)) WITHOUT ROWID;`,
];

function migrate(db: DatabaseSync): void {
  const { user_version: done } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  for (let i = done; i < MIGRATIONS.length; i++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(MIGRATIONS[i] as string);
      db.exec(`PRAGMA user_version = ${i + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new Error(`[opentime] [sqlite] migration ${i + 1} failed`, { cause: error });
    }
  }
}

export function sqliteStore(options: SqliteStoreOptions): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new DatabaseSync(options.path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  migrate(db);
  const wallClock = options.now ?? (() => Date.now());
  /** Profiles written before this are past retention. */
  const retentionHorizon = () => (options.retentionSeconds === undefined ? -1 : wallClock() - options.retentionSeconds * 1000);
  // The same file through a second connection, for writes that need not wait for the disk.
  const relaxedDb = options.path === ':memory:' ? db : new DatabaseSync(options.path);
  if (relaxedDb !== db) relaxedDb.exec('PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');

  const prepared = (connection: DatabaseSync) => {
    const statements = new Map<string, StatementSync>();
    return (text: string): StatementSync => {
      let statement = statements.get(text);
      if (!statement) {
        statement = connection.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    };
  };
  const sql = prepared(db);
  const relaxed = prepared(relaxedDb);

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE takes the write lock up front). */
  const transaction = <T>(work: () => T, connection: DatabaseSync = db): T => {
    connection.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      connection.exec('COMMIT');
      return result;
    } catch (error) {
      connection.exec('ROLLBACK');
      throw error;
    }
  };

  /**
   * Group commit: event writes that arrive while one is pending join it, and
   * all of them commit in one transaction on the next turn of the event loop.
   * If that transaction fails, every caller in it gets the error (and none of
   * their events is stored), so each sender retries.
   */
  let group: Array<{ work: () => ApplyResult; done: (r: ApplyResult) => void; fail: (e: unknown) => void }> = [];
  const runGroup = () => {
    const current = group;
    group = [];
    let results: ApplyResult[];
    try {
      results = transaction(() => current.map((entry) => entry.work()));
    } catch (error) {
      for (const entry of current) entry.fail(error);
      return;
    }
    current.forEach((entry, i) => {
      entry.done(results[i] as ApplyResult);
    });
  };
  const inGroup = (work: () => ApplyResult): Promise<ApplyResult> =>
    new Promise((done, fail) => {
      if (group.length === 0) setImmediate(runGroup);
      group.push({ work, done, fail });
    });

  // What every open reads about its subscriber, held in process (subject-rows.ts); every write below forgets its row.
  const profileRows = new SubjectRows<string>({ maxBytes: PROFILE_ROWS_BYTES, size: (data) => data.length * 2 });
  const linkRows = new SubjectRows<string>({ maxBytes: SMALL_ROWS_BYTES, size: (target) => target.length * 2 });
  const suppressionRows = new SubjectRows<SuppressionSource>({ maxBytes: SMALL_ROWS_BYTES, size: () => 16 });

  const readProfile = (subject: string): Profile | undefined => {
    const row = sql('SELECT data FROM profiles WHERE subject = ? AND written_at > ?').get(subject, retentionHorizon()) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Profile) : undefined;
  };
  const writeProfile = (subject: string, profile: Profile) => {
    profileRows.forget(subject);
    sql(
      'INSERT INTO profiles (subject, data, last_seen, written_at) VALUES (?, ?, ?, ?) ON CONFLICT (subject) DO UPDATE SET data = excluded.data, last_seen = excluded.last_seen, written_at = excluded.written_at',
    ).run(subject, JSON.stringify(profile), profile.lastSeen, wallClock());
  };

  /**
   * Open records, written together: every new open of a send writes one,
   * and a commit each cost more than its row (6% of a send's main thread).
   * Those that come in one turn of the event loop are written in one
   * transaction on the next; a read of one, a subject's deletion and
   * closing write those waiting first.
   */
  let openRows: Array<{ row: SqlValue[]; done: () => void; fail: (error: unknown) => void }> = [];
  const writeOpenRows = () => {
    const waiting = openRows;
    if (waiting.length === 0) return;
    openRows = [];
    try {
      transaction(() => {
        const insert = relaxed(
          'INSERT INTO opens (block, subject, message, data, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
        );
        for (const { row } of waiting) insert.run(...row);
      }, relaxedDb);
    } catch (error) {
      for (const entry of waiting) entry.fail(error);
      return;
    }
    for (const entry of waiting) entry.done();
  };

  const sweep = () => {
    const now = wallClock();
    try {
      db.prepare('DELETE FROM applied WHERE at < ?').run(dedupeHorizon(now));
      db.prepare('DELETE FROM opens WHERE expires_at <= ?').run(now);
      db.prepare('DELETE FROM open_memos WHERE expires_at <= ?').run(now);
      db.prepare('DELETE FROM trending WHERE hour <= ?').run(hourOf(now) - TRENDING_WINDOW_HOURS);
      db.prepare('DELETE FROM neighbours WHERE updated_at <= ?').run(now - NEIGHBOUR_MAX_AGE_DAYS * 86_400_000);
      if (options.retentionSeconds !== undefined) {
        db.prepare('DELETE FROM profiles WHERE written_at <= ?').run(retentionHorizon());
        db.prepare('DELETE FROM links WHERE linked_at <= ?').run(retentionHorizon());
      }
    } catch {
      // A busy database is swept next time.
    }
  };
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 10 * 60_000);
  sweeper.unref();
  let closed = false;
  // Aggregates, like counters, through the connection that need not wait for the disk.
  const reports = sqlReports({
    all: <T>(text: string, params: readonly SqlValue[]) => relaxed(text).all(...params) as T[],
    run: (text, params) => {
      relaxed(text).run(...params);
    },
    transaction: (work) => transaction(work, relaxedDb),
  });
  const open = () => {
    if (closed) throw new Error('[opentime] [sqlite] store is closed');
  };
  const triggerPart = sqliteTriggerStore({ db, sql, transaction });

  return announcing({
    name: 'sqlite',
    // The embedded store is one instance's alone (subject-rows.ts): its changes are heard where they are made.
    subjectChanges: new LocalSubjectChanges(),
    ...triggerPart,

    async addToReports(batch, now) {
      open();
      reports.addToReports(batch, now);
    },
    async readReportCounts(scope, unit, from, to) {
      open();
      return reports.readReportCounts(scope, unit, from, to);
    },
    async countReportPeople(scope, unit, queries) {
      open();
      return reports.countReportPeople(scope, unit, queries);
    },
    async getTouches(person, now) {
      open();
      return reports.getTouches(person, now);
    },
    async claimOnce(key, now, ttlSeconds) {
      open();
      return reports.claimOnce(key, now, ttlSeconds);
    },
    async readGallery(block) {
      open();
      return reports.readGallery(block);
    },

    async ping() {
      if (closed) throw new Error('[opentime] [sqlite] store is closed');
      sql('SELECT 1').get();
    },

    async getLinks(keys) {
      const found = new Map<string, string>();
      if (keys.length === 1) {
        // Every open asks about one subscriber: a plain lookup is several times faster than json_each.
        const key = keys[0] as string;
        const target = linkRows.read(key, retentionHorizon(), () => {
          const row = sql('SELECT target, linked_at FROM links WHERE subject = ?').get(key) as { target: string; linked_at: number } | undefined;
          return row ? { value: row.target, writtenAt: row.linked_at } : undefined;
        });
        if (target !== undefined) found.set(key, target);
        return found;
      }
      const rows = sql('SELECT subject, target FROM links WHERE subject IN (SELECT value FROM json_each(?)) AND linked_at > ?').all(
        JSON.stringify(keys),
        retentionHorizon(),
      ) as Array<{
        subject: string;
        target: string;
      }>;
      for (const row of rows) found.set(row.subject, row.target);
      return found;
    },

    async countLinksInto(keys) {
      const rows = sql('SELECT target, COUNT(*) AS n FROM links WHERE target IN (SELECT value FROM json_each(?)) AND linked_at > ? GROUP BY target').all(
        JSON.stringify(keys),
        retentionHorizon(),
      ) as Array<{ target: string; n: number }>;
      return new Map(rows.map((row) => [row.target, Number(row.n)]));
    },

    async getProfile(subjectKey) {
      const data = profileRows.read(subjectKey, retentionHorizon(), () => {
        const row = sql('SELECT data, written_at FROM profiles WHERE subject = ?').get(subjectKey) as { data: string; written_at: number } | undefined;
        return row ? { value: row.data, writtenAt: row.written_at } : undefined;
      });
      return data === undefined ? undefined : (JSON.parse(data) as Profile);
    },

    async applyEvents(groups, now): Promise<ApplyResult> {
      if (closed) throw new Error('[opentime] [sqlite] store is closed');
      const horizon = dedupeHorizon(now);
      return inGroup(() => {
        const result: ApplyResult = { applied: [], duplicates: [] };
        for (const group of groups) {
          const ids = JSON.stringify(group.events.map((e) => e.messageId));
          const seenRows = sql('SELECT message_id FROM applied WHERE subject = ? AND at >= ? AND message_id IN (SELECT value FROM json_each(?))').all(
            group.subjectKey,
            horizon,
            ids,
          ) as Array<{ message_id: string }>;
          const update = updateSubject(readProfile(group.subjectKey), new Set(seenRows.map((r) => r.message_id)), group.events);
          if (update.profile) writeProfile(group.subjectKey, update.profile);
          const remember = sql('INSERT INTO applied (subject, message_id, at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET at = excluded.at');
          for (const id of update.applied) remember.run(group.subjectKey, id, now);
          result.applied.push(...update.applied);
          result.duplicates.push(...update.duplicates);
        }
        return result;
      });
    },

    async linkSubject(fromKey, toKey) {
      if (closed) throw new Error('[opentime] [sqlite] store is closed');
      // A key linked to itself would lose its profile to its own merge.
      if (fromKey === toKey) return;
      // Events accepted before this link are committed first, so none lands under the old key after it.
      if (group.length > 0) runGroup();
      linkRows.forget(fromKey);
      profileRows.forget(fromKey);
      transaction(() => {
        // linked_at is on the retention clock: a link lasts as long as a profile written then.
        sql('INSERT INTO links (subject, target, linked_at) VALUES (?, ?, ?) ON CONFLICT (subject) DO UPDATE SET target = excluded.target, linked_at = excluded.linked_at').run(
          fromKey,
          toKey,
          wallClock(),
        );
        const from = readProfile(fromKey);
        if (from) {
          writeProfile(toKey, mergeProfiles(readProfile(toKey), from));
          sql('DELETE FROM profiles WHERE subject = ?').run(fromKey);
        }
        // A messageId both subjects applied stays a duplicate until the later of the two leaves the window.
        sql('INSERT INTO applied (subject, message_id, at) SELECT ?, message_id, at FROM applied WHERE subject = ? ON CONFLICT DO UPDATE SET at = max(at, excluded.at)').run(
          toKey,
          fromKey,
        );
        sql('DELETE FROM applied WHERE subject = ?').run(fromKey);
      });
    },

    async deleteSubject(subjectKey): Promise<SubjectDeletion> {
      writeOpenRows();
      profileRows.forget(subjectKey);
      linkRows.clear(); // the links into this subject, whose keys only the table knows
      return transaction(() => {
        // Memos live seconds; they go with the subject all the same.
        sql('DELETE FROM open_memos WHERE subject = ?').run(subjectKey);
        return {
          profile: Number(sql('DELETE FROM profiles WHERE subject = ?').run(subjectKey).changes) > 0,
          links: Number(sql('DELETE FROM links WHERE subject = ? OR target = ?').run(subjectKey, subjectKey).changes),
          openRecords: Number(sql('DELETE FROM opens WHERE subject = ?').run(subjectKey).changes),
          messageIds: Number(sql('DELETE FROM applied WHERE subject = ?').run(subjectKey).changes),
        };
      });
    },

    async setSuppression(keys, source, now) {
      transaction(() => {
        const set = sql('INSERT INTO suppressions (subject, source, since) VALUES (?, ?, ?) ON CONFLICT (subject) DO UPDATE SET source = excluded.source');
        const lift = sql('DELETE FROM suppressions WHERE subject = ?');
        for (const key of keys) {
          suppressionRows.forget(key);
          if (source === undefined) lift.run(key);
          else set.run(key, source, now);
        }
      });
    },

    async getSuppressions(keys) {
      if (keys.length === 1) {
        const key = keys[0] as string;
        const source = suppressionRows.read(key, Number.NEGATIVE_INFINITY, () => {
          const row = sql('SELECT source FROM suppressions WHERE subject = ?').get(key) as { source: SuppressionSource } | undefined;
          return row ? { value: row.source, writtenAt: Number.POSITIVE_INFINITY } : undefined;
        });
        return new Map(source === undefined ? [] : [[key, source]]);
      }
      const rows = sql('SELECT subject, source FROM suppressions WHERE subject IN (SELECT value FROM json_each(?))').all(JSON.stringify(keys)) as Array<{
        subject: string;
        source: SuppressionSource;
      }>;
      return new Map(rows.map((r) => [r.subject, r.source]));
    },

    async putProducts(products, now) {
      transaction(() => {
        const upsert = sql('INSERT INTO products (id, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at');
        for (const product of products) upsert.run(product.id, JSON.stringify(product), now);
      });
    },

    async getProducts(ids) {
      const found = new Map<string, Product>();
      if (ids.length === 0) return found;
      const rows = sql('SELECT id, data FROM products WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Array<{ id: string; data: string }>;
      for (const row of rows) found.set(row.id, JSON.parse(row.data) as Product);
      return found;
    },

    async deleteProducts(ids) {
      if (ids.length === 0) return 0;
      return Number(sql('DELETE FROM products WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids)).changes);
    },

    async listProducts(limit, after) {
      // The primary key's BINARY order is UTF-8 byte order, that is code point order.
      const rows = (
        after === undefined ? sql('SELECT data FROM products ORDER BY id LIMIT ?').all(limit) : sql('SELECT data FROM products WHERE id > ? ORDER BY id LIMIT ?').all(after, limit)
      ) as Array<{ data: string }>;
      return rows.map((row) => JSON.parse(row.data) as Product);
    },

    async putBlock(config, now) {
      return transaction(() => {
        const row = sql('SELECT version FROM blocks WHERE id = ?').get(config.id) as { version: number } | undefined;
        const version = (row?.version ?? 0) + 1;
        sql(
          'INSERT INTO blocks (id, version, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
        ).run(config.id, version, JSON.stringify(config), now);
        sql('INSERT OR REPLACE INTO block_versions (id, version, data, updated_at) VALUES (?, ?, ?, ?)').run(config.id, version, JSON.stringify(config), now);
        sql('DELETE FROM block_versions WHERE id = ? AND version <= ?').run(config.id, version - BLOCK_VERSIONS_KEPT);
        return { config, version, updatedAt: now };
      });
    },

    async getBlock(id) {
      const row = sql(`SELECT version, data, updated_at FROM blocks WHERE id = ? AND data <> ''`).get(id) as { version: number; data: string; updated_at: number } | undefined;
      return row ? { config: JSON.parse(row.data) as BlockConfig, version: row.version, updatedAt: row.updated_at } : undefined;
    },

    async listBlocks() {
      const rows = sql(`SELECT version, data, updated_at FROM blocks WHERE data <> '' ORDER BY id`).all() as Array<{ version: number; data: string; updated_at: number }>;
      return rows.map((row): StoredBlock => ({ config: JSON.parse(row.data) as BlockConfig, version: row.version, updatedAt: row.updated_at }));
    },

    async deleteBlock(id) {
      return transaction(() => {
        sql('DELETE FROM block_versions WHERE id = ?').run(id);
        return sql(`UPDATE blocks SET data = '' WHERE id = ? AND data <> ''`).run(id).changes > 0;
      });
    },

    async listBlockVersions(id) {
      const rows = sql('SELECT version, data, updated_at FROM block_versions WHERE id = ? ORDER BY version DESC').all(id) as Array<{
        version: number;
        data: string;
        updated_at: number;
      }>;
      return rows.map((row): StoredBlock => ({ config: JSON.parse(row.data) as BlockConfig, version: row.version, updatedAt: row.updated_at }));
    },

    async getBlockVersion(id, version) {
      const row = sql('SELECT version, data, updated_at FROM block_versions WHERE id = ? AND version = ?').get(id, version) as
        | { version: number; data: string; updated_at: number }
        | undefined;
      return row ? { config: JSON.parse(row.data) as BlockConfig, version: row.version, updatedAt: row.updated_at } : undefined;
    },

    async putTemplate(name, source, now) {
      return transaction(() => {
        const row = sql('SELECT version FROM templates WHERE name = ?').get(name) as { version: number } | undefined;
        const version = (row?.version ?? 0) + 1;
        sql(
          'INSERT INTO templates (name, version, source, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, source = excluded.source, updated_at = excluded.updated_at',
        ).run(name, version, source, now);
        return { name, source, version, updatedAt: now };
      });
    },

    async getTemplate(name) {
      const row = sql(`SELECT name, version, source, updated_at FROM templates WHERE name = ? AND source <> ''`).get(name) as
        | { name: string; version: number; source: string; updated_at: number }
        | undefined;
      return row ? { name: row.name, version: row.version, source: row.source, updatedAt: row.updated_at } : undefined;
    },

    async listTemplates() {
      const rows = sql(`SELECT name, version, source, updated_at FROM templates WHERE source <> '' ORDER BY name`).all() as Array<{
        name: string;
        version: number;
        source: string;
        updated_at: number;
      }>;
      return rows.map((row): StoredTemplate => ({ name: row.name, version: row.version, source: row.source, updatedAt: row.updated_at }));
    },

    // A deleted template or block stays as a row with empty content, which keeps its version.
    async deleteTemplate(name) {
      return sql(`UPDATE templates SET source = '' WHERE name = ? AND source <> ''`).run(name).changes > 0;
    },

    putOpenRecord(key: OpenKey, record: OpenRecord, ttlSeconds: number) {
      const row = [key.blockId, key.subjectKey, key.messageId, JSON.stringify(record), record.renderedAt + ttlSeconds * 1000];
      return new Promise<void>((done, fail) => {
        if (openRows.length === 0) setImmediate(writeOpenRows);
        openRows.push({ row, done, fail });
      });
    },

    async getOpenRecord(key, now) {
      writeOpenRows();
      const row = sql('SELECT data FROM opens WHERE block = ? AND subject = ? AND message = ? AND expires_at > ?').get(key.blockId, key.subjectKey, key.messageId, now) as
        | { data: string }
        | undefined;
      return row ? (JSON.parse(row.data) as OpenRecord) : undefined;
    },

    // One write transaction: of two instances claiming the same memo, the second sees the first's. On the
    // relaxed connection: a memo lives seconds, and an open waits for its claim, so it need not wait for the disk.
    async claimOpenMemo(key, decision, now, ttlMs) {
      return transaction(() => {
        const row = relaxed('SELECT data FROM open_memos WHERE block = ? AND subject = ? AND message = ? AND expires_at > ?').get(
          key.blockId,
          key.subjectKey,
          key.messageId,
          now,
        ) as { data: string } | undefined;
        if (row) return { decision: JSON.parse(row.data) as Decision, claimed: false };
        relaxed(
          'INSERT INTO open_memos (block, subject, message, data, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
        ).run(key.blockId, key.subjectKey, key.messageId, JSON.stringify(decision), now + ttlMs);
        return { decision, claimed: true };
      }, relaxedDb);
    },

    async bumpTrending(increments, now) {
      const hour = hourOf(now);
      transaction(() => {
        const bump = sql('INSERT INTO trending (scope, hour, product, count) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count');
        for (const inc of increments) bump.run(inc.scope, hour, inc.productId, inc.weight);
      });
    },

    async topTrending(scope, now, limit) {
      const nowHour = hourOf(now);
      const rows = sql('SELECT hour, product, count FROM trending WHERE scope = ? AND hour > ?').all(scope, nowHour - TRENDING_WINDOW_HOURS) as Array<{
        hour: number;
        product: string;
        count: number;
      }>;
      return rankBuckets(
        rows.map((r) => ({ hour: r.hour, productId: r.product, count: r.count })),
        nowHour,
        limit,
      );
    },

    // Neighbour lists are derived from events already stored: they go through the relaxed connection.
    async bumpNeighbours(increments, now) {
      transaction(() => {
        const read = relaxed('SELECT data FROM neighbours WHERE list = ? AND product = ?');
        const write = relaxed(
          'INSERT INTO neighbours (list, product, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
        );
        const remove = relaxed('DELETE FROM neighbours WHERE list = ? AND product = ?');
        for (const group of groupIncrements(increments).values()) {
          const row = read.get(group.list, group.productId) as { data: string } | undefined;
          const next = applyNeighbourIncrements(row ? (JSON.parse(row.data) as Array<[string, number]>) : [], group.adds, now);
          if (next.length > 0) write.run(group.list, group.productId, JSON.stringify(next), wallClock());
          else remove.run(group.list, group.productId);
        }
      }, relaxedDb);
    },

    async getNeighbours(list, productIds, now) {
      const found = new Map<string, Neighbour[]>();
      const read = sql('SELECT data FROM neighbours WHERE list = ? AND product = ?');
      for (const id of new Set(productIds)) {
        const row = read.get(list, id) as { data: string } | undefined;
        const ranked = row ? rankedNeighbours(JSON.parse(row.data) as Array<[string, number]>, now) : [];
        if (ranked.length > 0) found.set(id, ranked);
      }
      return found;
    },

    async incrementCounters(counts) {
      transaction(() => {
        const add = relaxed('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value');
        for (const [name, n] of Object.entries(counts)) add.run(name, n);
      }, relaxedDb);
    },

    async readCounters() {
      const rows = sql('SELECT name, value FROM counters').all() as Array<{ name: string; value: number }>;
      return Object.fromEntries(rows.map((r) => [r.name, r.value]));
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      if (group.length > 0) runGroup();
      writeOpenRows();
      if (relaxedDb !== db) relaxedDb.close();
      db.close();
    },
  });
}
