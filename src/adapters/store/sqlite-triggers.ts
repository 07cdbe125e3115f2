import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { TriggerStore } from '../../core/ports.ts';
import { DEAD_LETTERS_KEPT, INTEREST_PER_PRODUCT_KEPT, SENDS_PER_SUBJECT_KEPT, type DeadLetter, type Episode, type SendRecord } from '../../core/triggers/episode.ts';
import type { TriggerConfig } from '../../core/triggers/schema.ts';

/**
 * The SQLite store's TriggerStore, in tables of its own (created if missing,
 * so they need no step of the store's numbered migrations). Every write is a
 * transaction on the store's durable connection: an episode that was opened
 * is on disk before the event that opened it is acknowledged, and a claim
 * (read the due rows, push their due times past the lease) is one
 * BEGIN IMMEDIATE, so two processes on one file never claim the same row.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS triggers (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS trigger_episodes (trigger TEXT NOT NULL, subject TEXT NOT NULL, id TEXT NOT NULL, due_at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (trigger, subject)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS trigger_episodes_due ON trigger_episodes (due_at);
  CREATE TABLE IF NOT EXISTS trigger_sends (trigger TEXT NOT NULL, subject TEXT NOT NULL, episode TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (trigger, subject, episode)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS trigger_sends_recent ON trigger_sends (trigger, at);
  CREATE TABLE IF NOT EXISTS trigger_dead_letters (id TEXT PRIMARY KEY, failed_at INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS trigger_dead_letters_age ON trigger_dead_letters (failed_at);
  CREATE TABLE IF NOT EXISTS product_interest (product TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (product, subject)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS product_interest_recent ON product_interest (product, at);
`;

/** Sends older than the longest cap are of no further use. */
const SENDS_KEPT_MS = 366 * 86_400_000;

export interface SqliteTriggerParts {
  db: DatabaseSync;
  sql: (text: string) => StatementSync;
  transaction: <T>(work: () => T) => T;
}

