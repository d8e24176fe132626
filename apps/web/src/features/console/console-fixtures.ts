import { ISO, spendFixture } from '../../test/fixtures';
import type { Analytics, AuditRow, CustomerDetail, CustomerPage, CustomerRow } from './console.api';

// admin.* answers as they cross the wire (ISO strings), for the console's component tests.

export const ACCOUNT_ID = '00000000-0000-4000-8000-00000000c001';
export const GRANT_ID = '00000000-0000-4000-8000-00000000a001';

export function customerRow(overrides: Partial<CustomerRow> = {}): CustomerRow {
  return {
    accountId: ACCOUNT_ID,
    kind: 'personal',
    name: null,
    ownerEmail: 'grace@example.com',
    plan: 'PRO',
    status: 'active',
    isPastDue: false,
    used: 850,
    limit: 1000,
    usageBasisPoints: 8500,
    overageEnabled: true,
    createdAt: ISO(-40),
    ...overrides,
  };
}

export function customerPage(rows: CustomerRow[] = [customerRow()], total = rows.length): CustomerPage {
  return { total, page: 1, pageSize: 25, rows };
}

export function customerDetail(overrides: Partial<CustomerDetail> = {}): CustomerDetail {
  return {
    account: {
      id: ACCOUNT_ID,
      kind: 'personal',
      name: null,
      ownerEmail: 'grace@example.com',
      createdAt: ISO(-40),
    },
    subscription: {
      plan: 'PRO',
      status: 'active',
      currentPeriodStart: ISO(-9),
      currentPeriodEnd: ISO(21),
      cancelAtPeriodEnd: false,
      trialEnd: null,
      pastDueSince: null,
      stripeCustomerId: 'cus_123',
      stripeSubscriptionId: 'sub_123',
    },
    overrides: {
      runLimit: null,
      compPlan: null,
      compFrom: null,
      compUntil: null,
      trialStart: null,
      trialEnd: null,
    },
    members: [{ userId: 'u9', email: 'grace@example.com', role: 'owner' }],
    spend: spendFixture({ operatorCap: { kind: 'runs', runs: 500 } }),
    balance: {
      unit: { singular: 'run', plural: 'runs' },
      allowance: {
        plan: 'PRO',
        used: 850,
        limit: 1000,
        remaining: 150,
        periodStart: ISO(-9),
        periodEnd: ISO(21),
      },
      grants: [
        {
          id: GRANT_ID,
          source: 'operator',
          packId: null,
          name: 'Support grant',
          units: 50,
          remaining: 50,
          startsAt: ISO(-2),
          expiresAt: null,
          createdAt: ISO(-2),
          expiredUnits: 0,
          clawbackUnits: 0,
          clawedBackUnits: 0,
          amountPaidCents: null,
          amountRefundedCents: 0,
          amountDisputedCents: 0,
          reason: 'outage',
          isSpendable: true,
        },
      ],
      creditsRemaining: 50,
      totalRemaining: 200,
      drawOrder: 'Plan allowance first, then grants.',
    },
    usagePerDay: [
      { day: '2026-03-09', runs: 12 },
      { day: '2026-03-10', runs: 3 },
    ],
    invoices: [
      {
        id: 'in_1',
        number: 'INV-0001',
        status: 'paid',
        totalCents: 4900,
        currency: 'usd',
        createdAt: ISO(-9),
        hostedInvoiceUrl: 'https://invoice.example/in_1',
      },
    ],
    timeline: [
      {
        at: ISO(-1),
        kind: 'operator_action',
        summary: 'Granted 50 runs',
        actor: 'ops@example.com (operator)',
        detail: null,
      },
      { at: ISO(-3), kind: 'run_denied', summary: 'Run refused (402)', actor: null, detail: null },
      { at: ISO(-9), kind: 'stripe_event', summary: 'Stripe: invoice.paid', actor: null, detail: null },
    ],
    ...overrides,
  };
}

const rate = (basisPoints: number) => ({ numerator: basisPoints, denominator: 10_000, basisPoints });

/** Two months; the second has no paying account at its start, so its rates are n/a. */
export function analyticsFixture(): Analytics {
  const movement = (accounts: number, cents: number) => ({ accounts, cents });
  return {
    asOf: ISO(0),
    mrr: [
      {
        month: '2026-02',
        mrrCents: 490_000,
        arrCents: 5_880_000,
        payingAccounts: 100,
        arpu: { numerator: 490_000, denominator: 100, rounded: 4900 },
      },
      { month: '2026-03', mrrCents: 0, arrCents: 0, payingAccounts: 0, arpu: null },
    ],
    movements: [
      {
        month: '2026-02',
        startMrrCents: 400_000,
        endMrrCents: 490_000,
        payingAccountsAtStart: 80,
        payingAccountsAtEnd: 100,
        netCents: 90_000,
        new: movement(20, 98_000),
        expansion: movement(2, 10_000),
        contraction: movement(1, 3_000),
        churn: movement(3, 15_000),
        reactivation: movement(0, 0),
      },
    ],
    retention: [
      { month: '2026-02', logoChurn: rate(375), revenueChurn: rate(450), netRevenueRetention: rate(10_175) },
      { month: '2026-03', logoChurn: null, revenueChurn: null, netRevenueRetention: null },
    ],
    trialConversion: [{ month: '2026-02', trials: 40, converted: 10, open: 5, conversion: rate(2500) }],
    runs: [
      {
        month: '2026-02',
        accounts: 3,
        runs: 120,
        mean: { numerator: 120, denominator: 3, rounded: 40 },
        p50: 20,
        p90: 90,
        p99: 90,
        max: 90,
        buckets: [
          { min: 0, max: 0, accounts: 0 },
          { min: 1, max: 10, accounts: 1 },
          { min: 2001, max: null, accounts: 2 },
        ],
      },
    ],
    paymentRequired: [{ month: '2026-02', authorizations: 1000, denied: 25, rate: rate(250) }],
    firstDenial: [
      {
        month: '2026-02',
        accounts: 10,
        upgraded: 2,
        boughtPack: 1,
        upgradedOrBoughtPack: 3,
        open: 1,
        rate: rate(3000),
      },
    ],
    overage: [{ month: '2026-02', cents: 12_550, accounts: 4 }],
  };
}

export function auditRow(id: number, overrides: Partial<AuditRow> = {}): AuditRow {
  return {
    id,
    at: ISO(-id),
    actorUserId: 'u-operator-1',
    actorRole: 'operator',
    action: 'grant_credits',
    accountId: ACCOUNT_ID,
    before: null,
    after: { units: 50 },
    reason: `reason ${id}`,
    requestId: null,
    ...overrides,
  };
}
