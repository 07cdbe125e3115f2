import { isTimeZone } from '../decide/facts.ts';
import type { Profile } from '../profiles/profile.ts';
import type { TriggerConfig } from './schema.ts';

/**
 * When a due episode is sent: at its due time, or moved (once, forward, by
 * less than a day) to the hour the subscriber usually opens email
 * (`send_at: "usual_open_hour"`, read from their last open), and then out of
 * the trigger's quiet hours. Local times are in the subscriber's `timezone`
 * trait when it names a zone, else in the quiet hours' zone (UTC by default).
 * Moving by whole minutes of local clock time is off by the hour on a day
 * the clocks change; no email goes out in the middle of the night for it.
 */
const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

export function sendTime(trigger: TriggerConfig, dueAt: number, profile: Profile | undefined): number {
  const zone = zoneOf(trigger, profile);
  let at = dueAt;
  if (trigger.send_at === 'usual_open_hour') {
    const lastOpen = profile?.lastEventAt['Email Opened'];
    if (lastOpen !== undefined) at = nextLocalTime(at, localMinutes(lastOpen, zone) - (localMinutes(lastOpen, zone) % 60), zone);
  }
  const quiet = trigger.quiet_hours;
  if (quiet && inWindow(localMinutes(at, zone), minutesOf(quiet.from), minutesOf(quiet.to))) at = nextLocalTime(at, minutesOf(quiet.to), zone);
  return at;
}

function zoneOf(trigger: TriggerConfig, profile: Profile | undefined): string {
  const trait = profile?.traits.timezone;
  if (typeof trait === 'string' && isTimeZone(trait)) return trait;
  return trigger.quiet_hours?.timezone ?? 'UTC';
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** Whether minute-of-day `m` is in [from, to), a window that may wrap past midnight (21:00–08:00). */
function inWindow(m: number, from: number, to: number): boolean {
  return from <= to ? m >= from && m < to : m >= from || m < to;
}

function localMinutes(at: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(at));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value) % 24;
  return hour * 60 + Number(parts.find((p) => p.type === 'minute')?.value);
}

/** The first instant at or after `at` whose local clock reads `target` minutes after midnight. */
function nextLocalTime(at: number, target: number, zone: string): number {
  const now = localMinutes(at, zone);
  if (now === target) return at;
  const delta = (target - now + DAY_MINUTES) % DAY_MINUTES;
  return Math.floor(at / MINUTE_MS) * MINUTE_MS + delta * MINUTE_MS;
}
