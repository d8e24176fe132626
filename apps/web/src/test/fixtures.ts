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
export function meFixture(overrides: { emailVerified?: boolean; platformRole?: 'operator' | null } = {}) {
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
