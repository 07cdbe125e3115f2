/**
 * Wall-clock times in IANA zones → instants, with Intl only (no tz
 * database of our own). The two hard cases are the hours that a DST change
 * skips or repeats; they are resolved the way Temporal's default
 * (`disambiguation: "compatible"`) does, so a marketer's "23:59 in New York"
 * means what Temporal, Java and most calendars would say it means:
 * - a skipped time (spring forward, 02:30 on the day clocks jump 02:00 → 03:00)
 *   moves forward by the length of the gap (03:30 daylight time);
 * - a repeated time (fall back, 01:30 happens twice) is the earlier one.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in ms (New York in winter: −5 h). */
export function zoneOffsetMs(zone: string, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(fields.year ?? 1970, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0);
  // Offsets are whole seconds; the instant's milliseconds are not part of them.
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Reads `2026-12-24T23:59` or `2026-12-24T23:59:30`; undefined for anything else or an impossible date. */
export function parseWallClock(text: string): WallClock | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return { year, month, day, hour, minute, second };
}

const DAY_MS = 86_400_000;

/** The instant a wall-clock time in `zone` names (see the file comment for skipped and repeated times). */
export function wallClockToInstant(time: WallClock, zone: string): number {
  const local = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
  // The offsets in force a day either side cover any single transition near this time.
  const before = zoneOffsetMs(zone, local - DAY_MS);
  const after = zoneOffsetMs(zone, local + DAY_MS);
  const valid = [...new Set([before, after])].map((offset) => local - offset).filter((t) => local - zoneOffsetMs(zone, t) === t);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: read the time with the offset from before the jump, which lands after it.
  return local - before;
}
