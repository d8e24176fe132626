import { describe, expect, it } from 'vitest';
import { AppError, addMonthsClamped, freePeriodAt, isWithinPeriod } from '../src/index';
import { at, plusMs } from './helpers';

describe('freePeriodAt: monthly anniversaries of the account creation (UTC)', () => {
  it.each([
    // created, now, expected start, expected end
    ['2025-01-15T10:00:00Z', '2025-01-15T10:00:00Z', '2025-01-15T10:00:00Z', '2025-02-15T10:00:00Z'],
    ['2025-01-15T10:00:00Z', '2025-02-15T09:59:59.999Z', '2025-01-15T10:00:00Z', '2025-02-15T10:00:00Z'],
    ['2025-01-15T10:00:00Z', '2025-02-15T10:00:00Z', '2025-02-15T10:00:00Z', '2025-03-15T10:00:00Z'],
    ['2025-01-15T10:00:00Z', '2025-02-15T10:00:00.001Z', '2025-02-15T10:00:00Z', '2025-03-15T10:00:00Z'],
    // Jan 31 in a leap year: Feb 29, then back to Mar 31 (computed from creation, no drift).
    ['2024-01-31T08:00:00Z', '2024-02-15T00:00:00Z', '2024-01-31T08:00:00Z', '2024-02-29T08:00:00Z'],
    ['2024-01-31T08:00:00Z', '2024-02-29T08:00:00Z', '2024-02-29T08:00:00Z', '2024-03-31T08:00:00Z'],
    ['2024-01-31T08:00:00Z', '2024-03-31T07:59:59.999Z', '2024-02-29T08:00:00Z', '2024-03-31T08:00:00Z'],
    ['2024-01-31T08:00:00Z', '2024-03-31T08:00:00Z', '2024-03-31T08:00:00Z', '2024-04-30T08:00:00Z'],
    ['2024-01-31T08:00:00Z', '2024-05-01T00:00:00Z', '2024-04-30T08:00:00Z', '2024-05-31T08:00:00Z'],
    // Jan 31 in a common year: Feb 28.
    ['2025-01-31T08:00:00Z', '2025-02-28T07:59:59.999Z', '2025-01-31T08:00:00Z', '2025-02-28T08:00:00Z'],
    ['2025-01-31T08:00:00Z', '2025-02-28T08:00:00Z', '2025-02-28T08:00:00Z', '2025-03-31T08:00:00Z'],
    ['2025-01-31T08:00:00Z', '2025-03-02T00:00:00Z', '2025-02-28T08:00:00Z', '2025-03-31T08:00:00Z'],
    // Created Feb 29: the 29th every month, Feb 28 in common years, Feb 29 again in the next leap year.
    ['2024-02-29T12:00:00Z', '2024-03-29T12:00:00Z', '2024-03-29T12:00:00Z', '2024-04-29T12:00:00Z'],
    ['2024-02-29T12:00:00Z', '2025-02-28T12:00:00Z', '2025-02-28T12:00:00Z', '2025-03-29T12:00:00Z'],
    ['2024-02-29T12:00:00Z', '2028-02-29T11:59:59.999Z', '2028-01-29T12:00:00Z', '2028-02-29T12:00:00Z'],
    ['2024-02-29T12:00:00Z', '2028-02-29T12:00:00Z', '2028-02-29T12:00:00Z', '2028-03-29T12:00:00Z'],
    // Created Mar 31: Apr 30, May 31.
    [
      '2025-03-31T23:59:59.999Z',
      '2025-04-30T23:59:59.999Z',
      '2025-04-30T23:59:59.999Z',
      '2025-05-31T23:59:59.999Z',
    ],
    // Year rollover.
    ['2024-12-31T00:00:00Z', '2025-01-31T00:00:00Z', '2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z'],
    ['2024-12-31T00:00:00Z', '2025-01-30T23:59:59.999Z', '2024-12-31T00:00:00Z', '2025-01-31T00:00:00Z'],
    // Years later, no drift.
    ['2020-01-31T08:00:00Z', '2031-06-30T08:00:00Z', '2031-06-30T08:00:00Z', '2031-07-31T08:00:00Z'],
  ])('created %s, now %s -> [%s, %s)', (created, now, start, end) => {
    const period = freePeriodAt(at(created), at(now));
    expect(period).toEqual({ start: at(start), end: at(end) });
    expect(isWithinPeriod(period, at(now))).toBe(true);
  });

  it('is the same instant whatever offset the ISO strings were written in', () => {
    // 2024-01-31T23:30-12:00 is 2024-02-01T11:30Z: the anniversary day is the 1st in UTC, not the 31st.
    const createdEast = at('2024-02-02T01:30:00+14:00');
    const createdWest = at('2024-01-31T23:30:00-12:00');
    const nowEast = at('2024-03-02T01:30:00+14:00'); // 2024-03-01T11:30Z, exactly an anniversary
    const nowWest = at('2024-02-29T23:30:00-12:00');
    const expected = { start: at('2024-03-01T11:30:00Z'), end: at('2024-04-01T11:30:00Z') };
    expect(freePeriodAt(createdEast, nowEast)).toEqual(expected);
    expect(freePeriodAt(createdWest, nowWest)).toEqual(expected);
    expect(freePeriodAt(createdEast, nowWest)).toEqual(expected);
  });

  it('puts a now slightly before the account creation (clock skew) in the first period', () => {
    const created = at('2025-01-15T10:00:00Z');
    expect(freePeriodAt(created, plusMs(created, -5))).toEqual({
      start: created,
      end: at('2025-02-15T10:00:00Z'),
    });
  });

  it('gives every instant of a year exactly one period, each starting where the last one ended', () => {
    const created = at('2024-01-31T08:00:00Z');
    let period = freePeriodAt(created, created);
    for (let month = 0; month < 24; month += 1) {
      const next = freePeriodAt(created, period.end);
      expect(next.start).toEqual(period.end);
      expect(freePeriodAt(created, plusMs(period.end, -1))).toEqual(period);
      period = next;
    }
    expect(period.start).toEqual(at('2026-01-31T08:00:00Z'));
  });

  it('rejects an invalid date instead of computing NaN periods', () => {
    expect(() => freePeriodAt(new Date('nope'), at('2025-01-01T00:00:00Z'))).toThrow(AppError);
    expect(() => freePeriodAt(at('2025-01-01T00:00:00Z'), new Date(Number.NaN))).toThrow(AppError);
  });
});

describe('addMonthsClamped', () => {
  it.each([
    ['2024-01-31T00:00:00Z', 1, '2024-02-29T00:00:00Z'],
    ['2024-01-31T00:00:00Z', 2, '2024-03-31T00:00:00Z'],
    ['2024-01-31T00:00:00Z', 13, '2025-02-28T00:00:00Z'],
    ['2024-03-31T00:00:00Z', -1, '2024-02-29T00:00:00Z'],
    ['2024-05-15T06:07:08.009Z', 0, '2024-05-15T06:07:08.009Z'],
  ] as const)('%s + %s months = %s', (origin, months, expected) => {
    expect(addMonthsClamped(at(origin), months)).toEqual(at(expected));
  });
});
