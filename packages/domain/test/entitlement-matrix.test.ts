import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_KINDS,
  PLAN_IDS,
  SUBSCRIPTION_STATUSES,
  resolveEntitlement,
  type AccountKind,
  type Entitlement,
  type PlanId,
  type SubscriptionStatus,
} from '../src/index';
import { at, makeState } from './helpers';

// Every plan x every status at one instant where all windows are open: inside the Stripe period,
// inside the trial window, inside the past_due grace period.
const NOW = at('2025-03-10T12:00:00Z');
const GRACE = { graceDays: 7 };
const FREE_PERIOD = { start: at('2025-02-28T08:00:00Z'), end: at('2025-03-31T08:00:00Z') }; // created Jan 31
const PAID_PERIOD = { start: at('2025-03-01T00:00:00Z'), end: at('2025-04-01T00:00:00Z') };
const TRIAL_WINDOW = { start: at('2025-03-05T00:00:00Z'), end: at('2025-03-19T00:00:00Z') };
const GRACE_END = at('2025-03-15T00:00:00Z'); // pastDueSince Mar 8 + 7 days
const AFTER_GRACE = at('2025-03-16T00:00:00Z');

function stateFor(plan: PlanId, status: SubscriptionStatus, accountKind: AccountKind = 'personal') {
  return makeState({
    accountKind,
    plan,
    status,
    currentPeriodStart: PAID_PERIOD.start,
    currentPeriodEnd: PAID_PERIOD.end,
    trialStart: TRIAL_WINDOW.start,
    trialEnd: TRIAL_WINDOW.end,
    trialUsedAt: TRIAL_WINDOW.start,
    pastDueSince: status === 'past_due' ? at('2025-03-08T00:00:00Z') : null,
    customRunLimit: 5000,
  });
}

type Expected = Pick<Entitlement, 'plan' | 'limit' | 'period' | 'graceEndsAt'>;
const free: Expected = { plan: 'FREE', limit: 10, period: FREE_PERIOD, graceEndsAt: null };
const trial: Expected = { plan: 'TRIAL', limit: 50, period: TRIAL_WINDOW, graceEndsAt: null };
const paid = (plan: PlanId, limit: number): Expected => ({
  plan,
  limit,
  period: PAID_PERIOD,
  graceEndsAt: null,
});
const inGrace = (plan: PlanId, limit: number): Expected => ({ ...paid(plan, limit), graceEndsAt: GRACE_END });
// Past the grace: the 402 once the FREE runs are used up (a team: its block at once).
const PAST_DUE = {
  code: 'PAYMENT_PAST_DUE',
  message: expect.stringMatching(/^Your last payment failed and the grace period is over\./),
};

const EXPECTED: Record<PlanId, Record<SubscriptionStatus, Expected>> = {
  FREE: {
    incomplete: free,
    incomplete_expired: free,
    trialing: free,
    active: free,
    past_due: free,
    canceled: free,
    unpaid: free,
    paused: free,
  },
  TRIAL: {
    incomplete: free,
    incomplete_expired: free,
    trialing: trial,
    active: trial,
    past_due: free,
    canceled: free,
    unpaid: free,
    paused: free,
  },
  BASIC: {
    incomplete: free,
    incomplete_expired: free,
    trialing: paid('BASIC', 100),
    active: paid('BASIC', 100),
    past_due: inGrace('BASIC', 100),
    canceled: free,
    unpaid: free,
    paused: free,
  },
  PRO: {
    incomplete: free,
    incomplete_expired: free,
    trialing: paid('PRO', 1000),
    active: paid('PRO', 1000),
    past_due: inGrace('PRO', 1000),
    canceled: free,
    unpaid: free,
    paused: free,
  },
  // Seats never buy runs: 2,000 for the whole team whatever the quantity.
  TEAM: {
    incomplete: free,
    incomplete_expired: free,
    trialing: paid('TEAM', 2000),
    active: paid('TEAM', 2000),
    past_due: inGrace('TEAM', 2000),
    canceled: free,
    unpaid: free,
    paused: free,
  },
  ENTERPRISE: {
    incomplete: free,
    incomplete_expired: free,
    trialing: paid('ENTERPRISE', 5000),
    active: paid('ENTERPRISE', 5000),
    past_due: inGrace('ENTERPRISE', 5000),
    canceled: free,
    unpaid: free,
    paused: free,
  },
};

