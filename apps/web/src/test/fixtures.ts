import { PLANS, type PlanId, type RouterOutputs } from '@tollgate/sdk';

/** billing.subscription as it crosses the wire: dates are ISO strings. */
export type WireOverview = RouterOutputs['billing']['subscription'];

const DAY = 86_400_000;
export const NOW = new Date('2026-03-10T12:00:00.000Z');
const iso = (offsetDays: number) => new Date(NOW.getTime() + offsetDays * DAY).toISOString();

export function overviewFixture(plan: PlanId, overrides: Partial<WireOverview> = {}): WireOverview {
  const limit = PLANS[plan].runLimit ?? 0;
  return {
    plan,
    planDetails: PLANS[plan],
    status: plan === 'TRIAL' ? 'trialing' : 'active',
    currentPeriod: PLANS[plan].isPaid ? { start: iso(-9), end: iso(21) } : null,
    cancelAtPeriodEnd: false,
    endsAt: null,
    nextBillingAt: PLANS[plan].isPaid ? iso(21) : null,
    trial: { isEligible: plan === 'FREE', startedAt: null, endsAt: null, daysLeft: null },
    graceEndsAt: null,
    blockedReason: null,
    usage: { used: 0, limit, remaining: limit, periodStart: iso(-9), resetsAt: iso(21) },
    hasStripeCustomer: PLANS[plan].isPaid,
    ...overrides,
  };
}

export function withUsage(overview: WireOverview, used: number, limit = overview.usage.limit): WireOverview {
  return { ...overview, usage: { ...overview.usage, used, limit, remaining: Math.max(0, limit - used) } };
}

export const ISO = iso;

/** accounts.list rows as they cross the wire. */
export type WireAccount = RouterOutputs['accounts']['list'][number];
export type WireMember = RouterOutputs['accounts']['members'][number];

export const PERSONAL_ID = '00000000-0000-4000-8000-000000000001';
export const TEAM_ID = '00000000-0000-4000-8000-0000000000aa';
export const OTHER_TEAM_ID = '00000000-0000-4000-8000-0000000000bb';

export function accountFixture(overrides: Partial<WireAccount> = {}): WireAccount {
  return {
    id: PERSONAL_ID,
    kind: 'personal',
    name: null,
    role: 'owner',
    plan: 'FREE',
    createdAt: iso(-30),
    ...overrides,
  };
}

export function teamFixture(overrides: Partial<WireAccount> = {}): WireAccount {
  return accountFixture({ id: TEAM_ID, kind: 'team', name: 'Acme', plan: 'TEAM', ...overrides });
}

export function memberFixture(overrides: Partial<WireMember> = {}): WireMember {
  return {
    userId: 'u1',
    email: 'ada@example.com',
    role: 'owner',
    monthlyRunCap: null,
    usedThisPeriod: 0,
    joinedAt: iso(-20),
    ...overrides,
  };
}

/** auth.me as it crosses the wire. */
export function meFixture(
  overrides: { emailVerified?: boolean; platformRole?: 'operator' | 'support' | null } = {},
) {
  return {
    id: 'u1',
    email: 'ada@example.com',
    createdAt: iso(-30),
    platformRole: overrides.platformRole ?? null,
    emailVerified: overrides.emailVerified ?? true,
  };
}

/** notifications.list items (ids are UUIDs, as the server's input schema wants them). */
export function notificationFixture(
  index: number,
  overrides: Partial<{ title: string; body: string; link: string | null; readAt: string | null }> = {},
) {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    kind: 'usage_alert',
    title: `Notification ${index}`,
    body: `Body ${index}`,
    link: null,
    accountId: null,
    createdAt: new Date(Date.now() - index * 60_000).toISOString(),
    readAt: null,
    ...overrides,
  };
}

/** usage.balance as it crosses the wire. */
export type WireBalance = RouterOutputs['usage']['balance'];
export type WireGrant = WireBalance['grants'][number];

/** A bought 100-run pack, active, expiring 12 months after `createdAt` (overrides change any field). */
export function grantFixture(overrides: Partial<WireGrant> = {}): WireGrant {
  return {
    id: 'grant-1',
    source: 'pack',
    packId: 'PACK_100',
    name: '100 runs pack',
    units: 100,
    remaining: 100,
    startsAt: iso(-5),
    expiresAt: iso(360),
    createdAt: iso(-5),
    expiredUnits: 0,
    clawbackUnits: 0,
    clawedBackUnits: 0,
    amountPaidCents: 1000,
    amountRefundedCents: 0,
    amountDisputedCents: 0,
    reason: null,
    isSpendable: true,
    ...overrides,
  };
}

/** The balance of an account on `plan` with `used` of its allowance spent and these grants. */
export function balanceFixture(plan: PlanId, used = 0, grants: WireGrant[] = []): WireBalance {
  const limit = PLANS[plan].runLimit ?? 0;
  const remaining = Math.max(0, limit - used);
  const creditsRemaining = grants.reduce((sum, grant) => sum + (grant.isSpendable ? grant.remaining : 0), 0);
  return {
    unit: { singular: 'run', plural: 'runs' },
    allowance: { plan, used, limit, remaining, periodStart: iso(-9), periodEnd: iso(21) },
    grants,
    creditsRemaining,
    totalRemaining: remaining + creditsRemaining,
    drawOrder:
      "Runs come from your plan's allowance for this period first, then from packs and grants, those expiring soonest first.",
  };
}

/** billing.spendSettings as it crosses the wire. */
export type WireSpend = RouterOutputs['billing']['spendSettings'];

/**
 * A BASIC account's spend settings at $0.125 per overage run: overage off, no caps, no auto top-up,
 * nothing spent (overrides change any field).
 */
export function spendFixture(overrides: Partial<WireSpend> = {}): WireSpend {
  return {
    overage: {
      enabled: false,
      isAvailable: true,
      unavailableReason: null,
      unitAmountDecimal: '12.5',
      currency: 'usd',
    },
    cap: null,
    operatorCap: null,
    effectiveCap: null,
    period: { start: iso(-9), end: iso(21) },
    overageRuns: 0,
    spentCents: 0,
    forecast: null,
    autoTopUp: {
      enabled: false,
      threshold: null,
      packId: null,
      monthlyLimit: null,
      purchasesThisMonth: 0,
      backoffUntil: null,
      lastFailure: null,
    },
    ...overrides,
  };
}

/** sessions.run's answer as it crosses the wire: the completed run and the FREE plan's usage after it. */
export function runAnswerFixture(input: {
  sessionId: string;
  runId: string;
  message: string;
  reply: string;
  used?: number;
}) {
  const used = input.used ?? 1;
  return {
    run: {
      id: 'r1',
      runId: input.runId,
      sessionId: input.sessionId,
      userId: 'u1',
      prompt: input.message,
      reply: input.reply,
      status: 'completed',
      createdAt: iso(0),
      finishedAt: iso(0),
    },
    usage: {
      runId: input.runId,
      isReplay: false,
      plan: 'FREE',
      status: 'active',
      used,
      limit: 10,
      remaining: 10 - used,
      resetsAt: iso(21),
    },
  };
}
