import { describe, expect, it } from 'vitest';
import {
  buildHistory,
  churnAndRetention,
  firstDenialFollowUp,
  mrrByMonth,
  mrrMovements,
  overageRevenue,
  paymentRequiredRate,
  runsDistribution,
  trialConversion,
  type PlanId,
} from '../../src/index';
import { generateHistory } from './generate-history';
import { naiveMovements, naiveMrrByMonth, naiveRetention, naiveRowMrr } from './naive-analytics';
import {
  naiveFirstDenialFollowUp,
  naiveOverage,
  naivePaymentRequiredRate,
  naiveRuns,
  naiveTrialConversion,
} from './naive-cohorts';

/**
 * The Must-show: a generated history (300 accounts, 2023-10 to 2024-12), every figure computed by the
 * module and again by the naive implementation in naive-analytics.ts and naive-cohorts.ts, for several ranges and plan
 * filters: every figure equal, to the cent and to the basis point.
 */
const data = generateHistory(20240601, 300);
const history = buildHistory(data.changes);
const asOf = new Date('2024-12-20T00:00:00.000Z');

const VIEWS: { name: string; from: string; to: string; plans?: PlanId[] }[] = [
  { name: 'the year, every plan', from: '2024-01', to: '2024-12' },
  { name: 'the whole history and one month after it', from: '2023-10', to: '2025-01' },
  { name: 'a quarter, PRO only', from: '2024-04', to: '2024-06', plans: ['PRO'] },
  { name: 'BASIC and TEAM', from: '2024-01', to: '2024-12', plans: ['BASIC', 'TEAM'] },
  { name: 'ENTERPRISE (custom and yearly prices)', from: '2024-01', to: '2024-12', plans: ['ENTERPRISE'] },
];

describe('the generated history is rich enough to test something', () => {
  it('holds every kind of event the definitions distinguish', () => {
    const statuses = new Set(data.changes.map((row) => row.status));
    expect([...statuses].sort()).toEqual([
      'active',
      'canceled',
      'incomplete',
      'incomplete_expired',
      'past_due',
      'paused',
      'trialing',
      'unpaid',
    ]);
    const yearly = data.changes.filter((row) => row.interval === 'year' && naiveRowMrr(row) > 0);
    expect(yearly.length).toBeGreaterThan(20);
    // Yearly amounts with a remainder of exactly half a month-cent (÷ 12 leaves 6): rounding half up shows.
    expect(yearly.some((row) => (row.priceCents * row.quantity - row.discountCents) % 12 === 6)).toBe(true);
    expect(data.changes.some((row) => row.discountCents > row.priceCents * row.quantity)).toBe(true);
    // Changes on a month's first millisecond, and on its last one.
    const isFirstMs = (ms: number) => new Date(ms).toISOString().endsWith('-01T00:00:00.000Z');
    const onBoundary = data.changes.filter(
      (row) => isFirstMs(row.at.getTime()) || isFirstMs(row.at.getTime() + 1),
    );
    expect(onBoundary.filter((row) => isFirstMs(row.at.getTime())).length).toBeGreaterThan(10);
    expect(onBoundary.filter((row) => isFirstMs(row.at.getTime() + 1)).length).toBeGreaterThan(10);
    expect(new Set(data.changes.map((row) => row.subscriptionId)).size).toBeGreaterThan(250);
  });

  it('makes every movement, cohorts converted, late and open, and first 402s answered both ways', () => {
    const year = mrrMovements(history, { from: '2024-01', to: '2024-12' });
    for (const kind of ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const) {
      expect(
        year.reduce((sum, month) => sum + month[kind].accounts, 0),
        kind,
      ).toBeGreaterThan(10);
    }
    const cohorts = trialConversion(history, data.trials, { from: '2023-10', to: '2024-12', asOf });
    const total = (key: 'converted' | 'open' | 'trials') => cohorts.reduce((sum, c) => sum + c[key], 0);
    expect(total('converted')).toBeGreaterThan(30);
    expect(total('trials') - total('converted') - total('open')).toBeGreaterThan(30);
    expect(total('open')).toBeGreaterThan(0);
    const followUp = firstDenialFollowUp(history, data.denials, data.packs, {
      from: '2023-10',
      to: '2024-12',
      asOf,
    });
    expect(followUp.reduce((sum, c) => sum + c.upgraded, 0)).toBeGreaterThan(5);
    expect(followUp.reduce((sum, c) => sum + c.boughtPack, 0)).toBeGreaterThan(5);
    expect(followUp.reduce((sum, c) => sum + c.accounts - c.upgradedOrBoughtPack, 0)).toBeGreaterThan(5);
  });
});

