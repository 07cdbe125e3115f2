import type { BlockConfig, StoredBlock } from '../../core/blocks/schema.ts';
import type { Product } from '../../core/catalog/product.ts';
import type { Decision } from '../../core/decide/decide.ts';
import type { ApplyResult, OpenRecord, Store, SubjectDeletion, SuppressionSource } from '../../core/ports.ts';
import type { Profile } from '../../core/profiles/profile.ts';
import type { Neighbour } from '../../core/recommend/neighbours.ts';
import type { GlobalObject, GlobalObjectName } from './durable-object-global.ts';
import type { SubjectObject } from './durable-object-subject.ts';
import { durableObjectTriggerStore, type TriggerObject } from './durable-object-triggers.ts';

/**
 * The store on SQLite-backed Durable Objects (Cloudflare Workers). Each
 * subject key has its own object (see durable-object-subject.ts): reads and
 * writes of one subscriber are strongly consistent and serialised in one
 * place, near where it was first seen. Data shared by everyone lives in a few
 * named objects (durable-object-global.ts). Calls to different objects run
 * in parallel; no call spans two objects atomically except linking, which
 * moves a profile through an outbox that the source object redelivers.
 *
 * The layout follows the Store's parts (core/ports.ts), and the methods below
 * are grouped by them:
 * - SubjectStore: one object per subject key (profile, applied messageIds,
 *   links out and in). It runs the core's reducer, merge and dedupe window
 *   itself, since no function can be sent to it: why the port leaves the
 *   caller no choice of them.
 * - SuppressionStore and OpenRecordStore: kept per key in the same subject
 *   object, so a subscriber's open reads one object and deleting a subject
 *   removes its open records in the same transaction (its suppression stays,
 *   as in every store).
 * - BlockStore and TemplateStore: the global `config` object (read by every
 *   instance every few seconds); CatalogStore: `catalog`; TrendingStore:
 *   `trending` (written on every event); NeighbourStore: `neighbours`;
 *   CounterStore: `counters`;
 *   ReportStore: `reports` (written in batches, at most once a second per instance).
 */
export interface DurableObjectStoreOptions {
  subjects: DurableObjectNamespace<SubjectObject>;
  globals: DurableObjectNamespace<GlobalObject>;
  /** The triggers object (durable-object-triggers.ts): definitions, episodes and their alarm. */
  triggers: DurableObjectNamespace<TriggerObject>;
  /** Prefixed to every object name: tests give each store its own objects (like a Redis key prefix). */
  prefix?: string;
  /** Profiles not written for this long are gone (default: kept). */
  retentionSeconds?: number;
  /** The wall clock for retention (tests move it). */
  now?: () => number;
}

const fail = (message: string) => new Error(`[opentime] [durable-object] ${message}`);

