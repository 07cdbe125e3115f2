import { DurableObject } from 'cloudflare:workers';
import type { BlockConfig, StoredBlock } from '../../core/blocks/schema.ts';
import type { Product } from '../../core/catalog/product.ts';
import { TRENDING_WINDOW_HOURS, hourOf, rankBuckets, type TrendingIncrement } from '../../core/decide/trending.ts';
import { BLOCK_VERSIONS_KEPT, type StoredTemplate } from '../../core/ports.ts';
import {
  NEIGHBOUR_MAX_AGE_DAYS,
  applyNeighbourIncrements,
  groupIncrements,
  rankedNeighbours,
  type Neighbour,
  type NeighbourIncrement,
  type NeighbourList,
} from '../../core/recommend/neighbours.ts';
import type { PeopleQuery, ReportBatch, ReportCount, ReportUnit, Touches, GalleryRow } from '../../core/reports/cells.ts';
import { REPORT_TABLES, sqlReports, type SqlReports, type SqlValue } from './report-sql.ts';

/** SQL storage binds bytes as an ArrayBuffer. */
const bindable = (value: SqlValue): string | number | null | ArrayBuffer => (value instanceof Uint8Array ? value.slice().buffer : value);

/**
 * Data that belongs to no subscriber: block configs and templates (versioned:
 * every put raises the version, atomically), the catalog, trending buckets
 * co-occurrence neighbours, counters and report aggregates. One class, several
 * named objects (`config`, `catalog`, `trending`, `neighbours`, `counters`,
 * `reports`), so that the write traffic of one (trending, on
 * every event) does not queue behind or in front of another (blocks, read
 * by every instance every few seconds). Each object has the same schema and
 * uses only its own tables.
 */
export type GlobalObjectName = 'config' | 'catalog' | 'trending' | 'neighbours' | 'counters' | 'reports';

