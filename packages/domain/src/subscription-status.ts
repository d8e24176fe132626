import { z } from 'zod';

/** All eight Stripe subscription statuses. Tollgate's own FREE is 'active' and its TRIAL is 'trialing'. */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;

export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const subscriptionStatusSchema = /* @__PURE__ */ z.enum(SUBSCRIPTION_STATUSES);

/**
 * Statuses in which a paid plan grants nothing: the user falls back to FREE entitlements (never a
 * lockout from the free tier). past_due is not here: it keeps the paid plan during the grace period.
 */
export const FREE_FALLBACK_STATUSES: readonly SubscriptionStatus[] = [
  'incomplete',
  'incomplete_expired',
  'canceled',
  'unpaid',
  'paused',
];

/** A subscription in these statuses is over for good; Stripe never moves it again. */
export const TERMINAL_STATUSES: readonly SubscriptionStatus[] = ['canceled', 'incomplete_expired'];

export function isFreeFallbackStatus(status: SubscriptionStatus): boolean {
  return FREE_FALLBACK_STATUSES.includes(status);
}

export function isTerminalStatus(status: SubscriptionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
