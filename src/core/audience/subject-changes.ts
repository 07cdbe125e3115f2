import type { Store, SubjectChange, SubjectChangeFeed } from '../ports.ts';

/** Listeners of one process, told at once: the feed of a store no other instance shares, and the local half of the others. */
export class LocalSubjectChanges implements SubjectChangeFeed {
  private readonly listeners = new Set<(change: SubjectChange) => void>();
  live = true;

  publish(keys: readonly string[]): void {
    if (keys.length > 0) this.tell(keys);
  }

  /** Hands a change on to this process's listeners (what another instance published, or `all`). */
  tell(change: SubjectChange): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: (change: SubjectChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * The store with every change to a subject announced on its feed once the
 * store has it: the events applied (profiles), links (both keys),
 * suppressions and deletions. One place knows which writes change what an
 * open of a subject shows; each store wraps itself with it, so whoever
 * writes through the store is heard.
 */
export function announcing<S extends Store>(store: S): S {
  const feed = store.subjectChanges;
  if (!feed) return store;
  const applyEvents = store.applyEvents.bind(store);
  const linkSubject = store.linkSubject.bind(store);
  const deleteSubject = store.deleteSubject.bind(store);
  const setSuppression = store.setSuppression.bind(store);
  return Object.assign(store, {
    async applyEvents(groups: Parameters<Store['applyEvents']>[0], now: number) {
      const result = await applyEvents(groups, now);
      // A batch that was all duplicates changed nothing; otherwise every subject in it may have changed.
      if (result.applied.length > 0) feed.publish([...new Set(groups.map((g) => g.subjectKey))]);
      return result;
    },
    async linkSubject(fromKey: string, toKey: string, now: number) {
      await linkSubject(fromKey, toKey, now);
      feed.publish(fromKey === toKey ? [fromKey] : [fromKey, toKey]);
    },
    async deleteSubject(subjectKey: string) {
      const deletion = await deleteSubject(subjectKey);
      feed.publish([subjectKey]);
      return deletion;
    },
    async setSuppression(keys: readonly string[], source: Parameters<Store['setSuppression']>[1], now: number) {
      await setSuppression(keys, source, now);
      feed.publish(keys);
    },
  });
}
