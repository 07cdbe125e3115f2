import type { Deadline, FixedDeadline } from '../blocks/countdown.ts';
import { ECOMMERCE_EVENTS, ecommerceEvent } from '../profiles/ecommerce.ts';
import type { Profile } from '../profiles/profile.ts';
import { parseWallClock, wallClockToInstant } from './zone.ts';

/**
 * Which instant a countdown counts to. Fixed deadlines are the same for
 * everyone; a URL parameter or a profile event makes it per recipient.
 */
export type DeadlineSource = 'fixed' | 'query' | 'event' | 'fallback';

export interface ResolvedDeadline {
  /** Epoch ms, whole seconds. */
  at: number;
  source: DeadlineSource;
}

/** Deadlines outside these years are typos or hostile input, not campaigns. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function inRange(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= EARLIEST && ms < LATEST ? wholeSecond(ms) : undefined;
}

export function fixedInstant(deadline: FixedDeadline): number | undefined {
  if (typeof deadline === 'string') return inRange(Date.parse(deadline));
  const wall = parseWallClock(deadline.at);
  return wall ? inRange(wallClockToInstant(wall, deadline.zone)) : undefined;
}

/**
 * A deadline from a merge tag: an ISO time with Z or an offset, or epoch
 * seconds. A time without an offset is refused: whose midnight would it be?
 */
export function parseQueryDeadline(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{9,11}$/.test(text)) return inRange(Number(text) * 1000);
  if (ISO_WITH_OFFSET.test(text)) return inRange(Date.parse(text));
  return undefined;
}

/** When the subscriber last sent `name`; e-commerce names match the way the reducer stores them. */
export function lastEventTime(profile: Profile | undefined, name: string): number | undefined {
  if (!profile) return undefined;
  const kind = ecommerceEvent(name);
  return profile.lastEventAt[kind ? ECOMMERCE_EVENTS[kind] : name];
}

export interface DeadlineInputs {
  /** A query parameter of the image URL. */
  query(name: string): string | undefined;
  /** The subscriber's profile, read only for event deadlines; undefined when anonymous, suppressed or unknown. */
  profile(): Promise<Profile | undefined>;
}

/** The instant to count to, or undefined when nothing usable was given and there is no fallback. */
export async function resolveDeadline(deadline: Deadline, inputs: DeadlineInputs): Promise<ResolvedDeadline | undefined> {
  const fallback = (fixed: FixedDeadline | undefined): ResolvedDeadline | undefined => {
    const at = fixed === undefined ? undefined : fixedInstant(fixed);
    return at === undefined ? undefined : { at, source: 'fallback' };
  };
  if (typeof deadline === 'string' || 'zone' in deadline) {
    const at = fixedInstant(deadline);
    return at === undefined ? undefined : { at, source: 'fixed' };
  }
  if ('query' in deadline) {
    const at = parseQueryDeadline(inputs.query(deadline.query));
    return at === undefined ? fallback(deadline.fallback) : { at, source: 'query' };
  }
  const happened = lastEventTime(await inputs.profile(), deadline.after);
  if (happened === undefined) return fallback(deadline.fallback);
  const offsetMs = ((deadline.days ?? 0) * 24 * 60 + (deadline.hours ?? 0) * 60 + (deadline.minutes ?? 0)) * 60_000;
  const at = inRange(happened + offsetMs);
  return at === undefined ? fallback(deadline.fallback) : { at, source: 'event' };
}
