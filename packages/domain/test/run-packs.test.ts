import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUN_ESTIMATE,
  DRAW_ORDER_TEXT,
  MAX_RUN_UNITS,
  RUN_PACK_IDS,
  estimateTooLargeDenial,
  resolveEntitlement,
  RUN_PACKS,
  USAGE_UNIT,
  getRunPack,
  isRunPackId,
  packClawbackUnits,
  runPackExpiry,
} from '../src/index';
import { at, makeState } from './helpers';

describe('the pack catalog', () => {
  it('has the packs of the issue, priced in cents, one unit per run', () => {
    expect(RUN_PACK_IDS).toEqual(['PACK_100', 'PACK_1000']);
    expect(getRunPack('PACK_100')).toEqual({
      id: 'PACK_100',
      name: '100 runs',
      units: 100,
      priceCents: 1000,
      currency: 'usd',
    });
    expect(RUN_PACKS.PACK_1000).toMatchObject({ units: 1000, priceCents: 8000 });
    expect(USAGE_UNIT).toEqual({ singular: 'run', plural: 'runs' });
    expect(DEFAULT_RUN_ESTIMATE).toBe(1);
    expect(MAX_RUN_UNITS).toBe(100_000);
    expect(DRAW_ORDER_TEXT).toMatch(
      /allowance for this period first, then from packs and grants, those expiring soonest first/,
    );
  });

  it.each([
    ['PACK_100', true],
    ['PACK_1000', true],
    ['pack_100', false],
    ['PACK_10', false],
    ['', false],
    [null, false],
    [100, false],
  ])('isRunPackId(%j) is %s', (value, expected) => {
    expect(isRunPackId(value)).toBe(expected);
  });
});

describe('runPackExpiry: 12 calendar months after purchase, UTC', () => {
  it.each([
    ['2026-12-04T15:30:00Z', '2027-12-04T15:30:00.000Z'],
    ['2026-01-31T00:00:00Z', '2027-01-31T00:00:00.000Z'],
    // Feb 29 has no twin next year: the last day of February.
    ['2028-02-29T10:00:00Z', '2029-02-28T10:00:00.000Z'],
    // 23:30 in UTC-1 is the next day in UTC: the UTC date counts.
    ['2026-06-30T23:30:00-01:00', '2027-07-01T00:30:00.000Z'],
  ])('%s → %s', (bought, expires) => {
    expect(runPackExpiry(at(bought)).toISOString()).toBe(expires);
  });
});

describe('packClawbackUnits: ⌈units × refunded ÷ paid⌉ of the cumulative refund', () => {
  it.each([
    [100, 1000, 0, 0],
    [100, 1000, 1000, 100],
    [100, 1000, 300, 30],
    [100, 1000, 301, 31],
    [100, 1000, 1, 1],
    [100, 1000, 999, 100],
    [1000, 8000, 4000, 500],
    [1000, 8000, 7, 1],
    [3, 1000, 500, 2],
    // More than was paid (never happens at Stripe) is a full refund; less than nothing, none.
    [100, 1000, 5000, 100],
    [100, 1000, -5, 0],
    // Stripe amounts are integers; a fraction is cut, never a float in the product.
    [100, 1000, 300.7, 30],
  ])('%i units, paid %i, refunded %i → %i', (units, paid, refunded, expected) => {
    expect(packClawbackUnits(units, paid, refunded)).toBe(expected);
  });

  it('is exact for large amounts (integer arithmetic, no float rounding)', () => {
    // 0.1 + 0.2 style errors would round 29.999… up to 30 or 30.000…1 up to 31.
    expect(packClawbackUnits(1_000_000, 10_000_000, 3_000_000)).toBe(300_000);
    expect(packClawbackUnits(9_007_199, 9_007_199, 9_007_198)).toBe(9_007_198);
  });

  it.each([
    [0, 1000, 10],
    [1.5, 1000, 10],
    [100, 0, 10],
    [100, -1, 10],
  ])('refuses units %s / paid %s', (units, paid, refunded) => {
    expect(() => packClawbackUnits(units, paid, refunded)).toThrow(RangeError);
  });
});

describe('estimateTooLargeDenial: an estimate larger than what is left', () => {
  it('keeps the real counters and says how many runs are left', () => {
    const entitlement = resolveEntitlement(makeState(), at('2025-03-10T12:00:00Z'), { graceDays: 7 });
    const denial = estimateTooLargeDenial(entitlement, { used: 8, left: 2, estimate: 5 });
    expect(denial).toEqual({
      allowed: false,
      code: 'USAGE_LIMIT_REACHED',
      message:
        'This run reserves 5 agent runs, but only 2 runs are left. Send a smaller estimate, buy runs or upgrade your plan.',
      plan: 'FREE',
      status: 'active',
      used: 8,
      limit: 10,
      resetsAt: entitlement.period.end,
    });
    expect(estimateTooLargeDenial(entitlement, { used: 9, left: 1, estimate: 3 }).message).toContain(
      'only 1 run is left',
    );
  });
});
