import { memoryReports } from './memory-reports.ts';
import { announcing, LocalSubjectChanges } from '../../core/audience/subject-changes.ts';
import type { StoredBlock } from '../../core/blocks/schema.ts';
import type { Product } from '../../core/catalog/product.ts';
import { TRENDING_WINDOW_HOURS, hourOf, rankBuckets } from '../../core/decide/trending.ts';
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
import type { Decision } from '../../core/decide/decide.ts';
import type { Profile } from '../../core/profiles/profile.ts';
import { mergeProfiles } from '../../core/profiles/merge.ts';
import { applyNeighbourIncrements, groupIncrements, rankedNeighbours } from '../../core/recommend/neighbours.ts';
import { memoryTriggerStore } from './memory-triggers.ts';
import { compareCodePoints, dedupeHorizon, updateSubject } from '../../core/profiles/store-kit.ts';

/**
 * An in-memory store for tests and throwaway runs: everything is lost when
 * the process ends. Each method runs without awaiting in between, so every
 * operation is atomic in JavaScript's single thread.
 */
export interface MemoryStoreOptions {
  /** Profiles not written for this long are gone (default: kept). */
  retentionSeconds?: number;
  /** The wall clock for retention (tests move it). */
  now?: () => number;
}

export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const wallClock = options.now ?? (() => Date.now());
  const profiles = new Map<string, Profile>();
  const writtenAt = new Map<string, number>();
  const suppressions = new Map<string, SuppressionSource>();
  const templates = new Map<string, StoredTemplate>();
  const links = new Map<string, { target: string; linkedAt: number }>();
  const appliedIds = new Map<string, Map<string, number>>();
  const products = new Map<string, Product>();
  const blocks = new Map<string, StoredBlock>();
  /** Deleted blocks' last versions, and deleted templates (kept with theirs): versions never restart. */
  const retiredBlockVersions = new Map<string, number>();
  /** Each block's versions, newest first (BLOCK_VERSIONS_KEPT at most). */
  const blockHistory = new Map<string, StoredBlock[]>();
  const retiredTemplates = new Set<string>();
  const opens = new Map<string, { record: OpenRecord; expiresAt: number }>();
  const memos = new Map<string, { decision: Decision; expiresAt: number }>();
  const trending = new Map<string, Map<string, number>>(); // scope → "hour|product" → count
  const neighbours = new Map<string, Array<[string, number]>>(); // "list\0product" → ranked entries
  const counters = new Map<string, number>();
  let closed = false;

  const openId = (k: OpenKey) => JSON.stringify([k.blockId, k.subjectKey, k.messageId]);
  /** The profile unless it outlived the retention period (then it is gone). */
  const live = (key: string): Profile | undefined => {
    const written = writtenAt.get(key);
    if (options.retentionSeconds !== undefined && written !== undefined && written + options.retentionSeconds * 1000 <= wallClock()) {
      profiles.delete(key);
      writtenAt.delete(key);
      return undefined;
    }
    return profiles.get(key);
  };
  /** The link out of `key` unless it outlived the retention period (then it is gone). */
  const liveLink = (key: string): string | undefined => {
    const link = links.get(key);
    if (link === undefined) return undefined;
    if (options.retentionSeconds !== undefined && link.linkedAt + options.retentionSeconds * 1000 <= wallClock()) {
      links.delete(key);
      return undefined;
    }
    return link.target;
  };
  const save = (key: string, profile: Profile) => {
    profiles.set(key, clone(profile));
    writtenAt.set(key, wallClock());
  };
  const clone = <T>(value: T): T => structuredClone(value);
  const check = () => {
    if (closed) throw new Error('[opentime] [memory] store is closed');
  };

  return announcing({
    ...memoryReports(check),
    name: 'memory',
    // One process holds it all: its changes are heard where they are made.
    subjectChanges: new LocalSubjectChanges(),
    ...memoryTriggerStore(),
    async ping() {
      check();
    },

    async getLinks(keys) {
      check();
      const found = new Map<string, string>();
      for (const key of keys) {
        const target = liveLink(key);
        if (target !== undefined) found.set(key, target);
      }
      return found;
    },

    async countLinksInto(keys) {
      check();
      const wanted = new Set(keys);
      const counts = new Map<string, number>();
      for (const from of [...links.keys()]) {
        const target = liveLink(from);
        if (target !== undefined && wanted.has(target)) counts.set(target, (counts.get(target) ?? 0) + 1);
      }
      return counts;
    },

    async getProfile(subjectKey) {
      check();
      const profile = live(subjectKey);
      return profile ? clone(profile) : undefined;
    },

    async applyEvents(groups, now): Promise<ApplyResult> {
      check();
      const result: ApplyResult = { applied: [], duplicates: [] };
      const horizon = dedupeHorizon(now);
      for (const group of groups) {
        const seen = appliedIds.get(group.subjectKey) ?? new Map<string, number>();
        for (const [id, at] of seen) if (at < horizon) seen.delete(id);
        const update = updateSubject(live(group.subjectKey), new Set(seen.keys()), group.events);
        if (update.profile) save(group.subjectKey, update.profile);
        for (const id of update.applied) seen.set(id, now);
        appliedIds.set(group.subjectKey, seen);
        result.applied.push(...update.applied);
        result.duplicates.push(...update.duplicates);
      }
      return result;
    },

    async linkSubject(fromKey, toKey) {
      check();
      // A key linked to itself would lose its profile to its own merge.
      if (fromKey === toKey) return;
      links.set(fromKey, { target: toKey, linkedAt: wallClock() });
      const from = live(fromKey);
      if (from) {
        save(toKey, mergeProfiles(live(toKey), from));
        profiles.delete(fromKey);
        writtenAt.delete(fromKey);
      }
      const fromIds = appliedIds.get(fromKey);
      if (fromIds) {
        const toIds = appliedIds.get(toKey) ?? new Map<string, number>();
        for (const [id, at] of fromIds) toIds.set(id, Math.max(at, toIds.get(id) ?? 0));
        appliedIds.set(toKey, toIds);
        appliedIds.delete(fromKey);
      }
    },

    async deleteSubject(subjectKey): Promise<SubjectDeletion> {
      check();
      const deletion: SubjectDeletion = { profile: profiles.delete(subjectKey), links: 0, openRecords: 0, messageIds: appliedIds.get(subjectKey)?.size ?? 0 };
      writtenAt.delete(subjectKey);
      appliedIds.delete(subjectKey);
      for (const [from, { target: to }] of links) {
        if (from === subjectKey || to === subjectKey) {
          links.delete(from);
          deletion.links++;
        }
      }
      for (const id of opens.keys()) {
        if ((JSON.parse(id) as string[])[1] === subjectKey) {
          opens.delete(id);
          deletion.openRecords++;
        }
      }
      for (const id of memos.keys()) if ((JSON.parse(id) as string[])[1] === subjectKey) memos.delete(id);
      return deletion;
    },

    async setSuppression(keys, source) {
      check();
      for (const key of keys) {
        if (source === undefined) suppressions.delete(key);
        else suppressions.set(key, source);
      }
    },

    async getSuppressions(keys) {
      check();
      const found = new Map<string, SuppressionSource>();
      for (const key of keys) {
        const source = suppressions.get(key);
        if (source !== undefined) found.set(key, source);
      }
      return found;
    },

    async putProducts(list) {
      check();
      for (const product of list) products.set(product.id, clone(product));
    },

    async getProducts(ids) {
      check();
      const found = new Map<string, Product>();
      for (const id of ids) {
        const product = products.get(id);
        if (product) found.set(id, clone(product));
      }
      return found;
    },

    async deleteProducts(ids) {
      check();
      let removed = 0;
      for (const id of new Set(ids)) if (products.delete(id)) removed++;
      return removed;
    },

    async listProducts(limit, after) {
      check();
      const ids = [...products.keys()].filter((id) => after === undefined || compareCodePoints(id, after) > 0).sort(compareCodePoints);
      return ids.slice(0, limit).map((id) => clone(products.get(id) as Product));
    },

    async putBlock(config, now) {
      check();
      const version = (blocks.get(config.id)?.version ?? retiredBlockVersions.get(config.id) ?? 0) + 1;
      const stored: StoredBlock = { config: clone(config), version, updatedAt: now };
      blocks.set(config.id, stored);
      retiredBlockVersions.delete(config.id);
      const history = [clone(stored), ...(blockHistory.get(config.id) ?? [])].slice(0, BLOCK_VERSIONS_KEPT);
      blockHistory.set(config.id, history);
      return clone(stored);
    },

    async getBlock(id) {
      check();
      const stored = blocks.get(id);
      return stored ? clone(stored) : undefined;
    },

    async listBlocks() {
      check();
      return [...blocks.values()].map(clone).sort((a, b) => (a.config.id < b.config.id ? -1 : 1));
    },

    async deleteBlock(id) {
      check();
      const stored = blocks.get(id);
      if (!stored) return false;
      blocks.delete(id);
      blockHistory.delete(id);
      retiredBlockVersions.set(id, stored.version);
      return true;
    },

    async listBlockVersions(id) {
      check();
      return (blockHistory.get(id) ?? []).map(clone);
    },

    async getBlockVersion(id, version) {
      check();
      const found = blockHistory.get(id)?.find((b) => b.version === version);
      return found ? clone(found) : undefined;
    },

    async putTemplate(name, source, now) {
      check();
      const stored: StoredTemplate = { name, source, version: (templates.get(name)?.version ?? 0) + 1, updatedAt: now };
      templates.set(name, stored);
      retiredTemplates.delete(name);
      return { ...stored };
    },

    async getTemplate(name) {
      check();
      const stored = retiredTemplates.has(name) ? undefined : templates.get(name);
      return stored ? { ...stored } : undefined;
    },

    async listTemplates() {
      check();
      return [...templates.values()]
        .filter((t) => !retiredTemplates.has(t.name))
        .map((t) => ({ ...t }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async deleteTemplate(name) {
      check();
      if (!templates.has(name) || retiredTemplates.has(name)) return false;
      retiredTemplates.add(name);
      return true;
    },

    async putOpenRecord(key, record, ttlSeconds) {
      check();
      opens.set(openId(key), { record: clone(record), expiresAt: record.renderedAt + ttlSeconds * 1000 });
    },

    async getOpenRecord(key, now) {
      check();
      const entry = opens.get(openId(key));
      if (!entry) return undefined;
      if (entry.expiresAt <= now) {
        opens.delete(openId(key));
        return undefined;
      }
      return clone(entry.record);
    },

    async claimOpenMemo(key, decision, now, ttlMs) {
      check();
      const id = openId(key);
      const memo = memos.get(id);
      if (memo && memo.expiresAt > now) return { decision: clone(memo.decision), claimed: false };
      // Expired memos go as new ones come, oldest first (the map is in the order they were set).
      for (const [other, entry] of memos) {
        if (entry.expiresAt > now) break;
        memos.delete(other);
      }
      memos.delete(id);
      memos.set(id, { decision: clone(decision), expiresAt: now + ttlMs });
      return { decision: clone(decision), claimed: true };
    },

    async bumpTrending(increments, now) {
      check();
      const hour = hourOf(now);
      for (const inc of increments) {
        const buckets = trending.get(inc.scope) ?? new Map<string, number>();
        const id = `${hour}|${inc.productId}`;
        buckets.set(id, (buckets.get(id) ?? 0) + inc.weight);
        trending.set(inc.scope, buckets);
      }
    },

    async topTrending(scope, now, limit) {
      check();
      const nowHour = hourOf(now);
      const buckets = trending.get(scope) ?? new Map<string, number>();
      const rows: Array<{ hour: number; productId: string; count: number }> = [];
      for (const [id, count] of buckets) {
        const bar = id.indexOf('|');
        const hour = Number(id.slice(0, bar));
        if (nowHour - hour >= TRENDING_WINDOW_HOURS) buckets.delete(id);
        else rows.push({ hour, productId: id.slice(bar + 1), count });
      }
      return rankBuckets(rows, nowHour, limit);
    },

    async bumpNeighbours(increments, now) {
      check();
      for (const [key, group] of groupIncrements(increments)) {
        const next = applyNeighbourIncrements(neighbours.get(key) ?? [], group.adds, now);
        if (next.length > 0) neighbours.set(key, next);
        else neighbours.delete(key);
      }
    },

    async getNeighbours(list, productIds, now) {
      check();
      const found = new Map<string, ReturnType<typeof rankedNeighbours>>();
      for (const id of productIds) {
        const ranked = rankedNeighbours(neighbours.get(`${list}\u0000${id}`) ?? [], now);
        if (ranked.length > 0) found.set(id, ranked);
      }
      return found;
    },

    async incrementCounters(counts) {
      check();
      for (const [name, n] of Object.entries(counts)) counters.set(name, (counters.get(name) ?? 0) + n);
    },

    async readCounters() {
      check();
      return Object.fromEntries(counters);
    },

    async close() {
      closed = true;
    },
  });
}