/** Old trending buckets and neighbour lists are dropped this often (by the real clock). */
const SWEEP_INTERVAL_MS = 3_600_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS blocks (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS templates (name TEXT PRIMARY KEY, version INTEGER NOT NULL, source TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS trending (scope TEXT NOT NULL, hour INTEGER NOT NULL, product TEXT NOT NULL, count REAL NOT NULL, PRIMARY KEY (scope, hour, product));
  CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value REAL NOT NULL);
  CREATE TABLE IF NOT EXISTS block_versions (id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (id, version));
  CREATE TABLE IF NOT EXISTS neighbours (list TEXT NOT NULL, product TEXT NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (list, product));
  ${REPORT_TABLES}
`;

export class GlobalObject extends DurableObject {
  private schemaReady = false;
  private reportsSql: SqlReports | undefined;

  /** Report aggregates in this object's SQL storage (report-sql.ts, as the embedded store keeps them). */
  private get reports(): SqlReports {
    const sql = this.sql;
    this.reportsSql ??= sqlReports({
      all: <T>(text: string, params: readonly SqlValue[]) => sql.exec(text, ...params.map(bindable)).toArray() as T[],
      run: (text, params) => {
        sql.exec(text, ...params.map(bindable));
      },
      transaction: (work) => this.ctx.storage.transactionSync(work),
    });
    return this.reportsSql;
  }

  async addToReports(batch: ReportBatch, now: number): Promise<void> {
    this.reports.addToReports(batch, now);
  }

  async readReportCounts(scope: string, unit: ReportUnit, from: number, to: number): Promise<ReportCount[]> {
    return this.reports.readReportCounts(scope, unit, from, to);
  }

  async countReportPeople(scope: string, unit: ReportUnit, queries: PeopleQuery[]): Promise<number[]> {
    return this.reports.countReportPeople(scope, unit, queries);
  }

  async getTouches(person: string, now: number): Promise<Touches | undefined> {
    return this.reports.getTouches(person, now);
  }

  async claimOnce(key: string, now: number, ttlSeconds: number): Promise<boolean> {
    return this.reports.claimOnce(key, now, ttlSeconds);
  }

  async readGallery(block: string): Promise<GalleryRow[]> {
    return this.reports.readGallery(block);
  }

  private get sql(): SqlStorage {
    if (!this.schemaReady) {
      this.ctx.storage.sql.exec(SCHEMA);
      this.schemaReady = true;
    }
    return this.ctx.storage.sql;
  }

  async ping(): Promise<void> {
    this.sql.exec('SELECT 1');
  }

  async putBlock(config: BlockConfig, now: number): Promise<StoredBlock> {
    return this.ctx.storage.transactionSync(() => {
      const version = (this.sql.exec<{ version: number }>('SELECT version FROM blocks WHERE id = ?', config.id).toArray()[0]?.version ?? 0) + 1;
      this.sql.exec(
        'INSERT INTO blocks (id, version, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
        config.id,
        version,
        JSON.stringify(config),
        now,
      );
      this.sql.exec('INSERT OR REPLACE INTO block_versions (id, version, data, updated_at) VALUES (?, ?, ?, ?)', config.id, version, JSON.stringify(config), now);
      this.sql.exec('DELETE FROM block_versions WHERE id = ? AND version <= ?', config.id, version - BLOCK_VERSIONS_KEPT);
      return { config, version, updatedAt: now };
    });
  }

  /** A block's kept versions as JSON rows, newest first. */
  async listBlockVersions(id: string): Promise<Array<{ version: number; data: string; updated_at: number }>> {
    return this.sql
      .exec<{ version: number; data: string; updated_at: number }>('SELECT version, data, updated_at FROM block_versions WHERE id = ? ORDER BY version DESC', id)
      .toArray();
  }

  async getBlockVersion(id: string, version: number): Promise<{ version: number; data: string; updated_at: number } | undefined> {
    return this.sql
      .exec<{ version: number; data: string; updated_at: number }>('SELECT version, data, updated_at FROM block_versions WHERE id = ? AND version = ?', id, version)
      .toArray()[0];
  }

  /** Blocks as JSON rows: a config is the marketer's JSON, which RPC need not re-encode. */
  async getBlock(id: string): Promise<{ version: number; data: string; updated_at: number } | undefined> {
    return this.sql.exec<{ version: number; data: string; updated_at: number }>(`SELECT version, data, updated_at FROM blocks WHERE id = ? AND data <> ''`, id).toArray()[0];
  }

  async listBlocks(): Promise<Array<{ version: number; data: string; updated_at: number }>> {
    return this.sql.exec<{ version: number; data: string; updated_at: number }>(`SELECT version, data, updated_at FROM blocks WHERE data <> '' ORDER BY id`).toArray();
  }

  async putTemplate(name: string, source: string, now: number): Promise<StoredTemplate> {
    return this.ctx.storage.transactionSync(() => {
      const version = (this.sql.exec<{ version: number }>('SELECT version FROM templates WHERE name = ?', name).toArray()[0]?.version ?? 0) + 1;
      this.sql.exec(
        'INSERT INTO templates (name, version, source, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, source = excluded.source, updated_at = excluded.updated_at',
        name,
        version,
        source,
        now,
      );
      return { name, source, version, updatedAt: now };
    });
  }

  async getTemplate(name: string): Promise<StoredTemplate | undefined> {
    const row = this.sql
      .exec<{ name: string; version: number; source: string; updated_at: number }>(`SELECT name, version, source, updated_at FROM templates WHERE name = ? AND source <> ''`, name)
      .toArray()[0];
    return row ? { name: row.name, version: row.version, source: row.source, updatedAt: row.updated_at } : undefined;
  }

  async listTemplates(): Promise<StoredTemplate[]> {
    return this.sql
      .exec<{ name: string; version: number; source: string; updated_at: number }>(`SELECT name, version, source, updated_at FROM templates WHERE source <> '' ORDER BY name`)
      .toArray()
      .map((row) => ({ name: row.name, version: row.version, source: row.source, updatedAt: row.updated_at }));
  }

  // A deleted block or template stays as a row with empty content, which keeps its version.
  async deleteBlock(id: string): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM block_versions WHERE id = ?', id);
      return this.sql.exec(`UPDATE blocks SET data = '' WHERE id = ? AND data <> ''`, id).rowsWritten > 0;
    });
  }

  async deleteTemplate(name: string): Promise<boolean> {
    return this.sql.exec(`UPDATE templates SET source = '' WHERE name = ? AND source <> ''`, name).rowsWritten > 0;
  }

  async deleteProducts(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.sql.exec('DELETE FROM products WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(ids)).rowsWritten;
  }

  /** Products as JSON rows in id order (SQLite's BINARY order: code points), after `after`. */
  async listProducts(limit: number, after: string | undefined): Promise<Array<{ data: string }>> {
    return after === undefined
      ? this.sql.exec<{ data: string }>('SELECT data FROM products ORDER BY id LIMIT ?', limit).toArray()
      : this.sql.exec<{ data: string }>('SELECT data FROM products WHERE id > ? ORDER BY id LIMIT ?', after, limit).toArray();
  }

  async putProducts(products: Product[], now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const product of products) {
        this.sql.exec(
          'INSERT INTO products (id, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
          product.id,
          JSON.stringify(product),
          now,
        );
      }
    });
  }

  /** Products as JSON rows (parsed by the caller). */
  async getProducts(ids: string[]): Promise<Array<{ id: string; data: string }>> {
    if (ids.length === 0) return [];
    return this.sql.exec<{ id: string; data: string }>('SELECT id, data FROM products WHERE id IN (SELECT value FROM json_each(?))', JSON.stringify(ids)).toArray();
  }

  async bumpTrending(increments: TrendingIncrement[], now: number): Promise<void> {
    const hour = hourOf(now);
    this.ctx.storage.transactionSync(() => {
      for (const inc of increments) {
        this.sql.exec(
          'INSERT INTO trending (scope, hour, product, count) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count',
          inc.scope,
          hour,
          inc.productId,
          inc.weight,
        );
      }
    });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_INTERVAL_MS);
  }

  async topTrending(scope: string, now: number, limit: number): Promise<string[]> {
    const nowHour = hourOf(now);
    const rows = this.sql
      .exec<{ hour: number; product: string; count: number }>('SELECT hour, product, count FROM trending WHERE scope = ? AND hour > ?', scope, nowHour - TRENDING_WINDOW_HOURS)
      .toArray();
    return rankBuckets(
      rows.map((r) => ({ hour: r.hour, productId: r.product, count: r.count })),
      nowHour,
      limit,
    );
  }

  /** Each (list, product) rewritten with the core's rule, all in one transaction. */
  async bumpNeighbours(increments: NeighbourIncrement[], now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const group of groupIncrements(increments).values()) {
        const row = this.sql.exec<{ data: string }>('SELECT data FROM neighbours WHERE list = ? AND product = ?', group.list, group.productId).toArray()[0];
        const next = applyNeighbourIncrements(row ? (JSON.parse(row.data) as Array<[string, number]>) : [], group.adds, now);
        if (next.length === 0) this.sql.exec('DELETE FROM neighbours WHERE list = ? AND product = ?', group.list, group.productId);
        else
          this.sql.exec(
            'INSERT INTO neighbours (list, product, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
            group.list,
            group.productId,
            JSON.stringify(next),
            Date.now(),
          );
      }
    });
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_INTERVAL_MS);
  }

  async getNeighbours(list: NeighbourList, productIds: string[], now: number): Promise<Map<string, Neighbour[]>> {
    const found = new Map<string, Neighbour[]>();
    if (productIds.length === 0) return found;
    const rows = this.sql
      .exec<{ product: string; data: string }>(
        'SELECT product, data FROM neighbours WHERE list = ? AND product IN (SELECT value FROM json_each(?))',
        list,
        JSON.stringify(productIds),
      )
      .toArray();
    for (const row of rows) {
      const ranked = rankedNeighbours(JSON.parse(row.data) as Array<[string, number]>, now);
      if (ranked.length > 0) found.set(row.product, ranked);
    }
    return found;
  }

  async incrementCounters(counts: Record<string, number>): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const [name, n] of Object.entries(counts)) {
        this.sql.exec('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value', name, n);
      }
    });
  }

  async readCounters(): Promise<Record<string, number>> {
    return Object.fromEntries(
      this.sql
        .exec<{ name: string; value: number }>('SELECT name, value FROM counters')
        .toArray()
        .map((r) => [r.name, r.value]),
    );
  }

  /** Drops trending buckets that no longer count, and neighbour lists not bumped for NEIGHBOUR_MAX_AGE_DAYS. */
  override async alarm(): Promise<void> {
    this.sql.exec('DELETE FROM trending WHERE hour <= ?', hourOf(Date.now()) - TRENDING_WINDOW_HOURS);
    this.sql.exec('DELETE FROM neighbours WHERE updated_at <= ?', Date.now() - NEIGHBOUR_MAX_AGE_DAYS * 86_400_000);
    const left = this.sql.exec('SELECT 1 FROM trending UNION ALL SELECT 1 FROM neighbours LIMIT 1').toArray().length > 0;
    if (left) await this.ctx.storage.setAlarm(Date.now() + SWEEP_INTERVAL_MS);
  }
}
