import { describe, expect, it } from 'vitest';
import { basisPointsText, centsCsv, centsText, countText, rateCsv, rateText } from './figures-format';

describe('figures', () => {
  it('shows money from integer cents, and n/a for no figure', () => {
    expect(centsText(123_450)).toBe('$1,234.50');
    expect(centsText(-4_900)).toBe('-$49.00');
    expect(centsText(null)).toBe('n/a');
  });

  it.each([
    [1234, '12.34 %'],
    [5, '0.05 %'],
    [10_000, '100.00 %'],
    [11_250, '112.50 %'],
    [-250, '-2.50 %'],
    [1_234_567, '12,345.67 %'],
  ])('%i basis points read %s', (basisPoints, expected) => {
    expect(basisPointsText(basisPoints)).toBe(expected);
  });

  it('a rate with no denominator shows n/a', () => {
    expect(rateText(null)).toBe('n/a');
    expect(rateText({ numerator: 1, denominator: 3, basisPoints: 3333 })).toBe('33.33 %');
    expect(countText(null)).toBe('n/a');
  });

  it('writes CSV numbers from integers, without separators', () => {
    expect(centsCsv(123_405)).toBe('1234.05');
    expect(centsCsv(-5)).toBe('-0.05');
    expect(centsCsv(null)).toBeNull();
    expect(rateCsv({ numerator: 9, denominator: 8, basisPoints: 1_112_500 })).toBe('11125.00');
  });
});
