import type { SubjectDeletion, SubjectStore, SuppressionSource, SuppressionStore, TriggerStore } from '../ports.ts';
import { resolveSubjectKeys, type SubjectKeyer } from './subjects.ts';

/**
 * The subscriber data lifecycle: deleting a person, suppressing them, and
 * consent. Ids come from admins or ESPs (a user id or an email address);
 * they are turned into subject keys here and never stored as given.
 */
export interface PrivacyDeps {
  store: SubjectStore & SuppressionStore;
  keyer: SubjectKeyer;
  /** Waiting trigger episodes of a deleted subject are closed with it: nothing is sent to someone deleted. */
  triggers?: Pick<TriggerStore, 'listTriggers' | 'closeEpisode'>;
}

/** Every key that names this id: the key itself and the subject it was linked into. */
async function keysFor(deps: PrivacyDeps, id: string): Promise<string[]> {
  const key = await deps.keyer.userKey(id);
  const resolved = await resolveSubjectKeys(deps.store, [key]);
  return [...new Set([key, resolved.get(key) ?? key])];
}

export async function deleteSubject(deps: PrivacyDeps, id: string): Promise<SubjectDeletion> {
  const total: SubjectDeletion = { profile: false, links: 0, openRecords: 0, messageIds: 0 };
  for (const key of await keysFor(deps, id)) {
    const deletion = await deps.store.deleteSubject(key);
    total.profile ||= deletion.profile;
    total.links += deletion.links;
    total.openRecords += deletion.openRecords;
    total.messageIds += deletion.messageIds;
    if (deps.triggers) for (const trigger of await deps.triggers.listTriggers()) await deps.triggers.closeEpisode(trigger.config.id, key);
  }
  return total;
}

export async function suppress(deps: PrivacyDeps, ids: readonly string[], source: SuppressionSource | undefined, now: number): Promise<void> {
  const keys = (await Promise.all(ids.map((id) => keysFor(deps, id)))).flat();
  await deps.store.setSuppression(keys, source, now);
}

/**
 * What an event says about consent: `false` when the configured Segment
 * consent category is denied (or the opt-out trait is set), `true` when it
 * is granted, undefined when the event does not say.
 */
export function consentOf(
  event: { context: Record<string, unknown>; traits: Record<string, unknown> },
  categories: readonly string[],
  optOutTrait: string | undefined,
): boolean | undefined {
  if (optOutTrait !== undefined && optOutTrait in event.traits) {
    const value = event.traits[optOutTrait];
    if (value === true || value === 'true' || value === 1) return false;
    if (value === false || value === 'false' || value === 0) return true;
  }
  const consent = event.context.consent as { categoryPreferences?: Record<string, unknown> } | undefined;
  const preferences = consent?.categoryPreferences;
  if (!preferences || typeof preferences !== 'object') return undefined;
  let answer: boolean | undefined;
  for (const category of categories) {
    const value = preferences[category];
    if (value === false) return false;
    if (value === true) answer = true;
  }
  return answer;
}
