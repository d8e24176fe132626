import { describe, expect, it } from 'vitest';
import {
  FIRST_DENIAL_WINDOW_DAYS,
  buildHistory,
  firstDenialFollowUp,
  paymentRequiredRate,
  type PaymentRequiredRecord,
} from '../../src/index';
import { at } from '../helpers';
import { row } from './rows';

const T0 = '2024-05-10T12:00:00.000Z';
const DENIAL: PaymentRequiredRecord = { accountId: 'A', at: at(T0), plan: 'BASIC' };
const RANGE = { from: '2024-05', to: '2024-05', asOf: at('2024-12-01T00:00:00Z') };
const BASIC_SINCE_APRIL = row('2024-04-01T00:00:00Z');
const followUp = (
  rows: ReturnType<typeof row>[],
  packs: string[] = [],
  denials = [DENIAL],
  asOf = RANGE.asOf,
) =>
  firstDenialFollowUp(
    buildHistory(rows),
    denials,
    packs.map((iso) => ({ accountId: 'A', at: at(iso) })),
    { ...RANGE, asOf },
  )[0];

describe('the first 402, and what the account does in the 7 days after it', () => {
  it('is a 7-day window, (t0, t0 + 7 days]', () => {
    expect(FIRST_DENIAL_WINDOW_DAYS).toBe(7);
    const upgrade = (iso: string) =>
      followUp([BASIC_SINCE_APRIL, row(iso, { plan: 'PRO', priceCents: 4900 })])?.upgraded;
    expect(upgrade(T0)).toBe(0); // in force at t0: part of the baseline
    expect(upgrade('2024-05-10T12:00:00.001Z')).toBe(1);
    expect(upgrade('2024-05-17T12:00:00.000Z')).toBe(1);
    expect(upgrade('2024-05-17T12:00:00.001Z')).toBe(0);
    const pack = (iso: string) => followUp([], [iso])?.boughtPack;
    expect(pack(T0)).toBe(0);
    expect(pack('2024-05-10T12:00:00.001Z')).toBe(1);
    expect(pack('2024-05-17T12:00:00.000Z')).toBe(1);
    expect(pack('2024-05-17T12:00:00.001Z')).toBe(0);
  });

  it('calls an upgrade any change that lifts the account’s MRR above what it paid at t0', () => {
    const upgraded = (...rows: ReturnType<typeof row>[]) => followUp(rows)?.upgraded;
    expect(upgraded(row('2024-05-12T00:00:00Z'))).toBe(1); // FREE → BASIC
    expect(upgraded(BASIC_SINCE_APRIL, row('2024-05-12T00:00:00Z', { quantity: 2 }))).toBe(1); // more seats
    expect(upgraded(BASIC_SINCE_APRIL, row('2024-05-12T00:00:00Z', { status: 'past_due' }))).toBe(0); // same MRR
    expect(upgraded(row('2024-05-12T00:00:00Z', { status: 'trialing' }))).toBe(0); // a trial pays nothing
    // Up, then down again within the week: it did upgrade.
    expect(
      upgraded(
        BASIC_SINCE_APRIL,
        row('2024-05-12T00:00:00Z', { priceCents: 4900 }),
        row('2024-05-14T00:00:00Z', { priceCents: 1900 }),
      ),
    ).toBe(1);
    expect(
      upgraded(BASIC_SINCE_APRIL, row('2024-05-12T00:00:00Z', { accountId: 'B', priceCents: 4900 })),
    ).toBe(0);
  });

  it('counts an account that did both once, and the others as open while their window is', () => {
    const both = followUp([row('2024-05-12T00:00:00Z')], ['2024-05-13T00:00:00Z']);
    expect(both).toMatchObject({ accounts: 1, upgraded: 1, boughtPack: 1, upgradedOrBoughtPack: 1, open: 0 });
    expect(both?.rate).toEqual({ numerator: 1, denominator: 1, basisPoints: 10_000 });
    expect(followUp([], [], [DENIAL], at('2024-05-17T11:59:59.999Z'))?.open).toBe(1);
    expect(followUp([], [], [DENIAL], at('2024-05-17T12:00:00.000Z'))?.open).toBe(0);
    expect(followUp([], ['2024-05-11T00:00:00Z'], [DENIAL], at('2024-05-12T00:00:00Z'))?.open).toBe(0);
  });

  it('takes the first 402 ever, whatever the order of the records and the range', () => {
    const april = { ...DENIAL, at: at('2024-04-30T23:59:59.999Z'), plan: 'FREE' as const };
    const later = { ...DENIAL, at: at('2024-05-20T00:00:00Z') };
    expect(followUp([], [], [later, DENIAL])?.accounts).toBe(1);
    expect(followUp([], ['2024-05-11T00:00:00Z'], [later, DENIAL])?.boughtPack).toBe(1); // window from DENIAL
    expect(followUp([], [], [DENIAL, april])?.accounts).toBe(0); // its first 402 was in April
    // Two accounts, each its own first 402.
    expect(followUp([], [], [DENIAL, { ...DENIAL, accountId: 'B' }])?.accounts).toBe(2);
  });

  it('filters by the plan at the first 402', () => {
    const cohort = (plans: ('FREE' | 'BASIC')[]) =>
      firstDenialFollowUp(buildHistory([]), [DENIAL], [], { ...RANGE, plans })[0]?.accounts;
    expect(cohort(['BASIC'])).toBe(1);
    expect(cohort(['FREE'])).toBe(0);
  });
});

describe('the 402 rate', () => {
  it('is 402s ÷ authorizations per month, each side filtered by its plan', () => {
    const denials = [
      DENIAL,
      { ...DENIAL, plan: 'PRO' as const },
      { ...DENIAL, at: at('2024-06-01T00:00:00Z') },
    ];
    const authorizations = [
      { month: '2024-05', plan: 'BASIC' as const, authorizations: 30 },
      { month: '2024-05', plan: 'BASIC' as const, authorizations: 10 },
      { month: '2024-05', plan: 'PRO' as const, authorizations: 60 },
      { month: '2024-04', plan: 'BASIC' as const, authorizations: 1000 },
    ];
    expect(paymentRequiredRate(denials, authorizations, RANGE)).toEqual([
      {
        month: '2024-05',
        authorizations: 100,
        denied: 2,
        rate: { numerator: 2, denominator: 100, basisPoints: 200 },
      },
    ]);
    expect(paymentRequiredRate(denials, authorizations, { ...RANGE, plans: ['BASIC'] })[0]).toMatchObject({
      authorizations: 40,
      denied: 1,
      rate: { basisPoints: 250 },
    });
  });

  it('adds the refusals a record counts together (one row per account and day), 1 when it has no count', () => {
    const denials = [{ ...DENIAL, count: 7 }, DENIAL, { ...DENIAL, count: 0 }];
    const authorizations = [{ month: '2024-05', plan: 'BASIC' as const, authorizations: 16 }];
    expect(paymentRequiredRate(denials, authorizations, RANGE)[0]).toMatchObject({
      denied: 8,
      rate: { numerator: 8, denominator: 16, basisPoints: 5000 },
    });
  });

  it.each([-1, 1.5, Number.NaN])('refuses a count of %s', (count) => {
    expect(() => paymentRequiredRate([{ ...DENIAL, count }], [], RANGE)).toThrow(
      /count must be a whole number/,
    );
  });
});
