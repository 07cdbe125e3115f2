import {
  GALLERY_SIZE,
  TOUCH_TTL_MS,
  mergeTouches,
  newestRenders,
  peopleMatch,
  withGalleryAdd,
  type GalleryRow,
  type PeopleQuery,
  type ReportBatch,
  type ReportCount,
  type ReportUnit,
  type Touches,
} from '../../core/reports/cells.ts';
import { addPeople, countUnion, decodeSketch, emptySketch, encodeSketch, type Sketch } from '../../core/reports/sketch.ts';

/**
 * Report aggregates in SQL, for the two stores that are SQLite underneath:
 * the embedded store (node:sqlite) and the Durable Object that holds
 * reports on Workers (its SQL storage). Each passes the few calls this
 * needs; nothing here imports either platform.
 */
export type SqlValue = string | number | null | Uint8Array;

export interface SqlDb {
  all<T>(sql: string, params: readonly SqlValue[]): T[];
  run(sql: string, params: readonly SqlValue[]): void;
  transaction<T>(work: () => T): T;
}

export const REPORT_TABLES = `
  CREATE TABLE IF NOT EXISTS report_counts (scope TEXT NOT NULL, unit TEXT NOT NULL, bucket INTEGER NOT NULL, cell TEXT NOT NULL, measure TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (scope, unit, bucket, cell, measure)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS report_counts_bucket ON report_counts (bucket);
  CREATE TABLE IF NOT EXISTS report_people (scope TEXT NOT NULL, unit TEXT NOT NULL, bucket INTEGER NOT NULL, name TEXT NOT NULL, sketch NOT NULL, PRIMARY KEY (scope, unit, bucket, name)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS report_people_bucket ON report_people (bucket);
  CREATE TABLE IF NOT EXISTS report_touches (person TEXT PRIMARY KEY, data TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS report_touches_at ON report_touches (at);
  CREATE TABLE IF NOT EXISTS report_claims (key TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS report_claims_until ON report_claims (until);
  CREATE TABLE IF NOT EXISTS report_gallery (block TEXT NOT NULL, render TEXT NOT NULL, decision TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, opens INTEGER NOT NULL, clicks INTEGER NOT NULL, PRIMARY KEY (block, render)) WITHOUT ROWID;
`;

/** Old buckets, touches and claims are dropped at most this often, during a write. */
const SWEEP_EVERY_MS = 3_600_000;

export interface SqlReports {
  addToReports(batch: ReportBatch, now: number): void;
  readReportCounts(scope: string, unit: ReportUnit, from: number, to: number): ReportCount[];
  countReportPeople(scope: string, unit: ReportUnit, queries: readonly PeopleQuery[]): number[];
  getTouches(person: string, now: number): Touches | undefined;
  claimOnce(key: string, now: number, ttlSeconds: number): boolean;
  readGallery(block: string): GalleryRow[];
}

interface GallerySqlRow {
  render: string;
  decision: string;
  first_seen: number;
  last_seen: number;
  opens: number;
  clicks: number;
}

const galleryRow = (row: GallerySqlRow): GalleryRow => ({
  render: row.render,
  decision: row.decision,
  firstSeen: Number(row.first_seen),
  lastSeen: Number(row.last_seen),
  opens: Number(row.opens),
  clicks: Number(row.clicks),
});