describe.each(VIEWS)('generated history, $name: every figure equals the naive one', ({ from, to, plans }) => {
  const range = plans ? { from, to, plans } : { from, to };

  it('MRR, ARR, paying accounts and ARPU at each month end', () => {
    expect(mrrByMonth(history, range)).toEqual(naiveMrrByMonth(data.changes, from, to, plans));
  });

  it('MRR movements', () => {
    expect(mrrMovements(history, range)).toEqual(naiveMovements(data.changes, from, to, plans));
  });

  it('logo churn, revenue churn and net revenue retention', () => {
    expect(churnAndRetention(history, range)).toEqual(naiveRetention(data.changes, from, to, plans));
  });

  it('trial conversion by cohort', () => {
    expect(trialConversion(history, data.trials, { ...range, asOf })).toEqual(
      naiveTrialConversion(data.changes, data.trials, from, to, asOf, plans),
    );
  });

  it('runs per account', () => {
    expect(runsDistribution(data.runCounts, range)).toEqual(naiveRuns(data.runCounts, from, to, plans));
  });

  it('the 402 rate and the first-402 follow-up', () => {
    expect(paymentRequiredRate(data.denials, data.authorizations, range)).toEqual(
      naivePaymentRequiredRate(data.denials, data.authorizations, from, to, plans),
    );
    expect(firstDenialFollowUp(history, data.denials, data.packs, { ...range, asOf })).toEqual(
      naiveFirstDenialFollowUp(data.changes, data.denials, data.packs, from, to, asOf, plans),
    );
  });

  it('overage revenue', () => {
    expect(overageRevenue(data.overage, range)).toEqual(naiveOverage(data.overage, from, to, plans));
  });
});

describe('identities on the generated history', () => {
  const months = mrrMovements(history, { from: '2023-10', to: '2025-01' });

  it('Σ movements = MRR at the end − MRR at the start, every month', () => {
    for (const m of months) {
      const sum =
        m.new.cents + m.reactivation.cents + m.expansion.cents - m.contraction.cents - m.churn.cents;
      expect(sum, m.month).toBe(m.endMrrCents - m.startMrrCents);
      expect(m.netCents, m.month).toBe(sum);
    }
  });

  it('a month starts where the previous one ended', () => {
    months.slice(1).forEach((m, i) => expect(m.startMrrCents).toBe(months[i]?.endMrrCents));
  });

  it('ARR = 12 × MRR and ARPU = MRR ÷ paying accounts, exactly', () => {
    for (const m of mrrByMonth(history, { from: '2023-10', to: '2025-01' })) {
      expect(m.arrCents).toBe(12 * m.mrrCents);
      expect(m.arpu === null ? null : [m.arpu.numerator, m.arpu.denominator]).toEqual(
        m.payingAccounts === 0 ? null : [m.mrrCents, m.payingAccounts],
      );
    }
  });

  it('the plan views add up to the whole, in MRR and in net movement (each state has one plan)', () => {
    const plans: PlanId[] = ['FREE', 'TRIAL', 'BASIC', 'PRO', 'TEAM', 'ENTERPRISE'];
    const range = { from: '2024-01', to: '2024-12' };
    const views = plans.map((plan) => mrrMovements(history, { ...range, plans: [plan] }));
    mrrMovements(history, range).forEach((whole, i) => {
      expect(views.reduce((sum, view) => sum + (view[i]?.endMrrCents ?? 0), 0)).toBe(whole.endMrrCents);
      expect(views.reduce((sum, view) => sum + (view[i]?.netCents ?? 0), 0)).toBe(whole.netCents);
    });
  });

  it('the first month before any history starts from 0, and nobody reactivates in it', () => {
    const [first] = months;
    expect(first?.startMrrCents).toBe(0);
    expect(first?.reactivation.accounts).toBe(0);
    expect(first?.new.cents).toBe(first?.endMrrCents);
  });
});
