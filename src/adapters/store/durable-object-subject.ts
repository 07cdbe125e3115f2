import { DurableObject } from 'cloudflare:workers';
import type { TrackedEvent } from '../../core/events/normalize.ts';
import type { ApplyResult, SuppressionSource } from '../../core/ports.ts';
import { mergeProfiles } from '../../core/profiles/merge.ts';
import type { Profile } from '../../core/profiles/profile.ts';
import { dedupeHorizon, updateSubject } from '../../core/profiles/store-kit.ts';

/**
 * One Durable Object per subject (`u:…`, `a:…`): its profile, the messageIds
 * it applied, its link out, the keys linked into it, its open records and its
 * suppression. Every method runs its SQL synchronously in one transaction,
 * so nothing else can run inside the object half-way through: applying
 * events (dedupe, the core reducer, save) is atomic per subject, and an event
 * is visible to the very next read.
 *
 * Linking moves a profile between two objects, which share no transaction.
 * The move is written to an outbox in the same step that removes the
 * profile here; the target absorbs it idempotently (by move id), and the
 * outbox entry is dropped only after that. If the caller dies in between,
 * the alarm delivers the move.
 *
 * Two clocks: `now`/`wall` come from the caller (the store's clocks, which
 * tests move); alarms run on the real clock and only clean up.
 */
export interface SubjectEnv {
  SUBJECTS: DurableObjectNamespace<SubjectObject>;
}

/** A profile (and its applied messageIds) on its way from a linked key to its target. */
export interface SubjectMove {
  id: string;
  /** The key being linked (unprefixed): the target records it as linked in. */
  from: string;
  /** The target object's name (prefixed). */
  targetObject: string;
  /** The profile as JSON, if the linked key had a live one. */
  profile: string | undefined;
  applied: Array<{ messageId: string; at: number }>;
}

export interface SubjectErasure {
  profile: boolean;
  messageIds: number;
  openRecords: number;
  /** Where this key linked to (the target forgets it as linked in). */
  linkedTo: string | undefined;
  /** Keys that linked into this one, as far as this object knows. */
  linkedIn: string[];
}

