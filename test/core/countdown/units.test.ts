import { describe, expect, it } from 'vitest';
import { digitsOf, leadingDigits, split, unitLabels, unitsOf } from '../../../src/core/countdown/units.ts';

const DAY = 86_400;
const HOUR = 3_600;

describe('remaining time in units', () => {
  it('shows the units each format names, biggest first', () => {
    expect(unitsOf('dd:hh:mm:ss')).toEqual(['day', 'hour', 'minute', 'second']);
    expect(unitsOf('dd:hh:mm')).toEqual(['day', 'hour', 'minute']);
    expect(unitsOf('hh:mm:ss')).toEqual(['hour', 'minute', 'second']);
    expect(unitsOf('hh:mm')).toEqual(['hour', 'minute']);
  });

  it('splits seconds into days, hours, minutes and seconds', () => {
    expect(split(2 * DAY + 3 * HOUR + 4 * 60 + 5, unitsOf('dd:hh:mm:ss'))).toEqual([2, 3, 4, 5]);
    expect(split(59, unitsOf('dd:hh:mm:ss'))).toEqual([0, 0, 0, 59]);
    expect(split(0, unitsOf('dd:hh:mm:ss'))).toEqual([0, 0, 0, 0]);
  });

  it('lets the biggest unit take the rest: hours past 24 without days', () => {
    expect(split(5 * DAY + 7 * HOUR + 30, unitsOf('hh:mm:ss'))).toEqual([127, 0, 30]);
  });

  it('rounds up to the last unit shown, so the display reaches zero at the deadline', () => {
    expect(split(61, unitsOf('dd:hh:mm'))).toEqual([0, 0, 2]);
    expect(split(59, unitsOf('hh:mm'))).toEqual([0, 1]);
    expect(split(HOUR, unitsOf('hh:mm'))).toEqual([1, 0]);
  });

  it('never shows a negative number', () => {
    expect(split(-90, unitsOf('dd:hh:mm:ss'))).toEqual([0, 0, 0, 0]);
  });

  it('gives the biggest unit at least two digits, more when it needs them', () => {
    expect(leadingDigits(3 * DAY, unitsOf('dd:hh:mm:ss'))).toBe(2);
    expect(leadingDigits(206 * DAY, unitsOf('dd:hh:mm:ss'))).toBe(3);
    expect(leadingDigits(5 * DAY, unitsOf('hh:mm:ss'))).toBe(3);
    expect(digitsOf(7, 2)).toBe('07');
    expect(digitsOf(206, 3)).toBe('206');
  });
});

describe('unitLabels', () => {
  it('names the units in the block locale, from Intl', () => {
    const units = unitsOf('dd:hh:mm:ss');
    expect(unitLabels('en-US', units)).toEqual(['days', 'hours', 'minutes', 'seconds']);
    expect(unitLabels('de-DE', units)).toEqual(['Tage', 'Stunden', 'Minuten', 'Sekunden']);
    expect(unitLabels('fr-FR', units)).toEqual(['jours', 'heures', 'minutes', 'secondes']);
    expect(unitLabels('es', unitsOf('hh:mm'))).toEqual(['horas', 'minutos']);
  });

  it('takes the heading form of languages with several plurals', () => {
    expect(unitLabels('ru-RU', unitsOf('dd:hh:mm:ss'))).toEqual(['дней', 'часов', 'минут', 'секунд']);
  });

  it('falls back to English for a locale Intl does not know or cannot parse', () => {
    expect(unitLabels('zz-ZZ', unitsOf('hh:mm'))).toEqual(['hours', 'minutes']);
    expect(unitLabels('not a locale!', unitsOf('hh:mm'))).toEqual(['hours', 'minutes']);
  });
});
