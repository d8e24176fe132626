import { describe, expect, it } from 'vitest';
import {
  AppError,
  buildHistory,
  firstDenialFollowUp,
  mrrAt,
  overageRevenue,
  paymentRequiredRate,
  runsDistribution,
  trialConversion,
  type SubscriptionChange,
} from '../../src/index';
import { assertWholeNumber } from '../../src/analytics/whole-number';
import { at } from '../helpers';

// Figures from bad records would be wrong without anyone noticing: refused, naming the field.
const INVALID = new Date(Number.NaN);
const ROW: SubscriptionChange = {
  accountId: 'A',
  subscriptionId: 's1',
  at: at('2024-01-10T00:00:00Z'),
  status: 'active',
  plan: 'BASIC',
  priceCents: 1900,
  interval: 'month',
  quantity: 1,
  discountCents: 0,
};
const HISTORY = buildHistory([ROW]);
const RANGE = { from: '2024-01', to: '2024-02' };
const COHORT = { ...RANGE, asOf: at('2024-03-01T00:00:00Z') };
const TRIAL = { accountId: 'A', startedAt: at('2024-01-01T00:00:00Z'), endsAt: at('2024-01-15T00:00:00Z') };
const DENIAL = { accountId: 'A', at: at('2024-01-05T00:00:00Z'), plan: 'FREE' as const };

describe('analytics refuse records that would make a figure wrong', () => {
  it('takes whole numbers ≥ 0 only', () => {
    for (const value of [0, 1, Number.MAX_SAFE_INTEGER])
      expect(() => assertWholeNumber(value, 'x')).not.toThrow();
    for (const value of [-1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => assertWholeNumber(value, 'x'), String(value)).toThrow(RangeError);
    }
  });

  it.each([
    ['priceCents', { priceCents: 19.5 }],
    ['quantity', { quantity: -1 }],
    ['discountCents', { discountCents: 0.25 }],
  ] as const)('a history row with a bad %s', (field, patch) => {
    expect(() => buildHistory([{ ...ROW, ...patch }])).toThrow(new RegExp(`^${field} `));
  });

  it.each([
    ['at', () => buildHistory([{ ...ROW, at: INVALID }])],
    ['at', () => mrrAt(HISTORY, INVALID)],
    ['asOf', () => trialConversion(HISTORY, [TRIAL], { ...COHORT, asOf: INVALID })],
    ['startedAt', () => trialConversion(HISTORY, [{ ...TRIAL, startedAt: INVALID }], COHORT)],
    ['endsAt', () => trialConversion(HISTORY, [{ ...TRIAL, endsAt: INVALID }], COHORT)],
    ['at', () => paymentRequiredRate([{ ...DENIAL, at: INVALID }], [], RANGE)],
    ['at', () => firstDenialFollowUp(HISTORY, [{ ...DENIAL, at: INVALID }], [], COHORT)],
    ['asOf', () => firstDenialFollowUp(HISTORY, [DENIAL], [], { ...COHORT, asOf: INVALID })],
  ] as const)('an Invalid Date: %s', (field, call) => {
    expect(call).toThrow(AppError);
    expect(call).toThrow(expect.objectContaining({ code: 'INTERNAL', details: { field } }));
  });

  it('a trial that ends before it starts (a zero-length one is fine)', () => {
    const backwards = { ...TRIAL, endsAt: new Date(TRIAL.startedAt.getTime() - 1) };
    expect(() => trialConversion(HISTORY, [backwards], COHORT)).toThrow(RangeError);
    const zero = { ...TRIAL, endsAt: TRIAL.startedAt };
    expect(trialConversion(HISTORY, [zero], COHORT)[0]?.trials).toBe(1);
  });

  it('counts and cents that are not whole numbers, and months that are not "YYYY-MM"', () => {
    expect(() =>
      runsDistribution([{ accountId: 'A', month: '2024-01', plan: 'FREE', runs: -1 }], RANGE),
    ).toThrow(/^runs /);
    expect(() =>
      runsDistribution([{ accountId: 'A', month: '2024-1', plan: 'FREE', runs: 1 }], RANGE),
    ).toThrow(RangeError);
    expect(() =>
      overageRevenue([{ accountId: 'A', month: '2024-01', plan: 'PRO', cents: 12.5 }], RANGE),
    ).toThrow(/^cents /);
    expect(() => overageRevenue([{ accountId: 'A', month: 'Jan', plan: 'PRO', cents: 1 }], RANGE)).toThrow(
      RangeError,
    );
    const count = (month: string, authorizations: number) => [
      { month, plan: 'FREE' as const, authorizations },
    ];
    expect(() => paymentRequiredRate([], count('2024-01', 1.5), RANGE)).toThrow(/^authorizations /);
    expect(() => paymentRequiredRate([], count('24-01', 1), RANGE)).toThrow(RangeError);
  });
});