/** Housekeeping (expired dedupe entries, open records, profiles) runs this often at most. */
const SWEEP_INTERVAL_MS = 6 * 3_600_000;
/** A move the caller did not finish is delivered by the alarm after this long. */
const REDELIVERY_DELAY_MS = 30_000;
/** Absorbed move ids are kept this long, far beyond any retry of the same move. */
const ABSORBED_TTL_MS = 7 * 86_400_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS profile (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL, written_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS applied (message_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS link (id INTEGER PRIMARY KEY CHECK (id = 1), target TEXT NOT NULL, linked_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS linked_in (subject TEXT PRIMARY KEY);
  CREATE TABLE IF NOT EXISTS linked_in_at (subject TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, move TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS absorbed (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS opens (block TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (block, message));
  CREATE TABLE IF NOT EXISTS memos (block TEXT NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (block, message));
  CREATE TABLE IF NOT EXISTS suppression (id INTEGER PRIMARY KEY CHECK (id = 1), source TEXT NOT NULL, since INTEGER NOT NULL);
`;

const TABLES_WITH_STATE = ['profile', 'applied', 'link', 'linked_in', 'linked_in_at', 'outbox', 'opens', 'memos', 'suppression'] as const;

export class SubjectObject extends DurableObject<SubjectEnv> {
  private schemaReady = false;

  private get sql(): SqlStorage {
    if (!this.schemaReady) {
      this.ctx.storage.sql.exec(SCHEMA);
      this.schemaReady = true;
    }
    return this.ctx.storage.sql;
  }

  /** Profiles written before this are past retention (−1: kept). */
  private horizon(wall: number, retentionSeconds: number | undefined): number {
    return retentionSeconds === undefined ? -1 : wall - retentionSeconds * 1000;
  }

  private liveProfile(wall: number, retentionSeconds: number | undefined): string | undefined {
    const row = this.sql.exec<{ data: string }>('SELECT data FROM profile WHERE written_at > ?', this.horizon(wall, retentionSeconds)).toArray()[0];
    return row?.data;
  }

  private writeProfile(profile: Profile, wall: number, retentionSeconds: number | undefined): void {
    this.sql.exec(
      'INSERT INTO profile (id, data, written_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, written_at = excluded.written_at',
      JSON.stringify(profile),
      wall,
    );
    this.rememberRetention(retentionSeconds);
  }

  /** The sweep, which runs without a caller, needs the retention period to expire profiles and links. */
  private rememberRetention(retentionSeconds: number | undefined): void {
    if (retentionSeconds !== undefined) this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('retention', ?)", String(retentionSeconds));
  }

  async profile(wall: number, retentionSeconds: number | undefined): Promise<string | undefined> {
    return this.liveProfile(wall, retentionSeconds);
  }

  /** Dedupe, reduce with the core reducer, save and remember the messageIds: one transaction. */
  async apply(events: TrackedEvent[], now: number, wall: number, retentionSeconds: number | undefined): Promise<ApplyResult> {
    const result = this.ctx.storage.transactionSync(() => {
      const horizon = dedupeHorizon(now);
      const seen = this.sql
        .exec<{ message_id: string }>(
          'SELECT message_id FROM applied WHERE at >= ? AND message_id IN (SELECT value FROM json_each(?))',
          horizon,
          JSON.stringify(events.map((e) => e.messageId)),
        )
        .toArray()
        .map((row) => row.message_id);
      const stored = this.liveProfile(wall, retentionSeconds);
      const update = updateSubject(stored === undefined ? undefined : (JSON.parse(stored) as Profile), new Set(seen), events);
      if (update.profile) this.writeProfile(update.profile, wall, retentionSeconds);
      for (const id of update.applied) {
        this.sql.exec('INSERT INTO applied (message_id, at) VALUES (?, ?) ON CONFLICT DO UPDATE SET at = excluded.at', id, now);
      }
      return { applied: update.applied, duplicates: update.duplicates };
    });
    await this.scheduleSweep();
    return result;
  }

  /** Where this key links, unless the link outlived the retention period (it lasts from when it was last made). */
  async linkTarget(wall: number, retentionSeconds: number | undefined): Promise<string | undefined> {
    return this.sql.exec<{ target: string }>('SELECT target FROM link WHERE linked_at > ?', this.horizon(wall, retentionSeconds)).toArray()[0]?.target;
  }

  /** How many keys linked here within the retention period (undefined: none). */
  async linkCountIn(wall: number, retentionSeconds: number | undefined): Promise<number | undefined> {
    const count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM linked_in_at WHERE at > ?', this.horizon(wall, retentionSeconds)).toArray()[0]?.n ?? 0;
    return count > 0 ? count : undefined;
  }

  /** Records that `from` links (or is about to link) here, so that deleting this subject finds it and the links in can be counted. */
  async noteLinkedIn(from: string, wall: number, retentionSeconds: number | undefined): Promise<void> {
    this.sql.exec('INSERT OR IGNORE INTO linked_in (subject) VALUES (?)', from);
    this.sql.exec('INSERT INTO linked_in_at (subject, at) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET at = excluded.at', from, wall);
    this.rememberRetention(retentionSeconds);
    await this.scheduleSweep();
  }

  async forgetLinkedIn(from: string): Promise<void> {
    this.sql.exec('DELETE FROM linked_in WHERE subject = ?', from);
    this.sql.exec('DELETE FROM linked_in_at WHERE subject = ?', from);
  }

  /**
   * Points this key at `to` and takes its profile and applied messageIds
   * out, into the outbox, in one step. Returns the moves still to deliver
   * (this one and any an earlier caller left) and the previous target.
   */
  async linkOut(
    self: string,
    to: string,
    targetObject: string,
    _now: number,
    wall: number,
    retentionSeconds: number | undefined,
  ): Promise<{ previous: string | undefined; moves: SubjectMove[] }> {
    const result = this.ctx.storage.transactionSync(() => {
      const previous = this.sql.exec<{ target: string }>('SELECT target FROM link').toArray()[0]?.target;
      // linked_at is on the retention clock: a link lasts as long as a profile written then.
      this.sql.exec('INSERT INTO link (id, target, linked_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET target = excluded.target, linked_at = excluded.linked_at', to, wall);
      this.rememberRetention(retentionSeconds);
      const profile = this.liveProfile(wall, retentionSeconds);
      const applied = this.sql.exec<{ message_id: string; at: number }>('SELECT message_id, at FROM applied').toArray();
      if (profile !== undefined || applied.length > 0) {
        const move: SubjectMove = { id: crypto.randomUUID(), from: self, targetObject, profile, applied: applied.map((r) => ({ messageId: r.message_id, at: r.at })) };
        this.sql.exec('INSERT INTO outbox (id, move) VALUES (?, ?)', move.id, JSON.stringify(move));
      }
      this.sql.exec('DELETE FROM profile');
      this.sql.exec('DELETE FROM applied');
      const moves = this.sql
        .exec<{ move: string }>('SELECT move FROM outbox')
        .toArray()
        .map((r) => JSON.parse(r.move) as SubjectMove);
      return { previous: previous === to ? undefined : previous, moves };
    });
    if (result.moves.length > 0) await this.alarmWithin(REDELIVERY_DELAY_MS);
    await this.scheduleSweep();
    return result;
  }

  /** Merges a moved profile in with the core merge, once per move id. */
  async absorb(move: SubjectMove, wall: number, retentionSeconds: number | undefined): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      if (this.sql.exec('SELECT 1 FROM absorbed WHERE id = ?', move.id).toArray().length > 0) return;
      if (move.profile !== undefined) {
        const into = this.liveProfile(wall, retentionSeconds);
        this.writeProfile(mergeProfiles(into === undefined ? undefined : (JSON.parse(into) as Profile), JSON.parse(move.profile) as Profile), wall, retentionSeconds);
      }
      // A messageId both subjects applied stays a duplicate until the later of the two leaves the window.
      for (const { messageId, at } of move.applied) {
        this.sql.exec('INSERT INTO applied (message_id, at) VALUES (?, ?) ON CONFLICT DO UPDATE SET at = max(at, excluded.at)', messageId, at);
      }
      this.sql.exec('INSERT OR IGNORE INTO linked_in (subject) VALUES (?)', move.from);
      this.sql.exec('INSERT INTO absorbed (id, at) VALUES (?, ?)', move.id, Date.now());
    });
    await this.scheduleSweep();
  }

  async delivered(moveId: string): Promise<void> {
    this.sql.exec('DELETE FROM outbox WHERE id = ?', moveId);
  }

  /** Removes this key's link if it still points at `target`; true if it did. */
  async unlinkFrom(target: string): Promise<boolean> {
    return this.sql.exec('DELETE FROM link WHERE target = ?', target).rowsWritten > 0;
  }

  async suppression(): Promise<SuppressionSource | undefined> {
    return this.sql.exec<{ source: SuppressionSource }>('SELECT source FROM suppression').toArray()[0]?.source;
  }

  async suppress(source: SuppressionSource | undefined, now: number): Promise<void> {
    if (source === undefined) this.sql.exec('DELETE FROM suppression');
    else this.sql.exec('INSERT INTO suppression (id, source, since) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET source = excluded.source', source, now);
  }

  async putOpen(block: string, message: string, record: string, expiresAt: number): Promise<void> {
    this.sql.exec(
      'INSERT INTO opens (block, message, data, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
      block,
      message,
      record,
      expiresAt,
    );
    await this.scheduleSweep();
  }

  async getOpen(block: string, message: string, now: number): Promise<string | undefined> {
    return this.sql.exec<{ data: string }>('SELECT data FROM opens WHERE block = ? AND message = ? AND expires_at > ?', block, message, now).toArray()[0]?.data;
  }

  /** The open memo (see OpenRecordStore.claimOpenMemo): read and, when none is live, written in one step of this object. */
  async claimMemo(block: string, message: string, data: string, now: number, expiresAt: number): Promise<{ claimed: boolean; data: string }> {
    const live = this.sql.exec<{ data: string }>('SELECT data FROM memos WHERE block = ? AND message = ? AND expires_at > ?', block, message, now).toArray()[0];
    if (live) return { claimed: false, data: live.data };
    this.sql.exec(
      'INSERT INTO memos (block, message, data, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at',
      block,
      message,
      data,
      expiresAt,
    );
    await this.scheduleSweep();
    return { claimed: true, data };
  }

  /** Removes the profile, messageIds, open records, link and moves; a suppression stays (it is a promise not to track). */
  async erase(): Promise<SubjectErasure> {
    return this.ctx.storage.transactionSync(() => {
      const linkedIn = this.sql
        .exec<{ subject: string }>('SELECT subject FROM linked_in')
        .toArray()
        .map((r) => r.subject);
      const erasure: SubjectErasure = {
        profile: this.sql.exec('DELETE FROM profile').rowsWritten > 0,
        messageIds: this.sql.exec('DELETE FROM applied').rowsWritten,
        openRecords: this.sql.exec('DELETE FROM opens').rowsWritten,
        linkedTo: this.sql.exec<{ target: string }>('SELECT target FROM link').toArray()[0]?.target,
        linkedIn,
      };
      for (const table of ['link', 'linked_in', 'linked_in_at', 'outbox', 'absorbed', 'memos']) this.sql.exec(`DELETE FROM ${table}`);
      return erasure;
    });
  }

  /** Delivers moves a caller left behind, then cleans up by the real clock when due. */
  override async alarm(): Promise<void> {
    for (const { move } of this.sql.exec<{ move: string }>('SELECT move FROM outbox').toArray()) {
      const parsed = JSON.parse(move) as SubjectMove;
      const retention = this.retention();
      // A failure throws: the runtime retries the alarm with backoff.
      await this.env.SUBJECTS.get(this.env.SUBJECTS.idFromName(parsed.targetObject)).absorb(parsed, Date.now(), retention);
      this.sql.exec('DELETE FROM outbox WHERE id = ?', parsed.id);
    }
    const now = Date.now();
    const sweepAt = Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sweep_at'").toArray()[0]?.value ?? 0);
    if (sweepAt <= now) this.sweep(now);
    await this.rescheduleAfterAlarm(now);
  }

  private retention(): number | undefined {
    const value = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'retention'").toArray()[0]?.value;
    return value === undefined ? undefined : Number(value);
  }

  private sweep(now: number): void {
    this.sql.exec('DELETE FROM applied WHERE at < ?', dedupeHorizon(now));
    this.sql.exec('DELETE FROM opens WHERE expires_at <= ?', now);
    this.sql.exec('DELETE FROM memos WHERE expires_at <= ?', now);
    this.sql.exec('DELETE FROM absorbed WHERE at < ?', now - ABSORBED_TTL_MS);
    const retention = this.retention();
    if (retention !== undefined) {
      const horizon = now - retention * 1000;
      this.sql.exec('DELETE FROM profile WHERE written_at <= ?', horizon);
      this.sql.exec('DELETE FROM link WHERE linked_at <= ?', horizon);
      this.sql.exec('DELETE FROM linked_in WHERE subject IN (SELECT subject FROM linked_in_at WHERE at <= ?)', horizon);
      this.sql.exec('DELETE FROM linked_in_at WHERE at <= ?', horizon);
    }
    this.sql.exec("DELETE FROM meta WHERE key = 'sweep_at'");
  }

  private hasState(): boolean {
    return TABLES_WITH_STATE.some((table) => this.sql.exec(`SELECT 1 FROM ${table} LIMIT 1`).toArray().length > 0);
  }

  private async rescheduleAfterAlarm(now: number): Promise<void> {
    if (this.sql.exec('SELECT 1 FROM outbox LIMIT 1').toArray().length > 0) {
      await this.ctx.storage.setAlarm(now + REDELIVERY_DELAY_MS);
      return;
    }
    if (!this.hasState()) {
      // Nothing left about this subject: drop the whole database, so forgotten subjects cost no storage.
      await this.ctx.storage.deleteAll();
      this.schemaReady = false;
      return;
    }
    // A sweep still ahead keeps its time; one that just ran is scheduled again.
    const pending = Number(this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sweep_at'").toArray()[0]?.value ?? 0);
    const sweepAt = pending > now ? pending : now + SWEEP_INTERVAL_MS;
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('sweep_at', ?)", String(sweepAt));
    await this.ctx.storage.setAlarm(sweepAt);
  }

  /** Makes sure a sweep is scheduled after a write (one alarm per object at a time). */
  private async scheduleSweep(): Promise<void> {
    if (this.sql.exec("SELECT 1 FROM meta WHERE key = 'sweep_at'").toArray().length > 0) return;
    const sweepAt = Date.now() + SWEEP_INTERVAL_MS;
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('sweep_at', ?)", String(sweepAt));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > sweepAt) await this.ctx.storage.setAlarm(sweepAt);
  }

  private async alarmWithin(ms: number): Promise<void> {
    const at = Date.now() + ms;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
