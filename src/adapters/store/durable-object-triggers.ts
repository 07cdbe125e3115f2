import { DurableObject } from 'cloudflare:workers';
import type { TriggerStore } from '../../core/ports.ts';
import {
  DEAD_LETTERS_KEPT,
  INTEREST_PER_PRODUCT_KEPT,
  RECENT_SENDS_KEPT,
  SENDS_PER_SUBJECT_KEPT,
  type DeadLetter,
  type Episode,
  type Interest,
  type SendRecord,
} from '../../core/triggers/episode.ts';
import type { StoredTrigger, TriggerConfig } from '../../core/triggers/schema.ts';
import { fireDueTriggers, type TriggerAlarmEnv } from '../workers/trigger-alarm.ts';

/**
 * Triggers on Workers: one Durable Object (named `<prefix>triggers`) holds
 * the definitions, the open episodes with their due times, sends, dead
 * letters and product interest, in its SQLite storage. An object runs one
 * call at a time, so a claim is atomic without more. Its alarm is the timer:
 * every write of a due time sets the alarm to the earliest one, and the
 * alarm claims and sends what is due (trigger-alarm.ts), then sets itself
 * for the next. An alarm that throws is retried by the runtime, and a claim
 * whose send never finished comes back when its lease ends: nothing due is
 * lost with an isolate.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS triggers (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS episodes (trigger TEXT NOT NULL, subject TEXT NOT NULL, id TEXT NOT NULL, due_at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (trigger, subject));
  CREATE INDEX IF NOT EXISTS episodes_due ON episodes (due_at);
  CREATE TABLE IF NOT EXISTS sends (trigger TEXT NOT NULL, subject TEXT NOT NULL, episode TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (trigger, subject, episode));
  CREATE INDEX IF NOT EXISTS sends_recent ON sends (trigger, at);
  CREATE TABLE IF NOT EXISTS dead_letters (id TEXT PRIMARY KEY, failed_at INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS interest (product TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (product, subject));
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
const SENDS_KEPT_MS = 366 * 86_400_000;
/** With OPENTIME_TRIGGERS=off the alarm looks again this often, so episodes go out soon after it is back on. */
const PAUSED_RETRY_MS = 60_000;
const FAILED_ROUND_RETRY_MS = 1000;

type Row = Record<string, SqlStorageValue>;

export class TriggerObject extends DurableObject<TriggerAlarmEnv> implements TriggerStore {
  private schemaReady = false;

  private get sql(): SqlStorage {
    if (!this.schemaReady) {
      this.ctx.storage.sql.exec(SCHEMA);
      this.schemaReady = true;
    }
    return this.ctx.storage.sql;
  }
  private rows<T extends Row>(query: string, ...bindings: SqlStorageValue[]): T[] {
    return this.sql.exec<T>(query, ...bindings).toArray();
  }
  private episodeRow(triggerId: string, subjectKey: string): Episode | undefined {
    const row = this.rows<{ data: string; due_at: number }>('SELECT data, due_at FROM episodes WHERE trigger = ? AND subject = ?', triggerId, subjectKey)[0];
    return row ? { ...(JSON.parse(row.data) as Episode), dueAt: row.due_at } : undefined;
  }

  /** The store's object prefix, kept for the alarm, which builds a store of its own. */
  async remember(prefix: string): Promise<void> {
    this.sql.exec('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', 'prefix', prefix);
  }

