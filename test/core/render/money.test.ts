import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../../src/core/render/money.ts';

describe('formatMoney', () => {
  it('formats prices the way shoppers read them in their locale', () => {
    expect(formatMoney(12.5, 'USD', 'en-US')).toBe('$12.50');
    expect(formatMoney(1234.5, 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
    expect(formatMoney(1200, 'JPY', 'ja-JP')).toBe('￥1,200');
  });

  it('gives the same answer when asked again (formatters are kept)', () => {
    expect(formatMoney(3, 'GBP', 'en-GB')).toBe('£3.00');
    expect(formatMoney(4, 'GBP', 'en-GB')).toBe('£4.00');
  });

  it('still shows a readable price for an unknown locale or a malformed currency', () => {
    expect(formatMoney(9.5, 'USD', '!!')).toBe('9.50 USD');
    expect(formatMoney(9.5, 'US', 'en-US')).toBe('9.50 US');
  });
});
