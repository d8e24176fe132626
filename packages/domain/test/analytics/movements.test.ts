import { describe, expect, it } from 'vitest';
import { MOVEMENT_KINDS, buildHistory, churnAndRetention, mrrMovements } from '../../src/index';
import { classifyMovement, firstPaidMonth } from '../../src/analytics/movements';
import { formatMonth } from '../../src/analytics/month';
import { row } from './rows';

describe('one account’s movement in a month', () => {
  it('follows the written definitions', () => {
    expect(MOVEMENT_KINDS).toEqual(['new', 'expansion', 'contraction', 'churn', 'reactivation']);
    expect(classifyMovement(0, 0, true)).toBeNull();
    expect(classifyMovement(1900, 1900, false)).toBeNull();
    expect(classifyMovement(0, 1900, true)).toEqual({ kind: 'new', cents: 1900 });
    expect(classifyMovement(0, 1900, false)).toEqual({ kind: 'reactivation', cents: 1900 });
    expect(classifyMovement(1900, 4900, false)).toEqual({ kind: 'expansion', cents: 3000 });
    expect(classifyMovement(4900, 1900, false)).toEqual({ kind: 'contraction', cents: 3000 });
    expect(classifyMovement(4900, 0, false)).toEqual({ kind: 'churn', cents: 4900 });
  });
});

describe('an account’s first paid month: the first month it ended paying', () => {
  const first = (...rows: ReturnType<typeof row>[]) => {
    const month = firstPaidMonth(buildHistory(rows).accounts.get('A') ?? []);
    return month === null ? null : formatMonth(month);
  };

  it('is the month of a purchase that lasts to the month’s end, however late in the history', () => {
    expect(first(row('2024-01-31T23:59:59.999Z'))).toBe('2024-01');
    expect(first(row('2024-01-03T00:00:00Z', { status: 'trialing' }), row('2024-03-17T00:00:00Z'))).toBe(
      '2024-03',
    );
    expect(first(row('2024-01-03T00:00:00Z'), row('2024-05-01T00:00:00Z', { status: 'canceled' }))).toBe(
      '2024-01',
    );
  });

  it('is null for an account that never ended a month paying', () => {
    expect(
      first(row('2024-01-03T00:00:00Z'), row('2024-01-20T00:00:00Z', { status: 'canceled' })),
    ).toBeNull();
    expect(first(row('2024-01-03T00:00:00Z', { status: 'trialing' }))).toBeNull();
  });
});

describe('months without anybody paying at their start', () => {
  it('have no churn and no retention: null (n/a), not 0 %', () => {
    const history = buildHistory([row('2024-02-10T00:00:00Z')]);
    const [january, february, march] = churnAndRetention(history, { from: '2024-01', to: '2024-03' });
    for (const month of [january, february]) {
      expect(month).toMatchObject({ logoChurn: null, revenueChurn: null, netRevenueRetention: null });
    }
    expect(march?.netRevenueRetention).toEqual({ numerator: 1900, denominator: 1900, basisPoints: 10_000 });
    expect(mrrMovements(history, { from: '2024-02', to: '2024-02' })[0]?.new).toEqual({
      accounts: 1,
      cents: 1900,
    });
  });

  it('refuse a reversed range', () => {
    expect(() => mrrMovements(buildHistory([]), { from: '2024-03', to: '2024-01' })).toThrow(RangeError);
  });
});
