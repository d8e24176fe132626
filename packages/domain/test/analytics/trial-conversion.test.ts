import { describe, expect, it } from 'vitest';
import {
  TRIAL_CONVERSION_WINDOW_DAYS,
  buildHistory,
  trialConversion,
  type TrialRecord,
} from '../../src/index';
import { at } from '../helpers';
import { row } from './rows';

const TRIAL: TrialRecord = {
  accountId: 'A',
  startedAt: at('2024-01-10T00:00:00Z'),
  endsAt: at('2024-01-24T00:00:00Z'),
};
const RANGE = { from: '2024-01', to: '2024-01', asOf: at('2024-06-01T00:00:00Z') };
const convertedWith = (...rows: ReturnType<typeof row>[]) =>
  trialConversion(buildHistory(rows), [TRIAL], RANGE)[0]?.converted;

describe('a trial converts when a paid state begins between its start and 30 days after its end', () => {
  it('is a 30-day window', () => {
    expect(TRIAL_CONVERSION_WINDOW_DAYS).toBe(30);
  });

  it('includes both ends of the window', () => {
    expect(convertedWith(row('2024-01-10T00:00:00Z'))).toBe(1); // paid from the trial's first instant
    expect(convertedWith(row('2024-02-23T00:00:00Z'))).toBe(1); // end + 30 days exactly
    expect(convertedWith(row('2024-02-23T00:00:00.001Z'))).toBe(0);
    // A paid state that began before the trial did not "become paid" in it.
    expect(convertedWith(row('2024-01-09T23:59:59.999Z'))).toBe(0);
  });

  it('needs a state with MRR > 0: trialing, a 100 % coupon or an unpaid state are not paid', () => {
    expect(convertedWith(row('2024-01-10T00:00:00Z', { status: 'trialing' }))).toBe(0);
    expect(convertedWith(row('2024-01-24T00:00:00Z', { discountCents: 1900 }))).toBe(0);
    expect(convertedWith(row('2024-01-24T00:00:00Z', { status: 'incomplete' }))).toBe(0);
    expect(convertedWith(row('2024-01-24T00:00:00Z', { accountId: 'B' }))).toBe(0); // someone else paid
  });

  it('counts the plan converted to under a plan filter', () => {
    const history = buildHistory([row('2024-01-24T00:00:00Z', { plan: 'PRO', priceCents: 4900 })]);
    expect(trialConversion(history, [TRIAL], { ...RANGE, plans: ['PRO'] })[0]?.converted).toBe(1);
    expect(trialConversion(history, [TRIAL], { ...RANGE, plans: ['BASIC'] })[0]).toMatchObject({
      trials: 1,
      converted: 0,
    });
  });

  it('files a trial under the month it started, and leaves out trials outside the range', () => {
    const december = { ...TRIAL, startedAt: at('2023-12-31T23:59:59.999Z') };
    const february = { ...TRIAL, startedAt: at('2024-02-01T00:00:00Z'), endsAt: at('2024-02-15T00:00:00Z') };
    const cohorts = trialConversion(buildHistory([]), [december, TRIAL, february], {
      ...RANGE,
      to: '2024-02',
    });
    expect(cohorts.map((c) => [c.month, c.trials])).toEqual([
      ['2024-01', 1],
      ['2024-02', 1],
    ]);
  });

  it('calls a cohort open while an unconverted trial’s window ends after asOf', () => {
    const open = (asOf: string, ...rows: ReturnType<typeof row>[]) =>
      trialConversion(buildHistory(rows), [TRIAL], { ...RANGE, asOf: at(asOf) })[0]?.open;
    expect(open('2024-02-22T23:59:59.999Z')).toBe(1);
    expect(open('2024-02-23T00:00:00Z')).toBe(0); // the window has ended: final
    expect(open('2024-01-12T00:00:00Z', row('2024-01-11T00:00:00Z'))).toBe(0); // converted: not open
  });
});
