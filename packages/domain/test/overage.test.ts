import { describe, expect, it } from 'vitest';
import {
  OVERAGE_PRICE,
  capRuns,
  effectiveCap,
  forecastOverageCents,
  isOverageBillable,
  overageAmountCents,
  parseUnitAmountDecimal,
  paymentRequiredBodySchema,
  resolveEntitlement,
  runsWithinMoney,
  spendCapDenial,
  toPaymentRequiredBody,
} from '../src/index';
import { at, makeState } from './helpers';

describe('the overage price: a decimal number of cents, never a float', () => {
  it('is the catalog’s 12.5¢ per run, billed on Basic, Pro and Team only', () => {
    expect(OVERAGE_PRICE).toEqual({
      unitAmountDecimal: '12.5',
      currency: 'usd',
      meterEventName: 'tollgate_overage_runs',
      lookupKey: 'tollgate_overage_run',
    });
    expect(['BASIC', 'PRO', 'TEAM'].every((plan) => isOverageBillable(plan as 'PRO'))).toBe(true);
    expect(['FREE', 'TRIAL', 'ENTERPRISE'].some((plan) => isOverageBillable(plan as 'FREE'))).toBe(false);
  });

  it('parses unit_amount_decimal exactly and refuses what Stripe would', () => {
    expect(parseUnitAmountDecimal('12.5')).toEqual({ numerator: 125n, scale: 10n });
    expect(parseUnitAmountDecimal('7')).toEqual({ numerator: 7n, scale: 1n });
    expect(parseUnitAmountDecimal('0.000000000001')).toEqual({ numerator: 1n, scale: 10n ** 12n });
    for (const bad of ['', '-1', '1e3', '1.', '.5', '0', '0.0', '1.0000000000001', 'NaN', ' 1']) {
      expect(() => parseUnitAmountDecimal(bad), bad).toThrow(RangeError);
    }
  });
});

describe('money caps: ⌊cap ÷ price per run⌋', () => {
  it.each([
    [100, '12.5', 8],
    [99, '12.5', 7],
    [1250, '12.5', 100],
    [1249, '12.5', 99],
    [0, '12.5', 0],
    [1, '0.3', 3],
    [10, '3.3333333333', 3],
    // 0.1 + 0.2 style float traps: 0.7 ÷ 0.07 is 9.999… in floats, exactly 10 here.
    [7, '0.7', 10],
    [100_000_000, '0.000001', 100_000_000_000_000],
  ])('%i¢ at %s¢ a run → %i runs', (cents, price, runs) => {
    expect(runsWithinMoney(cents, price)).toBe(runs);
  });

  it('refuses negative or fractional cents', () => {
    expect(() => runsWithinMoney(-1, '12.5')).toThrow(/^cents must be a whole number ≥ 0, got -1$/);
    expect(() => runsWithinMoney(1.5, '12.5')).toThrow(RangeError);
    expect(() => overageAmountCents(-1, '12.5')).toThrow(/^runs must be a whole number ≥ 0, got -1$/);
  });

  it('the stricter cap wins, and says whose it is', () => {
    const money = { kind: 'money' as const, cents: 100 };
    const runs = { kind: 'runs' as const, runs: 5 };
    expect(capRuns(money, '12.5')).toBe(8);
    expect(capRuns(runs, '12.5')).toBe(5);
    expect(effectiveCap({ account: null, operator: null }, '12.5')).toBeNull();
    expect(effectiveCap({ account: money, operator: null }, '12.5')).toEqual({ runs: 8, setBy: 'account' });
    expect(effectiveCap({ account: null, operator: runs }, '12.5')).toEqual({ runs: 5, setBy: 'operator' });
    expect(effectiveCap({ account: money, operator: runs }, '12.5')).toEqual({ runs: 5, setBy: 'operator' });
    expect(effectiveCap({ account: runs, operator: money }, '12.5')).toEqual({ runs: 5, setBy: 'account' });
    // A tie is the account's: its admins can change it themselves.
    expect(effectiveCap({ account: runs, operator: runs }, '12.5')).toEqual({ runs: 5, setBy: 'account' });
    expect(effectiveCap({ account: { kind: 'runs', runs: 0 }, operator: runs }, '12.5')).toEqual({
      runs: 0,
      setBy: 'account',
    });
  });
});

