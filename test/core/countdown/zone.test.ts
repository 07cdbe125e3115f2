import { describe, expect, it } from 'vitest';
import { parseWallClock, wallClockToInstant, zoneOffsetMs } from '../../../src/core/countdown/zone.ts';

const instant = (text: string, zone: string) => {
  const wall = parseWallClock(text);
  if (!wall) throw new Error(`not a wall-clock time: ${text}`);
  return new Date(wallClockToInstant(wall, zone)).toISOString();
};

describe('wall-clock times in IANA zones', () => {
  it('converts ordinary times with the offset in force on that day', () => {
    expect(instant('2026-12-24T23:59', 'America/New_York')).toBe('2026-12-25T04:59:00.000Z');
    expect(instant('2026-07-04T12:00', 'America/New_York')).toBe('2026-07-04T16:00:00.000Z');
    expect(instant('2026-12-24T23:59:30', 'Europe/Berlin')).toBe('2026-12-24T22:59:30.000Z');
    expect(instant('2026-07-01T00:00', 'Europe/Berlin')).toBe('2026-06-30T22:00:00.000Z');
    expect(instant('2026-03-01T09:00', 'UTC')).toBe('2026-03-01T09:00:00.000Z');
  });

  it('moves a time that spring-forward skips ahead by the gap (New York, 8 March 2026)', () => {
    // Clocks jump from 02:00 EST to 03:00 EDT: 02:30 does not exist and reads as 03:30 EDT.
    expect(instant('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
    expect(instant('2026-03-08T02:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
    expect(instant('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
    expect(instant('2026-03-08T03:00', 'America/New_York')).toBe('2026-03-08T07:00:00.000Z');
  });

  it('moves a time that spring-forward skips ahead by the gap (Berlin, 29 March 2026)', () => {
    // Clocks jump from 02:00 CET to 03:00 CEST.
    expect(instant('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    expect(instant('2026-03-29T01:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:00.000Z');
    expect(instant('2026-03-29T03:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the earlier of a time that fall-back repeats (New York, 1 November 2026)', () => {
    // 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    expect(instant('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
    expect(instant('2026-11-01T00:59', 'America/New_York')).toBe('2026-11-01T04:59:00.000Z');
    expect(instant('2026-11-01T02:00', 'America/New_York')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('takes the earlier of a time that fall-back repeats (Berlin, 25 October 2026)', () => {
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(instant('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    expect(instant('2026-10-25T03:00', 'Europe/Berlin')).toBe('2026-10-25T02:00:00.000Z');
    expect(instant('2026-10-25T01:59', 'Europe/Berlin')).toBe('2026-10-24T23:59:00.000Z');
  });

  it('works in zones with half-hour offsets and on the other hemisphere', () => {
    expect(instant('2026-01-15T10:00', 'Asia/Kolkata')).toBe('2026-01-15T04:30:00.000Z');
    // Sydney is on daylight time in January (UTC+11), standard time in July (UTC+10).
    expect(instant('2026-01-15T10:00', 'Australia/Sydney')).toBe('2026-01-14T23:00:00.000Z');
    expect(instant('2026-07-15T10:00', 'Australia/Sydney')).toBe('2026-07-15T00:00:00.000Z');
  });

  it('reads the zone offset at an instant', () => {
    expect(zoneOffsetMs('America/New_York', Date.parse('2026-01-10T12:00:00.250Z'))).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs('America/New_York', Date.parse('2026-07-10T12:00:00Z'))).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs('Europe/Berlin', Date.parse('2026-07-10T12:00:00Z'))).toBe(2 * 3_600_000);
  });

  it('refuses impossible dates and other shapes', () => {
    expect(parseWallClock('2026-02-30T10:00')).toBeUndefined();
    expect(parseWallClock('2026-12-24T24:00')).toBeUndefined();
    expect(parseWallClock('2026-12-24 23:59')).toBeUndefined();
    expect(parseWallClock('2026-12-24T23:59Z')).toBeUndefined();
    expect(parseWallClock('2026-12-24T23:59:07')).toEqual({ year: 2026, month: 12, day: 24, hour: 23, minute: 59, second: 7 });
  });
});
