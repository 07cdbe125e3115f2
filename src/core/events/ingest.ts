import { trendingIncrements } from '../decide/trending.ts';
import { AppError } from '../errors.ts';
import type { ApplyResult, Store, SubjectEvents } from '../ports.ts';
import { consentOf } from '../privacy.ts';
import { mergeProfiles } from '../profiles/merge.ts';
import { reduceProfile } from '../profiles/reducer.ts';
import { looksLikeEmail, resolveSubjectKeys, type SubjectKeyer } from '../subjects.ts';
import { DEDUPE_WINDOW_SECONDS } from './limits.ts';
import type { TrackedEvent } from './normalize.ts';

export interface IngestDeps {
  store: Store;
  keyer: SubjectKeyer;
  /** Segment consent categories that must not be denied for a subject to be tracked. */
  consentCategories?: readonly string[];
  /** A trait that, when true, opts the subject out. */
  optOutTrait?: string;
}

export interface IngestResult extends ApplyResult {
  /** messageIds accepted but not stored: the subject is suppressed or withdrew consent. */
  dropped: string[];
}

/** Seconds a sender should wait before retrying when the store cannot write. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * Stores validated events: first the identity links they carry (identify
 * with both ids, an email trait, alias), then every event in its subject's
 * profile, then the trending counters. Resolves only when the events are
 * durable; any store failure becomes a 503 so that the sender retries, and
 * retrying is safe because applied messageIds are remembered.
 */
export async function ingestEvents(deps: IngestDeps, events: readonly TrackedEvent[], now: number): Promise<IngestResult> {
  try {
    await applyConsent(deps, events, now);
    await applyLinks(deps, events, now);
    const { groups, dropped } = await trackedGroups(deps, await groupBySubject(deps, events));
    const result = await deps.store.applyEvents(groups, reduceProfile, DEDUPE_WINDOW_SECONDS, now);
    const applied = new Set(result.applied);
    const increments = trendingIncrements(events.filter((e) => applied.has(e.messageId)));
    if (increments.length > 0) await deps.store.bumpTrending(increments, now);
    return { ...result, dropped };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('STORE_UNAVAILABLE', 503, 'the store is not accepting writes; retry later', {
      cause: error,
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
    });
  }
}

async function subjectKeyOf(keyer: SubjectKeyer, event: TrackedEvent): Promise<string> {
  if (event.userId !== undefined) return keyer.userKey(event.userId);
  return keyer.anonymousKey(event.anonymousId as string);
}


/**
 * Links are explicit, never guessed: an identify that carries both ids, an
 * identify whose `email` trait differs from its userId (so that an ESP merge
 * tag with the address finds the same person), and alias.
 */
async function linksOf(keyer: SubjectKeyer, event: TrackedEvent): Promise<Array<[from: string, to: string]>> {
  if (event.userId === undefined) return [];
  const to = await keyer.userKey(event.userId);
  const links: Array<[string, string]> = [];
  if (event.type === 'identify') {
    if (event.anonymousId !== undefined) links.push([await keyer.anonymousKey(event.anonymousId), to]);
    const email = event.traits.email;
    if (typeof email === 'string' && looksLikeEmail(email)) {
      const emailKey = await keyer.userKey(email);
      if (emailKey !== to) links.push([emailKey, to]);
    }
  } else if (event.type === 'alias' && event.previousId !== undefined) {
    links.push([await keyer.userKey(event.previousId), to], [await keyer.anonymousKey(event.previousId), to]);
  }
  return links;
}

async function applyLinks(deps: IngestDeps, events: readonly TrackedEvent[], now: number): Promise<void> {
  for (const event of events) {
    const links = await linksOf(deps.keyer, event);
    if (links.length === 0) continue;
    const resolved = await resolveSubjectKeys(deps.store, links.flat());
    const suppressed = await deps.store.getSuppressions(links.map(([, to]) => resolved.get(to) ?? to));
    for (const [from, to] of links) {
      const target = resolved.get(to) ?? to;
      // Nothing is merged into a suppressed subject.
      if (suppressed.has(target)) continue;
      // Already linked there (a repeated identify), or linking would make a cycle.
      if (resolved.get(from) === target || target === from) continue;
      await deps.store.linkSubject(from, target, mergeProfiles, now);
    }
  }
}

async function groupBySubject(deps: IngestDeps, events: readonly TrackedEvent[]): Promise<SubjectEvents[]> {
  const keys = await Promise.all(events.map((e) => subjectKeyOf(deps.keyer, e)));
  const resolved = await resolveSubjectKeys(deps.store, keys);
  const groups = new Map<string, TrackedEvent[]>();
  events.forEach((event, i) => {
    const key = resolved.get(keys[i] as string) as string;
    const list = groups.get(key);
    if (list) list.push(event);
    else groups.set(key, [event]);
  });
  return [...groups].map(([subjectKey, list]) => ({ subjectKey, events: list }));
}

/**
 * An event that denies consent suppresses its subject (and one that grants
 * it again lifts a suppression that consent caused, never an admin's).
 */
async function applyConsent(deps: IngestDeps, events: readonly TrackedEvent[], now: number): Promise<void> {
  if ((deps.consentCategories?.length ?? 0) === 0 && deps.optOutTrait === undefined) return;
  for (const event of events) {
    const consent = consentOf(event, deps.consentCategories ?? [], deps.optOutTrait);
    if (consent === undefined) continue;
    const key = await subjectKeyOf(deps.keyer, event);
    const canonical = (await resolveSubjectKeys(deps.store, [key])).get(key) ?? key;
    const keys = [...new Set([key, canonical])];
    if (consent === false) await deps.store.setSuppression(keys, 'consent', now);
    else {
      const current = await deps.store.getSuppressions(keys);
      const lift = keys.filter((k) => current.get(k) === 'consent');
      if (lift.length > 0) await deps.store.setSuppression(lift, undefined, now);
    }
  }
}

/** Suppressed subjects are not tracked: their events are acknowledged and dropped. */
async function trackedGroups(deps: IngestDeps, groups: SubjectEvents[]): Promise<{ groups: SubjectEvents[]; dropped: string[] }> {
  const suppressed = await deps.store.getSuppressions(groups.map((g) => g.subjectKey));
  if (suppressed.size === 0) return { groups, dropped: [] };
  return {
    groups: groups.filter((g) => !suppressed.has(g.subjectKey)),
    dropped: groups.filter((g) => suppressed.has(g.subjectKey)).flatMap((g) => g.events.map((e) => e.messageId)),
  };
}
