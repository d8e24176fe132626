import { describe, expect, it } from 'vitest';
import {
  BILLED_STATUSES,
  SUBSCRIPTION_STATUSES,
  buildHistory,
  mrrAt,
  mrrByMonth,
  subscriptionMrrCents,
} from '../../src/index';
import { at } from '../helpers';
import { row } from './rows';

describe('one subscription state’s MRR', () => {
  it('counts only what is being billed: active and past_due', () => {
    expect(BILLED_STATUSES).toEqual(['active', 'past_due']);
    expect(Object.isFrozen(BILLED_STATUSES)).toBe(true);
    for (const status of SUBSCRIPTION_STATUSES) {
      const expected = status === 'active' || status === 'past_due' ? 1900 : 0;
      expect(subscriptionMrrCents(row('2024-01-01T00:00:00Z', { status })), status).toBe(expected);
    }
  });

  it('is price × quantity − recurring discount, never below 0', () => {
    const team = (quantity: number, discountCents: number) =>
      subscriptionMrrCents(
        row('2024-01-01T00:00:00Z', { plan: 'TEAM', priceCents: 1500, quantity, discountCents }),
      );
    expect(team(3, 0)).toBe(4500);
    expect(team(3, 200)).toBe(4300);
    expect(team(3, 4500)).toBe(0); // a 100 % coupon
    expect(team(3, 9999)).toBe(0); // a coupon larger than the bill is not negative revenue
    expect(team(0, 0)).toBe(0);
  });

  it('divides a yearly amount by 12, rounded half up to a whole cent', () => {
    const yearly = (priceCents: number, discountCents = 0) =>
      subscriptionMrrCents(row('2024-01-01T00:00:00Z', { interval: 'year', priceCents, discountCents }));
    expect(yearly(19_000)).toBe(1583); // 1583.33
    expect(yearly(60_006)).toBe(5001); // 5000.5 → up
    expect(yearly(60_005)).toBe(5000); // 5000.42
    expect(yearly(60_007)).toBe(5001); // 5000.58
    expect(yearly(6)).toBe(1); // 0.5
    expect(yearly(5)).toBe(0);
    expect(yearly(24_000, 6)).toBe(2000); // (24000 − 6) ÷ 12 = 1999.5 → 2000: the discount before dividing
  });
});

describe('MRR, ARR and ARPU at an instant', () => {
  const history = buildHistory([
    row('2024-01-10T00:00:00Z'),
    row('2024-01-10T00:00:00Z', { accountId: 'B', subscriptionId: 'b1', plan: 'PRO', priceCents: 4900 }),
    row('2024-01-10T00:00:00Z', { accountId: 'B', subscriptionId: 'b2', plan: 'PRO', priceCents: 1000 }),
    row('2024-02-01T00:00:00Z', {
      accountId: 'B',
      subscriptionId: 'b1',
      plan: 'PRO',
      priceCents: 4900,
      status: 'canceled',
    }),
  ]);

  it('sums every subscription of every account in force at that instant (changes at it included)', () => {
    expect(mrrAt(history, at('2024-01-10T00:00:00Z'))).toEqual({
      mrrCents: 7800,
      arrCents: 93_600,
      payingAccounts: 2,
      arpu: { numerator: 7800, denominator: 2, rounded: 3900 },
    });
    expect(mrrAt(history, at('2024-02-01T00:00:00Z')).mrrCents).toBe(2900);
    expect(mrrAt(history, at('2024-01-09T23:59:59.999Z'))).toEqual({
      mrrCents: 0,
      arrCents: 0,
      payingAccounts: 0,
      arpu: null,
    });
  });

  it('keeps only the chosen plans', () => {
    expect(mrrAt(history, at('2024-01-15T00:00:00Z'), ['PRO']).mrrCents).toBe(5900);
    expect(mrrAt(history, at('2024-01-15T00:00:00Z'), ['BASIC', 'TEAM']).mrrCents).toBe(1900);
    expect(mrrAt(history, at('2024-01-15T00:00:00Z'), []).payingAccounts).toBe(0);
  });

  it('at each month’s last millisecond for the chart: a change on the 1st at 00:00 is the new month’s', () => {
    expect(
      mrrByMonth(history, { from: '2023-12', to: '2024-02', plans: ['PRO'] }).map((m) => [
        m.month,
        m.mrrCents,
      ]),
    ).toEqual([
      ['2023-12', 0],
      ['2024-01', 5900],
      ['2024-02', 1000],
    ]);
  });
});
