import type { CountdownFormat } from '../blocks/countdown.ts';

/** The units a countdown can show, biggest first. */
export type Unit = 'day' | 'hour' | 'minute' | 'second';

const SECONDS: Record<Unit, number> = { day: 86_400, hour: 3_600, minute: 60, second: 1 };

export function unitsOf(format: CountdownFormat): Unit[] {
  const units: Unit[] = format.startsWith('dd') ? ['day', 'hour', 'minute'] : ['hour', 'minute'];
  if (format.endsWith('ss')) units.push('second');
  return units;
}

/**
 * The numbers to show for `seconds` left, one per unit. The biggest unit
 * takes whatever is left over (hours past 24 when days are not shown). When
 * seconds are not shown, the last unit rounds up, so the display reaches
 * zero at the deadline and not up to a minute before it.
 */
export function split(seconds: number, units: readonly Unit[]): number[] {
  const smallest = units[units.length - 1] ?? 'second';
  let left = Math.ceil(Math.max(0, seconds) / SECONDS[smallest]) * SECONDS[smallest];
  return units.map((unit) => {
    const value = Math.floor(left / SECONDS[unit]);
    left -= value * SECONDS[unit];
    return value;
  });
}

/** The number of digit cells the biggest unit needs for this many seconds left (two at least). */
export function leadingDigits(seconds: number, units: readonly Unit[]): number {
  return Math.max(2, String(split(seconds, units)[0] ?? 0).length);
}

/** Digits of one unit's value, zero-padded to `width` cells. */
export function digitsOf(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Unit names in the block's locale, from Intl's own unit data ("Tage",
 * "Stunden" in German). The names are static parts of the image, so they
 * take the plural form for 5, which reads as a heading in most languages
 * (in Russian and Polish too, where 2 would take a different form).
 */
export function unitLabels(locale: string, units: readonly Unit[]): string[] {
  return units.map((unit) => {
    try {
      const parts = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long' }).formatToParts(5);
      const name = parts
        .filter((p) => p.type === 'unit')
        .map((p) => p.value)
        .join(' ')
        .trim();
      return name || unit;
    } catch {
      return new Intl.NumberFormat('en-US', { style: 'unit', unit, unitDisplay: 'long' }).formatToParts(5).find((p) => p.type === 'unit')?.value ?? unit;
    }
  });
}

/** Labels are drawn in capitals, with the locale's rules (Turkish i); a locale Intl rejects gets the default rules. */
export function upper(text: string, locale: string): string {
  try {
    return text.toLocaleUpperCase(locale);
  } catch {
    return text.toUpperCase();
  }
}