const rows = PLAN_IDS.flatMap((plan) =>
  SUBSCRIPTION_STATUSES.map((status) => [plan, status, EXPECTED[plan][status]] as const),
);

const PAID_PLANS: readonly PlanId[] = ['BASIC', 'PRO', 'TEAM', 'ENTERPRISE'];

describe('resolveEntitlement: every plan x status', () => {
  it('covers all 48 combinations', () => {
    expect(rows).toHaveLength(PLAN_IDS.length * SUBSCRIPTION_STATUSES.length);
    expect(rows).toHaveLength(48);
  });

  it.each(rows)('%s / %s', (plan, status, expected) => {
    const entitlement = resolveEntitlement(stateFor(plan, status), NOW, GRACE);
    expect(entitlement).toEqual({ ...expected, status, block: null });
  });

  // Past the grace end nothing is locked: a paid past_due plan falls back to FREE runs (over the FREE
  // period, graceEndsAt kept), and only their exhaustion answers PAYMENT_PAST_DUE. Every other cell is
  // what it was at NOW: all its windows are still open on Mar 16.
  it.each(rows)('%s / %s after the grace end', (plan, status, expected) => {
    const entitlement = resolveEntitlement(stateFor(plan, status), AFTER_GRACE, GRACE);
    const isPaidPastDue = status === 'past_due' && PAID_PLANS.includes(plan);
    expect(entitlement).toEqual(
      isPaidPastDue
        ? { ...free, graceEndsAt: GRACE_END, status, block: null, limitReached: PAST_DUE }
        : { ...expected, status, block: null },
    );
  });
});

const NO_PLAN_MESSAGE = expect.stringMatching(/^A team account needs a paid plan/);

// The same 48 cells on a team account: whatever would be FREE is no plan at all (limit 0, NO_PLAN),
// so a team can't mint FREE runs; a trial or a paid plan grants exactly what it grants a personal account.
describe('resolveEntitlement: every plan x status on a team account', () => {
  const kindRows = ACCOUNT_KINDS.flatMap((kind) => rows.map((row) => [kind, ...row] as const));

  it('covers both kinds', () => {
    expect(ACCOUNT_KINDS).toEqual(['personal', 'team']);
    expect(kindRows).toHaveLength(96);
  });

  it.each(kindRows)('%s: %s / %s', (kind, plan, status, expected) => {
    const entitlement = resolveEntitlement(stateFor(plan, status, kind), NOW, GRACE);
    const isNoPlan = kind === 'team' && expected.plan === 'FREE';
    expect(entitlement).toEqual({
      ...expected,
      limit: isNoPlan ? 0 : expected.limit,
      status,
      block: isNoPlan ? { code: 'NO_PLAN', message: NO_PLAN_MESSAGE } : null,
    });
  });

  // A team has no FREE runs to fall back to: past the grace a paid past_due plan is blocked at once, and
  // with PAYMENT_PAST_DUE rather than NO_PLAN, since updating the card (not choosing a plan) fixes it.
  it.each(kindRows)('%s: %s / %s after the grace end', (kind, plan, status, expected) => {
    const entitlement = resolveEntitlement(stateFor(plan, status, kind), AFTER_GRACE, GRACE);
    const isPaidPastDue = status === 'past_due' && PAID_PLANS.includes(plan);
    const isTeam = kind === 'team';
    if (isPaidPastDue) {
      expect(entitlement).toEqual({
        ...free,
        limit: isTeam ? 0 : 10,
        graceEndsAt: GRACE_END,
        status,
        block: isTeam ? PAST_DUE : null,
        limitReached: PAST_DUE,
      });
      return;
    }
    const isNoPlan = isTeam && expected.plan === 'FREE';
    expect(entitlement).toEqual({
      ...expected,
      limit: isNoPlan ? 0 : expected.limit,
      status,
      block: isNoPlan ? { code: 'NO_PLAN', message: NO_PLAN_MESSAGE } : null,
    });
  });
});