export function sqliteTriggerStore({ db, sql, transaction }: SqliteTriggerParts): TriggerStore {
  db.exec(SCHEMA);
  const episodeOf = (row: { data: string; due_at: number } | undefined): Episode | undefined => (row ? { ...(JSON.parse(row.data) as Episode), dueAt: row.due_at } : undefined);
  const parseTrigger = (row: { version: number; data: string; updated_at: number }) => ({
    config: JSON.parse(row.data) as TriggerConfig,
    version: row.version,
    updatedAt: row.updated_at,
  });

  return {
    async putTrigger(config, now) {
      return transaction(() => {
        const version = ((sql('SELECT version FROM triggers WHERE id = ?').get(config.id) as { version: number } | undefined)?.version ?? 0) + 1;
        sql(
          'INSERT INTO triggers (id, version, data, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
        ).run(config.id, version, JSON.stringify(config), now);
        return { config, version, updatedAt: now };
      });
    },
    async getTrigger(id) {
      const row = sql(`SELECT version, data, updated_at FROM triggers WHERE id = ? AND data <> ''`).get(id) as { version: number; data: string; updated_at: number } | undefined;
      return row && parseTrigger(row);
    },
    async listTriggers() {
      return (sql(`SELECT version, data, updated_at FROM triggers WHERE data <> '' ORDER BY id`).all() as Array<{ version: number; data: string; updated_at: number }>).map(
        parseTrigger,
      );
    },
    async deleteTrigger(id) {
      // The row stays with its version, so a trigger put again continues from it.
      return Number(sql(`UPDATE triggers SET data = '' WHERE id = ? AND data <> ''`).run(id).changes) > 0;
    },

    async openEpisode(episode) {
      const result = sql('INSERT INTO trigger_episodes (trigger, subject, id, due_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
        episode.triggerId,
        episode.subjectKey,
        episode.id,
        episode.dueAt,
        JSON.stringify(episode),
      );
      return Number(result.changes) > 0;
    },
    async getEpisode(triggerId, subjectKey) {
      return episodeOf(
        sql('SELECT data, due_at FROM trigger_episodes WHERE trigger = ? AND subject = ?').get(triggerId, subjectKey) as { data: string; due_at: number } | undefined,
      );
    },
    async closeEpisode(triggerId, subjectKey, episodeId) {
      return transaction(() => {
        const found = episodeOf(
          sql('SELECT data, due_at FROM trigger_episodes WHERE trigger = ? AND subject = ?').get(triggerId, subjectKey) as { data: string; due_at: number } | undefined,
        );
        if (!found || (episodeId !== undefined && found.id !== episodeId)) return undefined;
        sql('DELETE FROM trigger_episodes WHERE trigger = ? AND subject = ?').run(triggerId, subjectKey);
        return found;
      });
    },
    async claimDueEpisodes(now, limit, leaseMs) {
      return transaction(() => {
        const rows = sql('SELECT trigger, subject, data, due_at FROM trigger_episodes WHERE due_at <= ? ORDER BY due_at LIMIT ?').all(now, limit) as Array<{
          trigger: string;
          subject: string;
          data: string;
          due_at: number;
        }>;
        const leased = now + leaseMs;
        for (const row of rows) sql('UPDATE trigger_episodes SET due_at = ? WHERE trigger = ? AND subject = ?').run(leased, row.trigger, row.subject);
        return rows.map((row) => ({ ...(JSON.parse(row.data) as Episode), dueAt: leased }));
      });
    },
    async rescheduleEpisode(episode) {
      const result = sql('UPDATE trigger_episodes SET due_at = ?, data = ? WHERE trigger = ? AND subject = ? AND id = ?').run(
        episode.dueAt,
        JSON.stringify(episode),
        episode.triggerId,
        episode.subjectKey,
        episode.id,
      );
      return Number(result.changes) > 0;
    },
    async nextDueAt() {
      const row = sql('SELECT MIN(due_at) AS next FROM trigger_episodes').get() as { next: number | null };
      return row.next ?? undefined;
    },

    async recordSend(record) {
      return transaction(() => {
        const inserted = sql('INSERT INTO trigger_sends (trigger, subject, episode, at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
          record.triggerId,
          record.subjectKey,
          record.episodeId,
          record.at,
          JSON.stringify(record),
        );
        if (Number(inserted.changes) === 0) return false;
        sql(
          'DELETE FROM trigger_sends WHERE trigger = ? AND subject = ? AND episode NOT IN (SELECT episode FROM trigger_sends WHERE trigger = ? AND subject = ? ORDER BY at DESC LIMIT ?)',
        ).run(record.triggerId, record.subjectKey, record.triggerId, record.subjectKey, SENDS_PER_SUBJECT_KEPT);
        sql('DELETE FROM trigger_sends WHERE trigger = ? AND at < ?').run(record.triggerId, record.at - SENDS_KEPT_MS);
        return true;
      });
    },
    async sendsOf(triggerId, subjectKey, since) {
      const rows = sql('SELECT data FROM trigger_sends WHERE trigger = ? AND subject = ? AND at >= ? ORDER BY at DESC').all(triggerId, subjectKey, since) as Array<{
        data: string;
      }>;
      return rows.map((r) => JSON.parse(r.data) as SendRecord);
    },
    async recentSends(triggerId, limit) {
      const rows = sql('SELECT data FROM trigger_sends WHERE trigger = ? ORDER BY at DESC LIMIT ?').all(triggerId, limit) as Array<{ data: string }>;
      return rows.map((r) => JSON.parse(r.data) as SendRecord);
    },

    async putDeadLetter(letter) {
      transaction(() => {
        sql('INSERT INTO trigger_dead_letters (id, failed_at, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET failed_at = excluded.failed_at, data = excluded.data').run(
          letter.id,
          letter.failedAt,
          JSON.stringify(letter),
        );
        sql('DELETE FROM trigger_dead_letters WHERE id NOT IN (SELECT id FROM trigger_dead_letters ORDER BY failed_at DESC LIMIT ?)').run(DEAD_LETTERS_KEPT);
      });
    },
    async listDeadLetters(limit) {
      return (sql('SELECT data FROM trigger_dead_letters ORDER BY failed_at LIMIT ?').all(limit) as Array<{ data: string }>).map((r) => JSON.parse(r.data) as DeadLetter);
    },
    async takeDeadLetter(id) {
      return transaction(() => {
        const row = sql('SELECT data FROM trigger_dead_letters WHERE id = ?').get(id) as { data: string } | undefined;
        if (!row) return undefined;
        sql('DELETE FROM trigger_dead_letters WHERE id = ?').run(id);
        return JSON.parse(row.data) as DeadLetter;
      });
    },

    async noteInterest(interests) {
      if (interests.length === 0) return;
      transaction(() => {
        for (const i of interests) {
          sql(
            'INSERT INTO product_interest (product, subject, kind, at) VALUES (?, ?, ?, ?) ON CONFLICT (product, subject) DO UPDATE SET kind = excluded.kind, at = excluded.at WHERE excluded.at >= at',
          ).run(i.productId, i.subjectKey, i.kind, i.at);
        }
        for (const product of new Set(interests.map((i) => i.productId))) {
          sql('DELETE FROM product_interest WHERE product = ? AND subject NOT IN (SELECT subject FROM product_interest WHERE product = ? ORDER BY at DESC LIMIT ?)').run(
            product,
            product,
            INTEREST_PER_PRODUCT_KEPT,
          );
        }
      });
    },
    async interestIn(productId, since, limit) {
      const rows = sql('SELECT subject, kind, at FROM product_interest WHERE product = ? AND at >= ? ORDER BY at DESC LIMIT ?').all(productId, since, limit) as Array<{
        subject: string;
        kind: 'viewed' | 'carted';
        at: number;
      }>;
      return rows.map((r) => ({ productId, subjectKey: r.subject, kind: r.kind, at: r.at }));
    },
  };
}
