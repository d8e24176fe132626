import { describe, expect, it } from 'vitest';
import { churnAndRetention, mrrAt, mrrByMonth, mrrMovements } from '../../src/index';
import { at } from '../helpers';
import { history, quarter } from './hand-worked-history';

// The six accounts and their story: hand-worked-history.ts. Every figure below is worked out by hand.
const none = { accounts: 0, cents: 0 };

describe('hand-worked MRR: six accounts, January to March 2024', () => {
  it('MRR movements, month by month', () => {
    expect(mrrMovements(history, quarter)).toEqual([
      {
        month: '2024-01',
        // Start (2023-12-31T23:59:59.999Z): A 1900 + B 4900 + D 5001 = 11801, three paying.
        startMrrCents: 11801,
        // End: A 1900 + B 4900 (paid again 01-27) + C 4500 = 11300; D canceled at the last ms.
        endMrrCents: 11300,
        payingAccountsAtStart: 3,
        payingAccountsAtEnd: 3,
        new: { accounts: 1, cents: 4500 }, // C, its first month ending paid
        expansion: none,
        contraction: none,
        churn: { accounts: 1, cents: 5001 }, // D
        reactivation: none,
        netCents: -501, // 4500 − 5001 = 11300 − 11801
      },
      {
        month: '2024-02',
        startMrrCents: 11300,
        // End (02-29T23:59:59.999Z): A 4900 + B 4900 + C 3000 = 12800; E canceled 02-25, F trialing.
        endMrrCents: 12800,
        payingAccountsAtStart: 3,
        payingAccountsAtEnd: 3,
        new: none, // E paid 02-05 to 02-25 only: nothing at either boundary
        expansion: { accounts: 1, cents: 3000 }, // A 1900 → 4900
        contraction: { accounts: 1, cents: 1500 }, // C 4500 → 3000
        churn: none,
        reactivation: none,
        netCents: 1500, // 3000 − 1500 = 12800 − 11300
      },
      {
        month: '2024-03',
        startMrrCents: 12800,
        // End: A 4900 + C 3000 + D 1500 + E 1900 = 11300; B canceled at March's first instant.
        endMrrCents: 11300,
        payingAccountsAtStart: 3,
        payingAccountsAtEnd: 4,
        new: { accounts: 1, cents: 1900 }, // E: never ended a month paying before
        expansion: none,
        contraction: none,
        churn: { accounts: 1, cents: 4900 }, // B
        reactivation: { accounts: 1, cents: 1500 }, // D: ended 2023 months paying
        netCents: -1500, // 1900 + 1500 − 4900 = 11300 − 12800
      },
    ]);
  });

  it('logo churn, revenue churn and net revenue retention, in basis points rounded half up', () => {
    expect(churnAndRetention(history, quarter)).toEqual([
      {
        month: '2024-01',
        logoChurn: { numerator: 1, denominator: 3, basisPoints: 3333 }, // 1 ÷ 3 = 33.333 %
        revenueChurn: { numerator: 5001, denominator: 11801, basisPoints: 4238 }, // 42.3777 %
        netRevenueRetention: { numerator: 6800, denominator: 11801, basisPoints: 5762 }, // 11801 − 5001; 57.622 %
      },
      {
        month: '2024-02',
        logoChurn: { numerator: 0, denominator: 3, basisPoints: 0 },
        revenueChurn: { numerator: 1500, denominator: 11300, basisPoints: 1327 }, // 13.274 %
        netRevenueRetention: { numerator: 12800, denominator: 11300, basisPoints: 11327 }, // 11300 + 3000 − 1500
      },
      {
        month: '2024-03',
        logoChurn: { numerator: 1, denominator: 3, basisPoints: 3333 },
        revenueChurn: { numerator: 4900, denominator: 12800, basisPoints: 3828 }, // 38.28125 %
        netRevenueRetention: { numerator: 7900, denominator: 12800, basisPoints: 6172 }, // 61.71875 % → half up
      },
    ]);
  });

  it('MRR, ARR and ARPU at each month end and at an instant', () => {
    expect(mrrByMonth(history, quarter)).toEqual([
      // ARPU 11300 ÷ 3 = 3766.67 → 3767
      {
        month: '2024-01',
        mrrCents: 11300,
        arrCents: 135600,
        payingAccounts: 3,
        arpu: { numerator: 11300, denominator: 3, rounded: 3767 },
      },
      // 12800 ÷ 3 = 4266.67 → 4267
      {
        month: '2024-02',
        mrrCents: 12800,
        arrCents: 153600,
        payingAccounts: 3,
        arpu: { numerator: 12800, denominator: 3, rounded: 4267 },
      },
      // 11300 ÷ 4 = 2825
      {
        month: '2024-03',
        mrrCents: 11300,
        arrCents: 135600,
        payingAccounts: 4,
        arpu: { numerator: 11300, denominator: 4, rounded: 2825 },
      },
    ]);
    // 01-25: A 1900 + B past_due 4900 (still billed) + C 4500 + D 5001 = 16301; E trialing counts 0.
    expect(mrrAt(history, at('2024-01-25T00:00:00Z'))).toEqual({
      mrrCents: 16301,
      arrCents: 195612,
      payingAccounts: 4,
      arpu: { numerator: 16301, denominator: 4, rounded: 4075 }, // 4075.25
    });
  });

  it('a plan view counts only the states on its plans: an upgrade leaves one view and enters the other', () => {
    const [proFebruary] = mrrMovements(history, { from: '2024-02', to: '2024-02', plans: ['PRO'] });
    // PRO: B 4900 at the start; A enters at 4900, its first month ending on PRO: new.
    expect(proFebruary).toMatchObject({
      startMrrCents: 4900,
      endMrrCents: 9800,
      new: { accounts: 1, cents: 4900 },
    });
    const [basicFebruary] = mrrMovements(history, { from: '2024-02', to: '2024-02', plans: ['BASIC'] });
    // BASIC: A leaves (1900 → 0, churn); E paid BASIC only inside February.
    expect(basicFebruary).toMatchObject({
      startMrrCents: 1900,
      endMrrCents: 0,
      churn: { accounts: 1, cents: 1900 },
    });
  });
});
