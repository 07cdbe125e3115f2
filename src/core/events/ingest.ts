import { trendingIncrements } from '../decide/trending.ts';
import { AppError } from '../shared/errors.ts';
import type { ApplyResult, NeighbourStore, SubjectEvents, SubjectStore, SuppressionSource, SuppressionStore, TrendingStore } from '../ports.ts';
import { coOccurrences } from '../recommend/co-occurrence.ts';
import { consentOf } from '../audience/privacy.ts';
import { resolveSubjectKeys, type SubjectKeyer } from '../audience/subjects.ts';
import type { Credential } from './credential.ts';
import { applyLinks, planLinks, type PathOf } from './links.ts';
import type { TrackedEvent } from './normalize.ts';
import { userHashMatches } from './user-hash.ts';

export interface IngestDeps {
  store: SubjectStore & SuppressionStore & TrendingStore & NeighbourStore;
  keyer: SubjectKeyer;
  /** Segment consent categories that must not be denied for a subject to be tracked. */
  consentCategories?: readonly string[];
  /** A trait that, when true, opts the subject out. */
  optOutTrait?: string;
  /** OPENTIME_IDENTITY_SECRET: browser events that name a userId must carry its `context.userHash`. */
  identitySecret?: string;
  /** Starts and cancels trigger episodes (core/triggers/engine.ts) once the events are stored. */
  triggers?: { eventsApplied(groups: readonly SubjectEvents[], now: number): Promise<void> };
}

export interface IngestOptions {
  /** Who sent the events; the browser key gets the stranger's rules (see links.ts). Default: server. */
  credential?: Credential;
  /** The events came as `/v1/batch` items, at these positions: error paths name `batch[i]`. */
  batchIndexes?: readonly number[];
}

export interface IngestResult extends ApplyResult {
  /** messageIds accepted but not stored: the subject is suppressed or withdrew consent. */
  dropped: string[];
}

/** Seconds a sender should wait before retrying when the store cannot write. */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * Stores validated events: first what the credential may not do is refused
 * (403, before anything is written), then consent, then the identity links
 * the events carry, then every event in its subject's profile, then the
 * trending counters and the co-occurrence neighbours. Resolves only when the events are durable; any store
 * failure becomes a 503 so that the sender retries, and retrying is safe
 * because applied messageIds are remembered.
 */
export async function ingestEvents(deps: IngestDeps, events: readonly TrackedEvent[], now: number, options: IngestOptions = {}): Promise<IngestResult> {
  const credential = options.credential ?? 'server';
  const { batchIndexes } = options;
  const pathOf: PathOf = (index, field) => [batchIndexes ? `batch[${batchIndexes[index] ?? index}]` : '', field ?? ''].filter((part) => part !== '').join('.') || '(root)';
  if (credential === 'browser') await verifyBrowserUsers(deps, events, pathOf);
  try {
    const planned = await planLinks(deps.keyer, events, credential, pathOf);
    const denied = await applyConsent(deps, events, credential, now);
    await applyLinks(deps, planned, credential, pathOf, now);
    const { groups, dropped } = await trackedGroups(deps, events, denied);
    const result = await deps.store.applyEvents(groups, now);
    const applied = new Set(result.applied);
    const increments = trendingIncrements(events.filter((e) => applied.has(e.messageId)));
    // What follows from the stored events is independent of each other: written together, not one after another.
    await Promise.all([
      increments.length > 0 ? deps.store.bumpTrending(increments, now) : undefined,
      coOccurrences(deps.store, groups, applied, now, result.profiles),
      // Duplicates too: a retry after a 503 here comes back as duplicates, and its episodes must still start.
      // A stray duplicate after a send is harmless: one open episode per trigger and subscriber, and the cap.
      deps.triggers?.eventsApplied(groups, now),
    ]);
    return { ...result, dropped };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('STORE_UNAVAILABLE', 'the store is not accepting writes; retry later', {
      cause: error,
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
    });
  }
}

/**
 * With OPENTIME_IDENTITY_SECRET set, a browser event may name a userId only
 * with that userId's hash from the shop's server: otherwise a visitor could
 * file their browsing (and consent) under anyone.
 */
async function verifyBrowserUsers(deps: IngestDeps, events: readonly TrackedEvent[], pathOf: PathOf): Promise<void> {
  const secret = deps.identitySecret;
  if (secret === undefined) return;
  for (const [index, event] of events.entries()) {
    if (event.userId === undefined) continue;
    const given = event.context.userHash;
    if (await userHashMatches(secret, event.userId, given)) continue;
    const path = pathOf(index, 'context.userHash');
    const message =
      given === undefined
        ? "a browser event that names a userId needs its userHash (hex HMAC-SHA256 of the userId under OPENTIME_IDENTITY_SECRET, computed by the shop's server)"
        : 'is not the HMAC-SHA256 of this userId under OPENTIME_IDENTITY_SECRET';
    throw new AppError('USER_HASH_INVALID', `${path}: ${message}`, { details: [{ path, message }] });
  }
}

