import { describe, expect, it } from 'vitest';
import {
  firstDenialFollowUp,
  overageRevenue,
  paymentRequiredRate,
  runsDistribution,
  trialConversion,
} from '../../src/index';
import { at } from '../helpers';
import { history, quarter } from './hand-worked-history';

// The six accounts and their story: hand-worked-history.ts. Every figure below is worked out by hand.
describe('hand-worked cohorts, 402s, runs and overage: the same six accounts', () => {
  it('trial conversion: C and E converted at their trial end, F 1 ms too late', () => {
    const expected = (open: number) => [
      {
        month: '2024-01',
        trials: 2,
        converted: 2,
        open: 0,
        conversion: { numerator: 2, denominator: 2, basisPoints: 10000 },
      },
      {
        month: '2024-02',
        trials: 1,
        converted: 0,
        open,
        conversion: { numerator: 0, denominator: 1, basisPoints: 0 },
      },
      { month: '2024-03', trials: 0, converted: 0, open: 0, conversion: null },
    ];
    const trials = [
      { accountId: 'C', startedAt: at('2024-01-03T08:00:00Z'), endsAt: at('2024-01-17T08:00:00Z') },
      { accountId: 'E', startedAt: at('2024-01-22T07:00:00Z'), endsAt: at('2024-02-05T07:00:00Z') },
      { accountId: 'F', startedAt: at('2024-02-20T12:00:00Z'), endsAt: at('2024-03-05T12:00:00Z') },
    ];
    // F's window: 03-05T12:00 + 30 days = 04-04T12:00:00.000Z; open while it ends after asOf.
    expect(trialConversion(history, trials, { ...quarter, asOf: at('2024-04-30T00:00:00Z') })).toEqual(
      expected(0),
    );
    expect(trialConversion(history, trials, { ...quarter, asOf: at('2024-04-04T12:00:00.000Z') })).toEqual(
      expected(0),
    );
    expect(trialConversion(history, trials, { ...quarter, asOf: at('2024-04-04T11:59:59.999Z') })).toEqual(
      expected(1),
    );
  });

  it('the 402 rate, and who answered their first 402 within 7 days', () => {
    const denials = [
      { accountId: 'B', at: at('2024-01-25T00:00:00Z'), plan: 'PRO' as const }, // past_due → active: no rise
      { accountId: 'A', at: at('2024-02-10T00:00:00Z'), plan: 'BASIC' as const }, // PRO 02-15: upgraded
      { accountId: 'E', at: at('2024-02-26T00:00:00Z'), plan: 'FREE' as const }, // pack at +7 days exactly
      { accountId: 'F', at: at('2024-03-01T00:00:00Z'), plan: 'TRIAL' as const }, // trial ends unpaid: neither
      { accountId: 'A', at: at('2024-03-20T00:00:00Z'), plan: 'PRO' as const }, // not a first 402
    ];
    const authorizations = [
      { month: '2024-01', plan: 'PRO' as const, authorizations: 40 },
      { month: '2024-01', plan: 'BASIC' as const, authorizations: 60 },
      { month: '2024-02', plan: 'FREE' as const, authorizations: 50 },
    ];
    expect(paymentRequiredRate(denials, authorizations, quarter)).toEqual([
      {
        month: '2024-01',
        authorizations: 100,
        denied: 1,
        rate: { numerator: 1, denominator: 100, basisPoints: 100 },
      },
      {
        month: '2024-02',
        authorizations: 50,
        denied: 2,
        rate: { numerator: 2, denominator: 50, basisPoints: 400 },
      },
      { month: '2024-03', authorizations: 0, denied: 2, rate: null }, // no authorizations counted: n/a
    ]);
    const packs = [
      { accountId: 'E', at: at('2024-03-04T00:00:00Z') }, // t0 + 7 days, included
      { accountId: 'F', at: at('2024-03-08T00:00:00.001Z') }, // t0 + 7 days + 1 ms, too late
    ];
    const asOf = at('2024-04-30T00:00:00Z');
    expect(firstDenialFollowUp(history, denials, packs, { ...quarter, asOf })).toEqual([
      {
        month: '2024-01',
        accounts: 1,
        upgraded: 0,
        boughtPack: 0,
        upgradedOrBoughtPack: 0,
        open: 0,
        rate: { numerator: 0, denominator: 1, basisPoints: 0 },
      },
      {
        month: '2024-02',
        accounts: 2,
        upgraded: 1,
        boughtPack: 1,
        upgradedOrBoughtPack: 2,
        open: 0,
        rate: { numerator: 2, denominator: 2, basisPoints: 10000 },
      },
      {
        month: '2024-03',
        accounts: 1,
        upgraded: 0,
        boughtPack: 0,
        upgradedOrBoughtPack: 0,
        open: 0,
        rate: { numerator: 0, denominator: 1, basisPoints: 0 },
      },
    ]);
    // BASIC view: the plan at the first 402. B (PRO) and E (FREE) and F (TRIAL) leave; A stays.
    expect(
      firstDenialFollowUp(history, denials, packs, { ...quarter, asOf, plans: ['BASIC'] }).map((c) => [
        c.month,
        c.accounts,
        c.rate,
      ]),
    ).toEqual([
      ['2024-01', 0, null],
      ['2024-02', 1, { numerator: 1, denominator: 1, basisPoints: 10000 }],
      ['2024-03', 0, null],
    ]);
  });

  it('runs per account and overage revenue', () => {
    const runs = [
      { accountId: 'A', month: '2024-01', plan: 'BASIC' as const, runs: 12 },
      { accountId: 'B', month: '2024-01', plan: 'PRO' as const, runs: 0 },
      { accountId: 'C', month: '2024-01', plan: 'TEAM' as const, runs: 51 },
      { accountId: 'D', month: '2024-01', plan: 'ENTERPRISE' as const, runs: 2001 },
      { accountId: 'A', month: '2024-02', plan: 'BASIC' as const, runs: 5 }, // before the upgrade…
      { accountId: 'A', month: '2024-02', plan: 'PRO' as const, runs: 7 }, // …and after: 12 in all
    ];
    const [january, february, march] = runsDistribution(runs, quarter);
    // Sorted [0, 12, 51, 2001]: p50 = rank ⌈0.5 × 4⌉ = 2 → 12; p90 = rank ⌈3.6⌉ = 4 → 2001; mean 2064 ÷ 4 = 516.
    expect(january).toEqual({
      month: '2024-01',
      accounts: 4,
      runs: 2064,
      mean: { numerator: 2064, denominator: 4, rounded: 516 },
      p50: 12,
      p90: 2001,
      p99: 2001,
      max: 2001,
      buckets: [
        { min: 0, max: 0, accounts: 1 },
        { min: 1, max: 10, accounts: 0 },
        { min: 11, max: 50, accounts: 1 },
        { min: 51, max: 100, accounts: 1 },
        { min: 101, max: 1000, accounts: 0 },
        { min: 1001, max: 2000, accounts: 0 },
        { min: 2001, max: null, accounts: 1 },
      ],
    });
    expect([february?.accounts, february?.runs, february?.p50]).toEqual([1, 12, 12]);
    expect([march?.accounts, march?.mean, march?.p50, march?.max]).toEqual([0, null, null, null]);
    expect(runsDistribution(runs, { from: '2024-02', to: '2024-02', plans: ['PRO'] })[0]?.runs).toBe(7);

    const overage = [
      { accountId: 'A', month: '2024-01', plan: 'BASIC' as const, cents: 250 },
      { accountId: 'C', month: '2024-01', plan: 'TEAM' as const, cents: 0 }, // a 0 line: not an account billed
      { accountId: 'A', month: '2024-02', plan: 'PRO' as const, cents: 125 },
      { accountId: 'A', month: '2024-02', plan: 'PRO' as const, cents: 125 },
    ];
    expect(overageRevenue(overage, quarter)).toEqual([
      { month: '2024-01', cents: 250, accounts: 1 },
      { month: '2024-02', cents: 250, accounts: 1 }, // two lines, one account
      { month: '2024-03', cents: 0, accounts: 0 },
    ]);
  });
});
