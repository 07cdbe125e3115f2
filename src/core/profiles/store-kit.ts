import { DEDUPE_WINDOW_SECONDS } from '../events/limits.ts';
import type { TrackedEvent } from '../events/normalize.ts';
import type { Profile } from './profile.ts';
import { reduceProfile } from './reducer.ts';

/**
 * The part of `Store.applyEvents` that is the same for every store: given a
 * subject's profile and which of the incoming messageIds it has already
 * applied, decide what is new (a messageId repeated inside the same batch
 * counts once) and reduce it with the core's reducer. Stores wrap this in
 * their own atomic step.
 */
export interface SubjectUpdate {
  /** The new profile, or undefined when nothing was applied. */
  profile: Profile | undefined;
  applied: string[];
  duplicates: string[];
}

export function updateSubject(profile: Profile | undefined, alreadyApplied: ReadonlySet<string>, events: readonly TrackedEvent[]): SubjectUpdate {
  const fresh: TrackedEvent[] = [];
  const applied: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set(alreadyApplied);
  for (const event of events) {
    if (seen.has(event.messageId)) {
      duplicates.push(event.messageId);
      continue;
    }
    seen.add(event.messageId);
    fresh.push(event);
    applied.push(event.messageId);
  }
  return { profile: fresh.length > 0 ? reduceProfile(profile, fresh) : undefined, applied, duplicates };
}

/** Messages applied before this time (ms) are no longer remembered: the dedupe window, counted back from `now`. */
export function dedupeHorizon(now: number): number {
  return now - DEDUPE_WINDOW_SECONDS * 1000;
}

/**
 * Orders strings by code point, which is how SQLite and Redis (ZRANGE BYLEX)
 * order their UTF-8 bytes; JavaScript's `<` compares UTF-16 units and would
 * put an emoji before "\uffff". Used where a store pages in id order.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const diff = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (diff !== 0) return diff;
  }
}
