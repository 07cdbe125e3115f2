import type { Profile } from '../profiles/profile.ts';
import type { SubjectEvents, SubjectStore, NeighbourStore } from '../ports.ts';
import { hasCoOccurrence, hasViews, neighbourIncrements } from './neighbours.ts';

/**
 * After a batch is stored: what its fresh views and orders add to the
 * neighbour lists. A subject whose batch has views is read back once, to
 * pair them with the session's earlier views. Runs before the batch is
 * acknowledged, like trending: a failure is a 503 and the sender retries
 * (the retry's events are duplicates then, so the lists miss that batch's
 * pairs rather than count them twice).
 */
export async function coOccurrences(
  store: Pick<SubjectStore, 'getProfile'> & NeighbourStore,
  groups: readonly SubjectEvents[],
  applied: ReadonlySet<string>,
  now: number,
  /** The profiles as applyEvents wrote them, where the store hands them back (no second read). */
  written?: ReadonlyMap<string, Profile>,
): Promise<void> {
  const increments = (
    await Promise.all(
      groups.map(async (group) => {
        const fresh = group.events.filter((e) => applied.has(e.messageId));
        if (!hasCoOccurrence(fresh)) return [];
        const profile = hasViews(fresh) ? (written?.get(group.subjectKey) ?? (await store.getProfile(group.subjectKey))) : undefined;
        return neighbourIncrements(fresh, profile, now);
      }),
    )
  ).flat();
  if (increments.length > 0) await store.bumpNeighbours(increments, now);
}
