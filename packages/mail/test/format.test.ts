import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney } from '../src/format.js';

describe('formatMoney', () => {
  it.each([
    [4900, 'usd', '$49.00'],
    [4900, 'USD', '$49.00'],
    [0, 'usd', '$0.00'],
    [123456, 'usd', '$1,234.56'],
    [500, 'jpy', '¥500'],
    [500, 'krw', '₩500'],
    [4999, 'eur', '€49.99'],
    [1500, 'kwd', 'KWD 1.500'],
  ])('formats %i %s as %s', (minor, currency, expected) => {
    // Intl may use a narrow no-break space between code and amount.
    expect(formatMoney(minor, currency).replace(/\s/g, ' ')).toBe(expected);
  });
});

describe('formatDate', () => {
  it('formats in UTC', () => {
    expect(formatDate(new Date('2026-12-03T00:30:00Z'))).toBe('December 3, 2026');
    expect(formatDate(new Date('2026-12-03T23:30:00Z'))).toBe('December 3, 2026');
  });
});