  /** Sets the alarm to the earliest due time, not before `notBefore` (or clears it when nothing waits). */
  private async arm(notBefore = 0): Promise<void> {
    const next = this.rows<{ next: number | null }>('SELECT MIN(due_at) AS next FROM episodes')[0]?.next ?? null;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(next, notBefore));
  }

  override async alarm(): Promise<void> {
    const prefix = this.rows<{ value: string }>(`SELECT value FROM meta WHERE name = 'prefix'`)[0]?.value ?? '';
    let paused = false;
    try {
      paused = (await fireDueTriggers(this.env, prefix, localTriggerStore(this))) === 'off';
    } finally {
      // What is still due after a round (the triggers are off, or the round failed) waits a little, not in a tight loop.
      await this.arm(Date.now() + (paused ? PAUSED_RETRY_MS : FAILED_ROUND_RETRY_MS));
    }
  }

  async putTrigger(config: TriggerConfig, now: number): Promise<StoredTrigger> {
    return this.ctx.storage.transactionSync(() => {
      const version = (this.rows<{ version: number }>('SELECT version FROM triggers WHERE id = ?', config.id)[0]?.version ?? 0) + 1;
      this.sql.exec(
        'INSERT INTO triggers (id, version, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
        config.id,
        version,
        JSON.stringify(config),
        now,
      );
      return { config, version, updatedAt: now };
    });
  }
  async getTrigger(id: string): Promise<StoredTrigger | undefined> {
    const row = this.rows<{ version: number; data: string; updated_at: number }>(`SELECT version, data, updated_at FROM triggers WHERE id = ? AND data <> ''`, id)[0];
    return row && { config: JSON.parse(row.data) as TriggerConfig, version: row.version, updatedAt: row.updated_at };
  }
  async listTriggers(): Promise<StoredTrigger[]> {
    return this.rows<{ version: number; data: string; updated_at: number }>(`SELECT version, data, updated_at FROM triggers WHERE data <> '' ORDER BY id`).map((row) => ({
      config: JSON.parse(row.data) as TriggerConfig,
      version: row.version,
      updatedAt: row.updated_at,
    }));
  }
  async deleteTrigger(id: string): Promise<boolean> {
    return this.sql.exec(`UPDATE triggers SET data = '' WHERE id = ? AND data <> ''`, id).rowsWritten > 0;
  }

  async openEpisode(episode: Episode): Promise<boolean> {
    const written = this.sql.exec(
      'INSERT INTO episodes (trigger, subject, id, due_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      episode.triggerId,
      episode.subjectKey,
      episode.id,
      episode.dueAt,
      JSON.stringify(episode),
    ).rowsWritten;
    if (written > 0) await this.arm();
    return written > 0;
  }
  async getEpisode(triggerId: string, subjectKey: string): Promise<Episode | undefined> {
    return this.episodeRow(triggerId, subjectKey);
  }
  async closeEpisode(triggerId: string, subjectKey: string, episodeId?: string): Promise<Episode | undefined> {
    const found = this.episodeRow(triggerId, subjectKey);
    if (!found || (episodeId !== undefined && found.id !== episodeId)) return undefined;
    this.sql.exec('DELETE FROM episodes WHERE trigger = ? AND subject = ?', triggerId, subjectKey);
    await this.arm();
    return found;
  }
  async claimDueEpisodes(now: number, limit: number, leaseMs: number): Promise<Episode[]> {
    const claimed = this.ctx.storage.transactionSync(() => {
      const rows = this.rows<{ trigger: string; subject: string; data: string }>(
        'SELECT trigger, subject, data FROM episodes WHERE due_at <= ? ORDER BY due_at LIMIT ?',
        now,
        limit,
      );
      for (const row of rows) this.sql.exec('UPDATE episodes SET due_at = ? WHERE trigger = ? AND subject = ?', now + leaseMs, row.trigger, row.subject);
      return rows.map((row) => ({ ...(JSON.parse(row.data) as Episode), dueAt: now + leaseMs }));
    });
    if (claimed.length > 0) await this.arm();
    return claimed;
  }
  async rescheduleEpisode(episode: Episode): Promise<boolean> {
    const written = this.sql.exec(
      'UPDATE episodes SET due_at = ?, data = ? WHERE trigger = ? AND subject = ? AND id = ?',
      episode.dueAt,
      JSON.stringify(episode),
      episode.triggerId,
      episode.subjectKey,
      episode.id,
    ).rowsWritten;
    if (written > 0) await this.arm();
    return written > 0;
  }
  async nextDueAt(): Promise<number | undefined> {
    return this.rows<{ next: number | null }>('SELECT MIN(due_at) AS next FROM episodes')[0]?.next ?? undefined;
  }

  async recordSend(record: SendRecord): Promise<boolean> {
    return this.ctx.storage.transactionSync(() => {
      const written = this.sql.exec(
        'INSERT INTO sends (trigger, subject, episode, at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        record.triggerId,
        record.subjectKey,
        record.episodeId,
        record.at,
        JSON.stringify(record),
      ).rowsWritten;
      if (written === 0) return false;
      this.sql.exec(
        'DELETE FROM sends WHERE trigger = ? AND subject = ? AND episode NOT IN (SELECT episode FROM sends WHERE trigger = ? AND subject = ? ORDER BY at DESC LIMIT ?)',
        record.triggerId,
        record.subjectKey,
        record.triggerId,
        record.subjectKey,
        SENDS_PER_SUBJECT_KEPT,
      );
      this.sql.exec('DELETE FROM sends WHERE trigger = ? AND at < ?', record.triggerId, record.at - SENDS_KEPT_MS);
      return true;
    });
  }
  async sendsOf(triggerId: string, subjectKey: string, since: number): Promise<SendRecord[]> {
    return this.rows<{ data: string }>('SELECT data FROM sends WHERE trigger = ? AND subject = ? AND at >= ? ORDER BY at DESC', triggerId, subjectKey, since).map(
      (r) => JSON.parse(r.data) as SendRecord,
    );
  }
  async recentSends(triggerId: string, limit: number): Promise<SendRecord[]> {
    return this.rows<{ data: string }>('SELECT data FROM sends WHERE trigger = ? ORDER BY at DESC LIMIT ?', triggerId, Math.min(limit, RECENT_SENDS_KEPT)).map(
      (r) => JSON.parse(r.data) as SendRecord,
    );
  }

  async putDeadLetter(letter: DeadLetter): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        'INSERT INTO dead_letters (id, failed_at, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET failed_at = excluded.failed_at, data = excluded.data',
        letter.id,
        letter.failedAt,
        JSON.stringify(letter),
      );
      this.sql.exec('DELETE FROM dead_letters WHERE id NOT IN (SELECT id FROM dead_letters ORDER BY failed_at DESC LIMIT ?)', DEAD_LETTERS_KEPT);
    });
  }
  async listDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.rows<{ data: string }>('SELECT data FROM dead_letters ORDER BY failed_at LIMIT ?', limit).map((r) => JSON.parse(r.data) as DeadLetter);
  }
  async takeDeadLetter(id: string): Promise<DeadLetter | undefined> {
    const row = this.rows<{ data: string }>('SELECT data FROM dead_letters WHERE id = ?', id)[0];
    if (!row) return undefined;
    this.sql.exec('DELETE FROM dead_letters WHERE id = ?', id);
    return JSON.parse(row.data) as DeadLetter;
  }

  async noteInterest(interests: readonly Interest[]): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const i of interests) {
        this.sql.exec(
          'INSERT INTO interest (product, subject, kind, at) VALUES (?, ?, ?, ?) ON CONFLICT (product, subject) DO UPDATE SET kind = excluded.kind, at = excluded.at WHERE excluded.at >= at',
          i.productId,
          i.subjectKey,
          i.kind,
          i.at,
        );
      }
      for (const product of new Set(interests.map((i) => i.productId))) {
        this.sql.exec(
          'DELETE FROM interest WHERE product = ? AND subject NOT IN (SELECT subject FROM interest WHERE product = ? ORDER BY at DESC LIMIT ?)',
          product,
          product,
          INTEREST_PER_PRODUCT_KEPT,
        );
      }
    });
  }
  async interestIn(productId: string, since: number, limit: number): Promise<Interest[]> {
    return this.rows<{ subject: string; kind: string; at: number }>(
      'SELECT subject, kind, at FROM interest WHERE product = ? AND at >= ? ORDER BY at DESC LIMIT ?',
      productId,
      since,
      limit,
    ).map((r) => ({
      productId,
      subjectKey: r.subject,
      kind: r.kind as Interest['kind'],
      at: r.at,
    }));
  }
}

