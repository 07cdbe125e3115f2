import type { TriggerStore } from '../../core/ports.ts';
import {
  DEAD_LETTERS_KEPT,
  INTEREST_PER_PRODUCT_KEPT,
  RECENT_SENDS_KEPT,
  SENDS_PER_SUBJECT_KEPT,
  episodeSlot,
  type DeadLetter,
  type Episode,
  type Interest,
  type SendRecord,
} from '../../core/triggers/episode.ts';
import type { StoredTrigger } from '../../core/triggers/schema.ts';

/**
 * The memory store's TriggerStore: plain maps, each method without an await
 * in between, so every step (a claim above all) is atomic in JavaScript's
 * one thread. Lost when the process ends, like the rest of the memory store.
 */
export function memoryTriggerStore(): TriggerStore {
  const triggers = new Map<string, StoredTrigger>();
  const versions = new Map<string, number>();
  const episodes = new Map<string, Episode>();
  const sendsBySubject = new Map<string, SendRecord[]>();
  const recent = new Map<string, SendRecord[]>();
  const dead = new Map<string, DeadLetter>();
  const interest = new Map<string, Map<string, Interest>>();
  const clone = <T>(value: T): T => structuredClone(value);

  return {
    async putTrigger(config, now) {
      const version = (versions.get(config.id) ?? 0) + 1;
      versions.set(config.id, version);
      const stored = { config: clone(config), version, updatedAt: now };
      triggers.set(config.id, stored);
      return clone(stored);
    },
    async getTrigger(id) {
      const found = triggers.get(id);
      return found && clone(found);
    },
    async listTriggers() {
      return [...triggers.values()].sort((a, b) => (a.config.id < b.config.id ? -1 : 1)).map(clone);
    },
    async deleteTrigger(id) {
      return triggers.delete(id);
    },

    async openEpisode(episode) {
      const slot = episodeSlot(episode.triggerId, episode.subjectKey);
      if (episodes.has(slot)) return false;
      episodes.set(slot, clone(episode));
      return true;
    },
    async getEpisode(triggerId, subjectKey) {
      const found = episodes.get(episodeSlot(triggerId, subjectKey));
      return found && clone(found);
    },
    async closeEpisode(triggerId, subjectKey, episodeId) {
      const slot = episodeSlot(triggerId, subjectKey);
      const found = episodes.get(slot);
      if (!found || (episodeId !== undefined && found.id !== episodeId)) return undefined;
      episodes.delete(slot);
      return found;
    },
    async claimDueEpisodes(now, limit, leaseMs) {
      const due = [...episodes.values()]
        .filter((e) => e.dueAt <= now)
        .sort((a, b) => a.dueAt - b.dueAt)
        .slice(0, limit);
      for (const episode of due) episode.dueAt = now + leaseMs;
      return due.map(clone);
    },
    async rescheduleEpisode(episode) {
      const slot = episodeSlot(episode.triggerId, episode.subjectKey);
      if (episodes.get(slot)?.id !== episode.id) return false;
      episodes.set(slot, clone(episode));
      return true;
    },
    async nextDueAt() {
      let next: number | undefined;
      for (const e of episodes.values()) if (next === undefined || e.dueAt < next) next = e.dueAt;
      return next;
    },

    async recordSend(record) {
      const slot = episodeSlot(record.triggerId, record.subjectKey);
      const list = sendsBySubject.get(slot) ?? [];
      if (list.some((r) => r.episodeId === record.episodeId)) return false;
      sendsBySubject.set(slot, [clone(record), ...list].slice(0, SENDS_PER_SUBJECT_KEPT));
      recent.set(record.triggerId, [clone(record), ...(recent.get(record.triggerId) ?? [])].slice(0, RECENT_SENDS_KEPT));
      return true;
    },
    async sendsOf(triggerId, subjectKey, since) {
      return (sendsBySubject.get(episodeSlot(triggerId, subjectKey)) ?? []).filter((r) => r.at >= since).map(clone);
    },
    async recentSends(triggerId, limit) {
      return (recent.get(triggerId) ?? []).slice(0, limit).map(clone);
    },

    async putDeadLetter(letter) {
      dead.delete(letter.id);
      dead.set(letter.id, clone(letter));
      while (dead.size > DEAD_LETTERS_KEPT) dead.delete(dead.keys().next().value as string);
    },
    async listDeadLetters(limit) {
      return [...dead.values()]
        .sort((a, b) => a.failedAt - b.failedAt)
        .slice(0, limit)
        .map(clone);
    },
    async takeDeadLetter(id) {
      const found = dead.get(id);
      dead.delete(id);
      return found;
    },

    async noteInterest(interests) {
      for (const entry of interests) {
        const byProduct = interest.get(entry.productId) ?? new Map<string, Interest>();
        interest.set(entry.productId, byProduct);
        const seen = byProduct.get(entry.subjectKey);
        if (seen && seen.at > entry.at) continue;
        byProduct.delete(entry.subjectKey);
        byProduct.set(entry.subjectKey, clone(entry));
        if (byProduct.size > INTEREST_PER_PRODUCT_KEPT) {
          const oldest = [...byProduct.values()].reduce((a, b) => (b.at < a.at ? b : a));
          byProduct.delete(oldest.subjectKey);
        }
      }
    },
    async interestIn(productId, since, limit) {
      return [...(interest.get(productId)?.values() ?? [])]
        .filter((i) => i.at >= since)
        .sort((a, b) => b.at - a.at)
        .slice(0, limit)
        .map(clone);
    },
  };
}