export function durableObjectStore(options: DurableObjectStoreOptions): Store {
  const prefix = options.prefix ?? '';
  const wallClock = options.now ?? (() => Date.now());
  const retention = options.retentionSeconds;
  let closed = false;

  const check = () => {
    if (closed) throw fail('store is closed');
  };
  const subject = (key: string) => options.subjects.get(options.subjects.idFromName(prefix + key));
  const global = (name: GlobalObjectName) => options.globals.get(options.globals.idFromName(prefix + name));
  const parseBlock = (row: { version: number; data: string; updated_at: number }): StoredBlock => ({
    config: JSON.parse(row.data) as BlockConfig,
    version: row.version,
    updatedAt: row.updated_at,
  });
  /** One call per key, in parallel; keys with no answer are left out. */
  async function perKey<T>(keys: readonly string[], read: (key: string) => Promise<T | undefined>): Promise<Map<string, T>> {
    const unique = [...new Set(keys)];
    const values = await Promise.all(unique.map(read));
    const found = new Map<string, T>();
    unique.forEach((key, i) => {
      const value = values[i];
      if (value !== undefined) found.set(key, value);
    });
    return found;
  }

  return {
    name: 'durable-object',
    ...durableObjectTriggerStore(options.triggers, prefix),

    async ping() {
      check();
      await global('config').ping();
    },

    // SubjectStore: the subject's own object.
    async getLinks(keys) {
      check();
      return perKey(keys, (key) => subject(key).linkTarget(wallClock(), retention));
    },

    async countLinksInto(keys) {
      check();
      return perKey(keys, (key) => subject(key).linkCountIn(wallClock(), retention));
    },

    async getProfile(subjectKey) {
      check();
      const json = await subject(subjectKey).profile(wallClock(), retention);
      return json === undefined ? undefined : (JSON.parse(json) as Profile);
    },

    async applyEvents(groups, now): Promise<ApplyResult> {
      check();
      const results = await Promise.all(groups.filter((g) => g.events.length > 0).map((g) => subject(g.subjectKey).apply([...g.events], now, wallClock(), retention)));
      return { applied: results.flatMap((r) => r.applied), duplicates: results.flatMap((r) => r.duplicates) };
    },

    async linkSubject(fromKey, toKey, now) {
      check();
      // A self-link would make the key resolve to itself and count as linked into itself.
      if (fromKey === toKey) return;
      // The reverse index first: a delete of the target that runs meanwhile then finds this link too.
      await subject(toKey).noteLinkedIn(fromKey, wallClock(), retention);
      const { previous, moves } = await subject(fromKey).linkOut(fromKey, toKey, prefix + toKey, now, wallClock(), retention);
      for (const move of moves) {
        await options.subjects.get(options.subjects.idFromName(move.targetObject)).absorb(move, wallClock(), retention);
        await subject(fromKey).delivered(move.id);
      }
      if (previous !== undefined) await subject(previous).forgetLinkedIn(fromKey);
    },

    async deleteSubject(subjectKey): Promise<SubjectDeletion> {
      check();
      const erased = await subject(subjectKey).erase();
      // The reverse index may hold keys that were re-pointed since: only links that still point here count.
      const unlinked = await Promise.all(erased.linkedIn.map((from) => subject(from).unlinkFrom(subjectKey)));
      if (erased.linkedTo !== undefined) await subject(erased.linkedTo).forgetLinkedIn(subjectKey);
      return {
        profile: erased.profile,
        links: unlinked.filter(Boolean).length + (erased.linkedTo === undefined ? 0 : 1),
        openRecords: erased.openRecords,
        messageIds: erased.messageIds,
      };
    },

    // SuppressionStore: per key, in the subject's object.
    async setSuppression(keys, source: SuppressionSource | undefined, now) {
      check();
      await Promise.all([...new Set(keys)].map((key) => subject(key).suppress(source, now)));
    },

    async getSuppressions(keys) {
      check();
      return perKey(keys, (key) => subject(key).suppression());
    },

    // CatalogStore: the `catalog` object.
    async putProducts(products, now) {
      check();
      await global('catalog').putProducts([...products], now);
    },

    async getProducts(ids) {
      check();
      const rows = await global('catalog').getProducts([...ids]);
      return new Map(rows.map((row) => [row.id, JSON.parse(row.data) as Product]));
    },

    async deleteProducts(ids) {
      check();
      return global('catalog').deleteProducts([...new Set(ids)]);
    },

    async listProducts(limit, after) {
      check();
      return (await global('catalog').listProducts(limit, after)).map((row) => JSON.parse(row.data) as Product);
    },

    // BlockStore: the `config` object.
    async putBlock(config, now) {
      check();
      return global('config').putBlock(config, now);
    },

    async getBlock(id) {
      check();
      const row = await global('config').getBlock(id);
      return row ? parseBlock(row) : undefined;
    },

    async listBlocks() {
      check();
      return (await global('config').listBlocks()).map(parseBlock);
    },

    async deleteBlock(id) {
      check();
      return global('config').deleteBlock(id);
    },

    async listBlockVersions(id) {
      check();
      return (await global('config').listBlockVersions(id)).map(parseBlock);
    },

    async getBlockVersion(id, version) {
      check();
      const row = await global('config').getBlockVersion(id, version);
      return row ? parseBlock(row) : undefined;
    },

    // TemplateStore: the `config` object.
    async putTemplate(name, source, now) {
      check();
      return global('config').putTemplate(name, source, now);
    },

    async getTemplate(name) {
      check();
      return global('config').getTemplate(name);
    },

    async listTemplates() {
      check();
      return global('config').listTemplates();
    },

    async deleteTemplate(name) {
      check();
      return global('config').deleteTemplate(name);
    },

    // OpenRecordStore: in the subject's object, removed with it by deleteSubject.
    async putOpenRecord(key, record: OpenRecord, ttlSeconds) {
      check();
      await subject(key.subjectKey).putOpen(key.blockId, key.messageId, JSON.stringify(record), record.renderedAt + ttlSeconds * 1000);
    },

    async getOpenRecord(key, now) {
      check();
      const json = await subject(key.subjectKey).getOpen(key.blockId, key.messageId, now);
      return json === undefined ? undefined : (JSON.parse(json) as OpenRecord);
    },

    async claimOpenMemo(key, decision, now, ttlMs) {
      check();
      const memo = await subject(key.subjectKey).claimMemo(key.blockId, key.messageId, JSON.stringify(decision), now, now + ttlMs);
      return { decision: JSON.parse(memo.data) as Decision, claimed: memo.claimed };
    },

    // TrendingStore: the `trending` object.
    async bumpTrending(increments, now) {
      check();
      if (increments.length > 0) await global('trending').bumpTrending([...increments], now);
    },

    async topTrending(scope, now, limit) {
      check();
      return global('trending').topTrending(scope, now, limit);
    },

    // NeighbourStore: the `neighbours` object.
    async bumpNeighbours(increments, now) {
      check();
      if (increments.length > 0) await global('neighbours').bumpNeighbours([...increments], now);
    },

    async getNeighbours(list, productIds, now) {
      check();
      const found: Map<string, Neighbour[]> = await global('neighbours').getNeighbours(list, [...new Set(productIds)], now);
      return found;
    },

    // ReportStore: the `reports` object.
    async addToReports(batch, now) {
      check();
      await global('reports').addToReports(batch, now);
    },
    async readReportCounts(scope, unit, from, to) {
      check();
      return global('reports').readReportCounts(scope, unit, from, to);
    },
    async countReportPeople(scope, unit, queries) {
      check();
      return global('reports').countReportPeople(scope, unit, [...queries]);
    },
    async getTouches(person, now) {
      check();
      return global('reports').getTouches(person, now);
    },
    async claimOnce(key, now, ttlSeconds) {
      check();
      return global('reports').claimOnce(key, now, ttlSeconds);
    },
    async readGallery(block) {
      check();
      return global('reports').readGallery(block);
    },

    // CounterStore: the `counters` object.
    async incrementCounters(counts) {
      check();
      if (Object.keys(counts).length > 0) await global('counters').incrementCounters({ ...counts });
    },

    async readCounters() {
      check();
      return global('counters').readCounters();
    },

    async close() {
      closed = true;
    },
  };
}