export function sqlReports(db: SqlDb): SqlReports {
  let sweptAt = Number.NEGATIVE_INFINITY;
  const sweep = (now: number, retentionMs: number) => {
    if (now - sweptAt < SWEEP_EVERY_MS) return;
    sweptAt = now;
    db.run('DELETE FROM report_counts WHERE bucket < ?', [now - retentionMs]);
    db.run('DELETE FROM report_people WHERE bucket < ?', [now - retentionMs]);
    db.run('DELETE FROM report_touches WHERE at <= ?', [now - TOUCH_TTL_MS]);
    db.run('DELETE FROM report_claims WHERE until <= ?', [now]);
    db.run('DELETE FROM report_gallery WHERE last_seen < ?', [now - retentionMs]);
  };

  return {
    addToReports(batch, now) {
      db.transaction(() => {
        for (const c of batch.counts) {
          db.run('INSERT INTO report_counts (scope, unit, bucket, cell, measure, value) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = value + excluded.value', [
            c.scope,
            c.unit,
            c.bucket,
            c.cell,
            c.measure,
            c.value,
          ]);
        }
        for (const p of batch.people) {
          const row = db.all<{ sketch: string | Uint8Array | ArrayBuffer }>('SELECT sketch FROM report_people WHERE scope = ? AND unit = ? AND bucket = ? AND name = ?', [
            p.scope,
            p.unit,
            p.bucket,
            p.set,
          ])[0];
          const sketch = addPeople(row ? decodeSketch(row.sketch) : emptySketch(), p.members);
          db.run('INSERT INTO report_people (scope, unit, bucket, name, sketch) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET sketch = excluded.sketch', [
            p.scope,
            p.unit,
            p.bucket,
            p.set,
            encodeSketch(sketch),
          ]);
        }
        for (const t of batch.touches) {
          const row = db.all<{ data: string }>('SELECT data FROM report_touches WHERE person = ?', [t.person])[0];
          const merged = mergeTouches(row ? (JSON.parse(row.data) as Touches) : undefined, t.touches);
          const at = Math.max(merged.click?.at ?? 0, merged.open?.at ?? 0);
          db.run('INSERT INTO report_touches (person, data, at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, at = excluded.at', [
            t.person,
            JSON.stringify(merged),
            at,
          ]);
        }
        const blocks = new Set<string>();
        for (const add of batch.gallery ?? []) {
          const found = db.all<GallerySqlRow>('SELECT render, decision, first_seen, last_seen, opens, clicks FROM report_gallery WHERE block = ? AND render = ?', [
            add.block,
            add.render,
          ])[0];
          const row = withGalleryAdd(found ? galleryRow(found) : undefined, add);
          if (!row) continue;
          db.run(
            'INSERT INTO report_gallery (block, render, decision, first_seen, last_seen, opens, clicks) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET decision = excluded.decision, first_seen = excluded.first_seen, last_seen = excluded.last_seen, opens = excluded.opens, clicks = excluded.clicks',
            [add.block, row.render, row.decision, row.firstSeen, row.lastSeen, row.opens, row.clicks],
          );
          blocks.add(add.block);
        }
        for (const block of blocks) {
          db.run('DELETE FROM report_gallery WHERE block = ? AND render NOT IN (SELECT render FROM report_gallery WHERE block = ? ORDER BY last_seen DESC, render LIMIT ?)', [
            block,
            block,
            GALLERY_SIZE,
          ]);
        }
        sweep(now, batch.retentionMs);
      });
    },

    readReportCounts(scope, unit, from, to) {
      return db
        .all<{ bucket: number; cell: string; measure: string; value: number }>(
          'SELECT bucket, cell, measure, value FROM report_counts WHERE scope = ? AND unit = ? AND bucket >= ? AND bucket <= ?',
          [scope, unit, from, to],
        )
        .map((row) => ({ scope, unit, bucket: Number(row.bucket), cell: row.cell, measure: row.measure, value: Number(row.value) }));
    },

    countReportPeople(scope, unit, queries) {
      const buckets = [...new Set(queries.flatMap((q) => q.buckets))];
      if (buckets.length === 0) return queries.map(() => 0);
      const rows = db.all<{ bucket: number; name: string; sketch: string | Uint8Array | ArrayBuffer }>(
        'SELECT bucket, name, sketch FROM report_people WHERE scope = ? AND unit = ? AND bucket >= ? AND bucket <= ?',
        [scope, unit, Math.min(...buckets), Math.max(...buckets)],
      );
      const decoded = new Map<string, Sketch>();
      const sketchOf = (row: { bucket: number; name: string; sketch: string | Uint8Array | ArrayBuffer }) => {
        const key = `${row.bucket}|${row.name}`;
        let sketch = decoded.get(key);
        if (!sketch) {
          sketch = decodeSketch(row.sketch);
          decoded.set(key, sketch);
        }
        return sketch;
      };
      return queries.map((query) => {
        const wanted = new Set(query.buckets);
        return countUnion(rows.filter((row) => wanted.has(Number(row.bucket)) && peopleMatch(query, row.name)).map(sketchOf));
      });
    },

    getTouches(person, now) {
      const row = db.all<{ data: string }>('SELECT data FROM report_touches WHERE person = ?', [person])[0];
      if (!row) return undefined;
      const t = JSON.parse(row.data) as Touches;
      const click = t.click && t.click.at + TOUCH_TTL_MS > now ? t.click : undefined;
      const open = t.open && t.open.at + TOUCH_TTL_MS > now ? t.open : undefined;
      return click || open ? { ...(click ? { click } : {}), ...(open ? { open } : {}) } : undefined;
    },

    readGallery(block) {
      return newestRenders(
        db
          .all<GallerySqlRow>('SELECT render, decision, first_seen, last_seen, opens, clicks FROM report_gallery WHERE block = ? ORDER BY last_seen DESC LIMIT ?', [
            block,
            GALLERY_SIZE,
          ])
          .map(galleryRow),
      );
    },

    claimOnce(key, now, ttlSeconds) {
      return db.transaction(() => {
        const row = db.all<{ until: number }>('SELECT until FROM report_claims WHERE key = ?', [key])[0];
        if (row && Number(row.until) > now) return false;
        db.run('INSERT INTO report_claims (key, until) VALUES (?, ?) ON CONFLICT DO UPDATE SET until = excluded.until', [key, now + ttlSeconds * 1000]);
        return true;
      });
    },
  };
}