async function subjectKeyOf(keyer: SubjectKeyer, event: TrackedEvent): Promise<string> {
  if (event.userId !== undefined) return keyer.userKey(event.userId);
  return keyer.anonymousKey(event.anonymousId as string);
}

/** Stronger sources are never replaced by weaker ones: a browser's withdrawal cannot turn an admin's into one it may lift. */
const STRENGTH: Record<SuppressionSource, number> = { browser: 1, consent: 2, admin: 3 };
/** What a consent grant may lift: the backend lifts any withdrawal, a browser only one a browser made. */
const LIFTS: Record<Credential, readonly SuppressionSource[]> = { server: ['consent', 'browser'], browser: ['browser'] };

/**
 * The keys an event's consent speaks for. The backend speaks for the
 * subject and whoever it was linked into. A browser speaks for its own
 * anonymous id, and for its userId only when that is verified (userHash):
 * otherwise the public key could suppress anyone.
 */
async function consentKeys(deps: IngestDeps, event: TrackedEvent, credential: Credential): Promise<string[]> {
  const keys: string[] = [];
  if (credential === 'server' || deps.identitySecret !== undefined) {
    const key = await subjectKeyOf(deps.keyer, event);
    keys.push(key, (await resolveSubjectKeys(deps.store, [key])).get(key) ?? key);
  }
  if (credential === 'browser' && event.anonymousId !== undefined) keys.push(await deps.keyer.anonymousKey(event.anonymousId));
  return [...new Set(keys)];
}

/**
 * An event that denies consent suppresses the keys it speaks for and is
 * itself never stored; one that grants it lifts only what its credential may
 * lift, never an admin's. Returns the messageIds of denying events.
 */
async function applyConsent(deps: IngestDeps, events: readonly TrackedEvent[], credential: Credential, now: number): Promise<Set<string>> {
  const denied = new Set<string>();
  if ((deps.consentCategories?.length ?? 0) === 0 && deps.optOutTrait === undefined) return denied;
  for (const event of events) {
    const consent = consentOf(event, deps.consentCategories ?? [], deps.optOutTrait);
    if (consent === undefined) continue;
    if (consent === false) denied.add(event.messageId);
    const keys = await consentKeys(deps, event, credential);
    if (keys.length === 0) continue;
    const current = await deps.store.getSuppressions(keys);
    if (consent === false) {
      const source: SuppressionSource = credential === 'server' ? 'consent' : 'browser';
      const weaker = keys.filter((k) => {
        const existing = current.get(k);
        return existing === undefined || STRENGTH[existing] < STRENGTH[source];
      });
      if (weaker.length > 0) await deps.store.setSuppression(weaker, source, now);
    } else {
      const lift = keys.filter((k) => LIFTS[credential].includes(current.get(k) as SuppressionSource));
      if (lift.length > 0) await deps.store.setSuppression(lift, undefined, now);
    }
  }
  return denied;
}

/**
 * Groups events by their subject's canonical key, leaving out (acknowledged
 * and dropped) those that deny consent and those whose own key or canonical
 * subject is suppressed: a browser that withdrew consent for its anonymous id
 * is not tracked even after that id was linked to a user.
 */
async function trackedGroups(deps: IngestDeps, events: readonly TrackedEvent[], denied: ReadonlySet<string>): Promise<{ groups: SubjectEvents[]; dropped: string[] }> {
  const keys = await Promise.all(events.map((e) => subjectKeyOf(deps.keyer, e)));
  const anonymousKeys = await Promise.all(events.map((e) => (e.anonymousId === undefined ? undefined : deps.keyer.anonymousKey(e.anonymousId))));
  const resolved = await resolveSubjectKeys(deps.store, keys);
  const asked = [...resolved.keys(), ...resolved.values(), ...anonymousKeys.filter((k): k is string => k !== undefined)];
  const suppressed = await deps.store.getSuppressions([...new Set(asked)]);
  const groups = new Map<string, TrackedEvent[]>();
  const dropped: string[] = [];
  events.forEach((event, i) => {
    const own = keys[i] as string;
    const key = resolved.get(own) ?? own;
    const anonymous = anonymousKeys[i];
    if (denied.has(event.messageId) || suppressed.has(own) || suppressed.has(key) || (anonymous !== undefined && suppressed.has(anonymous))) {
      dropped.push(event.messageId);
      return;
    }
    const list = groups.get(key);
    if (list) list.push(event);
    else groups.set(key, [event]);
  });
  return { groups: [...groups].map(([subjectKey, list]) => ({ subjectKey, events: list })), dropped };
}