const METHODS = [
  'putTrigger',
  'getTrigger',
  'listTriggers',
  'deleteTrigger',
  'openEpisode',
  'getEpisode',
  'closeEpisode',
  'claimDueEpisodes',
  'rescheduleEpisode',
  'nextDueAt',
  'recordSend',
  'sendsOf',
  'recentSends',
  'putDeadLetter',
  'listDeadLetters',
  'takeDeadLetter',
  'noteInterest',
  'interestIn',
] as const satisfies ReadonlyArray<keyof TriggerStore>;

/** The object itself as a TriggerStore, for its own alarm (no round trip through a stub). */
function localTriggerStore(object: TriggerObject): TriggerStore {
  return Object.fromEntries(METHODS.map((name) => [name, (object[name] as (...args: unknown[]) => unknown).bind(object)])) as unknown as TriggerStore;
}

/** The TriggerStore part of the Durable Object store: every call goes to the one triggers object. */
export function durableObjectTriggerStore(namespace: DurableObjectNamespace<TriggerObject>, prefix: string): TriggerStore {
  const stub = () => namespace.get(namespace.idFromName(`${prefix}triggers`));
  let remembered: Promise<void> | undefined;
  // The alarm needs the prefix to build its store: told once, before the first due time is written.
  const withPrefix = async () => {
    remembered ??= stub()
      .remember(prefix)
      .catch((error: unknown) => {
        remembered = undefined;
        throw error;
      });
    await remembered;
    return stub();
  };
  const part = {} as Record<string, unknown>;
  for (const name of METHODS) {
    part[name] = async (...args: unknown[]) => {
      const target = name === 'openEpisode' || name === 'rescheduleEpisode' ? await withPrefix() : stub();
      return (target[name] as unknown as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  return part as unknown as TriggerStore;
}