describe('what overage costs: runs × price, rounded half up to a cent', () => {
  it.each([
    [0, '12.5', 0],
    [1, '12.5', 13],
    [2, '12.5', 25],
    [3, '12.5', 38],
    [10_000, '12.5', 125_000],
    [3, '0.5', 2],
    [1, '0.49', 0],
    [1, '0.5', 1],
    [3, '3.3333333333', 10],
  ])('%i runs at %s¢ → %i¢', (runs, price, cents) => {
    expect(overageAmountCents(runs, price)).toBe(cents);
  });
});

describe('the forecast: this period’s pace extended to its end', () => {
  const periodStart = at('2025-03-01T00:00:00Z');
  const periodEnd = at('2025-03-31T00:00:00Z');

  it('a third of the way in with $10 spent → $30 by the end', () => {
    expect(
      forecastOverageCents({ spentCents: 1000, periodStart, periodEnd, now: at('2025-03-11T00:00:00Z') }),
    ).toEqual({
      cents: 3000,
      by: periodEnd,
    });
  });

  it('nothing spent, no time elapsed or under an hour in: no forecast', () => {
    expect(
      forecastOverageCents({ spentCents: 0, periodStart, periodEnd, now: at('2025-03-11T00:00:00Z') }),
    ).toBeNull();
    expect(forecastOverageCents({ spentCents: 10, periodStart, periodEnd, now: periodStart })).toBeNull();
    expect(
      forecastOverageCents({ spentCents: 10, periodStart, periodEnd, now: at('2025-03-01T00:59:00Z') }),
    ).toBeNull();
    expect(
      forecastOverageCents({ spentCents: 10, periodStart, periodEnd, now: at('2025-03-01T01:00:00Z') }),
    ).toEqual({
      cents: 7200,
      by: periodEnd,
    });
  });

  it('an empty or inverted period: no forecast', () => {
    const later = at('2025-03-01T05:00:00Z');
    expect(
      forecastOverageCents({ spentCents: 10, periodStart, periodEnd: periodStart, now: later }),
    ).toBeNull();
    expect(
      forecastOverageCents({
        spentCents: 10,
        periodStart,
        periodEnd: at('2025-02-28T00:00:00Z'),
        now: later,
      }),
    ).toBeNull();
  });

  it('past the end (a late read): the spend itself', () => {
    expect(
      forecastOverageCents({ spentCents: 500, periodStart, periodEnd, now: at('2025-04-02T00:00:00Z') })
        ?.cents,
    ).toBe(500);
  });
});

describe('SPEND_CAP_REACHED', () => {
  const entitlement = resolveEntitlement(
    makeState({ plan: 'BASIC', status: 'active' }),
    at('2025-03-10T12:00:00Z'),
    { graceDays: 7 },
  );

  it('says the cap and who can raise it, keeps the plan’s counters, and its body carries the cap', () => {
    const mine = spendCapDenial(entitlement, { used: 100, capRuns: 8, setBy: 'account', capLabel: '$1.00' });
    expect(mine).toMatchObject({
      allowed: false,
      code: 'SPEND_CAP_REACHED',
      used: 100,
      limit: entitlement.limit,
    });
    expect(mine.message).toBe(
      'Your monthly spend cap of $1.00 (8 overage runs) is reached. An owner or admin can raise the cap in Settings, or buy runs.',
    );
    const support = spendCapDenial(entitlement, {
      used: 100,
      capRuns: 1,
      setBy: 'operator',
      capLabel: '1 run',
    });
    expect(support.message).toBe(
      'Your monthly spend cap of 1 run (1 overage run) is reached. This cap was set by support: contact them to raise it, or buy runs.',
    );
    const spendCap = {
      capRuns: 8,
      capCents: 100,
      setBy: 'account' as const,
      overageRuns: 8,
      spentCents: 100,
      raiseUrl: '/cap',
    };
    const body = toPaymentRequiredBody(mine, '/u', '/b', spendCap);
    expect(body.error.spendCap).toEqual(spendCap);
    expect(body.error.packs).toHaveLength(2);
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
    expect(toPaymentRequiredBody(mine, '/u', '/b').error).not.toHaveProperty('spendCap');
    const bySupport = toPaymentRequiredBody(support, '/u', '/b', {
      ...spendCap,
      setBy: 'operator',
      capCents: null,
    });
    expect(paymentRequiredBodySchema.parse(JSON.parse(JSON.stringify(bySupport)))).toEqual(bySupport);
    expect(() =>
      paymentRequiredBodySchema.parse({
        error: { ...body.error, spendCap: { ...spendCap, setBy: 'someone' } },
      }),
    ).toThrow();
  });
});
