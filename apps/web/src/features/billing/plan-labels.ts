import { PLANS, TRIAL_DAYS, formatPrice, type PlanDefinition, type PlanId } from '@tollgate/sdk';
import type { SubscriptionOverview } from './billing.api';

export type BadgeTone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

export interface StatusBadge {
  label: string;
  tone: BadgeTone;
}

/** One word or two for the plan's state, as the settings page and the header show it. */
export function statusBadge(overview: SubscriptionOverview): StatusBadge {
  const { status, planDetails } = overview;
  if (overview.plan === 'TRIAL' || status === 'trialing') return { label: 'Trial', tone: 'info' };
  if (status === 'past_due') return { label: 'Past due', tone: 'danger' };
  if (!planDetails.isPaid) return { label: 'Free', tone: 'neutral' };
  if (overview.cancelAtPeriodEnd) return { label: 'Canceling', tone: 'warning' };
  if (status === 'active') return { label: 'Active', tone: 'success' };
  return { label: humanize(status), tone: 'neutral' };
}

/** "$49 / month", "$15 / seat / month", "Free", "Custom pricing". */
export function priceLabel(plan: PlanDefinition): string {
  if (plan.priceCents === null) return 'Custom pricing';
  if (plan.priceCents === 0) return plan.id === 'TRIAL' ? `Free for ${TRIAL_DAYS} days` : 'Free';
  const perSeat = plan.isSeatPriced ? ' / seat' : '';
  return `${formatPrice(plan.priceCents, plan.currency)}${perSeat} / ${plan.interval ?? 'month'}`;
}

/** Plans a user on `plan` could still move up to. */
export function canUpgradeFrom(plan: PlanId): boolean {
  return plan === 'FREE' || plan === 'TRIAL' || plan === 'BASIC';
}

export function planName(plan: PlanId): string {
  return PLANS[plan].name;
}

function humanize(status: string): string {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
