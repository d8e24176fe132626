import { describe, expect, it } from 'vitest';
import { monthOf } from '../../src/index';
import {
  formatMonth,
  monthCloseMs,
  monthIndexOf,
  monthRange,
  monthStartMs,
  parseMonth,
} from '../../src/analytics/month';
import { at } from '../helpers';

describe('UTC months "YYYY-MM"', () => {
  it('parses and formats both ways', () => {
    expect(parseMonth('2024-01')).toBe(2024 * 12);
    expect(parseMonth('2024-12')).toBe(2024 * 12 + 11);
    for (const month of ['2000-01', '2024-09', '2024-10', '2024-12', '2999-12']) {
      expect(formatMonth(parseMonth(month))).toBe(month);
    }
  });

  it('refuses anything else, and years outside 2000–2999 (Date.UTC reads 0–99 as 19xx)', () => {
    const bad = [
      '2024-1',
      '2024-13',
      '2024-00',
      '2024-20',
      '1999-12',
      '3000-01',
      ' 2024-01',
      '2024-01 ',
      '2024/01',
    ];
    for (const month of [...bad, '202-01', '20240-01', 'x2024-01', '2024-011', '2a24-01', '', '0099-01']) {
      expect(() => parseMonth(month), month).toThrow(RangeError);
    }
  });

  it('knows the month of an instant, in UTC, to the millisecond', () => {
    expect(monthOf(at('2024-02-29T23:59:59.999Z'))).toBe('2024-02');
    expect(monthOf(at('2024-03-01T00:00:00.000Z'))).toBe('2024-03');
    expect(monthOf(at('2023-12-31T23:59:59.999Z'))).toBe('2023-12');
    // 23:30 on Jan 31 in New York is already February in UTC.
    expect(monthOf(at('2024-01-31T23:30:00-05:00'))).toBe('2024-02');
    expect(monthIndexOf(at('2025-01-01T00:00:00Z').getTime())).toBe(2025 * 12);
  });

  it('starts a month at 00:00:00.000 on the 1st and closes it at its last millisecond', () => {
    expect(monthStartMs(parseMonth('2024-03'))).toBe(at('2024-03-01T00:00:00.000Z').getTime());
    expect(monthStartMs(parseMonth('2024-12'))).toBe(at('2024-12-01T00:00:00.000Z').getTime());
    expect(monthCloseMs(parseMonth('2024-02'))).toBe(at('2024-02-29T23:59:59.999Z').getTime());
    expect(monthCloseMs(parseMonth('2024-12'))).toBe(at('2024-12-31T23:59:59.999Z').getTime());
  });

  it('lists a range, both ends included; a reversed range is a mistake', () => {
    expect(monthRange('2023-11', '2024-02').map(formatMonth)).toEqual([
      '2023-11',
      '2023-12',
      '2024-01',
      '2024-02',
    ]);
    expect(monthRange('2024-05', '2024-05').map(formatMonth)).toEqual(['2024-05']);
    expect(() => monthRange('2024-06', '2024-05')).toThrow(RangeError);
  });
});
