import { z } from 'zod';
import type { AccountKind } from './account-roles';

export const PLAN_IDS = ['FREE', 'TRIAL', 'BASIC', 'PRO', 'TEAM', 'ENTERPRISE'] as const;
export type PlanId = (typeof PLAN_IDS)[number];
export const planIdSchema = /* @__PURE__ */ z.enum(PLAN_IDS);

/**
 * Plans sold through Stripe Checkout. TRIAL is started in-app; ENTERPRISE is sold by a human. Which of
 * them an account may buy depends on its kind: see checkoutPlansFor.
 */
export const CHECKOUT_PLAN_IDS = ['BASIC', 'PRO', 'TEAM'] as const;
export type CheckoutPlanId = (typeof CHECKOUT_PLAN_IDS)[number];
export const checkoutPlanIdSchema = /* @__PURE__ */ z.enum(CHECKOUT_PLAN_IDS);

export const TRIAL_DAYS = 14;
export const DEFAULT_PAYMENT_GRACE_DAYS = 7;

export interface PlanDefinition {
  id: PlanId;
  name: string;
  tagline: string;
  /** FREE 0, TRIAL 0, BASIC 1900, PRO 4900, TEAM 1500 per seat, ENTERPRISE null (custom). */
  priceCents: number | null;
  currency: 'usd';
  interval: 'month' | null;
  /**
   * Runs per usage period, for the whole account (a team's members share it: seats never buy runs).
   * ENTERPRISE is null: the limit is set per account (customRunLimit).
   */
  runLimit: number | null;
  /** Bullet points for the UI. */
  features: string[];
  isPaid: boolean;
  /** Can be bought through Stripe Checkout. */
  isSelfServe: boolean;
  /** priceCents is per seat (a member of the account): the Stripe quantity follows the member count. */
  isSeatPriced: boolean;
}

export const PLANS: Readonly<Record<PlanId, PlanDefinition>> = Object.freeze({
  FREE: {
    id: 'FREE',
    name: 'Free',
    tagline: 'Try agents on small tasks',
    priceCents: 0,
    currency: 'usd',
    interval: 'month',
    runLimit: 10,
    features: ['10 agent runs per month', 'Basic agent usage', 'Community support'],
    isPaid: false,
    isSelfServe: false,
    isSeatPriced: false,
  },
  TRIAL: {
    id: 'TRIAL',
    name: 'Trial',
    tagline: `Every feature for ${TRIAL_DAYS} days`,
    priceCents: 0,
    currency: 'usd',
    interval: null,
    runLimit: 50,
    features: [`50 agent runs over ${TRIAL_DAYS} days`, 'All features unlocked', 'Once per account'],
    isPaid: false,
    isSelfServe: false,
    isSeatPriced: false,
  },
  BASIC: {
    id: 'BASIC',
    name: 'Basic',
    tagline: 'For regular agent work',
    priceCents: 1900,
    currency: 'usd',
    interval: 'month',
    runLimit: 100,
    features: ['100 agent runs per month', 'Standard features', 'Email support', 'Priority queue'],
    isPaid: true,
    isSelfServe: true,
    isSeatPriced: false,
  },
  PRO: {
    id: 'PRO',
    name: 'Pro',
    tagline: 'For teams that run agents all day',
    priceCents: 4900,
    currency: 'usd',
    interval: 'month',
    runLimit: 1000,
    features: ['1,000 agent runs per month', 'Advanced features', 'Priority support', 'Custom integrations'],
    isPaid: true,
    isSelfServe: true,
    isSeatPriced: false,
  },
  TEAM: {
    id: 'TEAM',
    name: 'Team',
    tagline: 'One shared pool of runs for your team',
    priceCents: 1500,
    currency: 'usd',
    interval: 'month',
    runLimit: 2000,
    features: [
      '2,000 agent runs per month, shared by the team',
      'Billed per seat: $15 per member per month',
      'Roles and per-member run caps',
      'Priority support',
    ],
    isPaid: true,
    isSelfServe: true,
    isSeatPriced: true,
  },
  ENTERPRISE: {
    id: 'ENTERPRISE',
    name: 'Enterprise',
    tagline: 'Limits and terms made for you',
    priceCents: null,
    currency: 'usd',
    interval: null,
    runLimit: null,
    features: ['Run limit set per account', 'Dedicated support', 'Custom contract and invoicing'],
    isPaid: true,
    isSelfServe: false,
    isSeatPriced: false,
  },
});

export function getPlan(id: PlanId): PlanDefinition {
  return PLANS[id];
}

export function isCheckoutPlanId(id: PlanId): id is CheckoutPlanId {
  return (CHECKOUT_PLAN_IDS as readonly PlanId[]).includes(id);
}

/**
 * Which plans an account of `kind` may buy through Checkout: a personal account the single-user plans,
 * a team account the seat-priced TEAM. Seats are the members of a team, so TEAM on a personal account
 * would bill one seat for a pool sized for a team, and BASIC/PRO on a team would share a one-user quota.
 */
const CHECKOUT_PLANS_BY_KIND: Readonly<Record<AccountKind, readonly CheckoutPlanId[]>> = Object.freeze({
  personal: Object.freeze(['BASIC', 'PRO'] as const),
  team: Object.freeze(['TEAM'] as const),
});

export function checkoutPlansFor(kind: AccountKind): readonly CheckoutPlanId[] {
  return CHECKOUT_PLANS_BY_KIND[kind];
}

/** May an account of `kind` buy `plan` through Checkout? */
export function isPlanForAccountKind(plan: PlanId, kind: AccountKind): boolean {
  return (checkoutPlansFor(kind) as readonly PlanId[]).includes(plan);
}

/**
 * The plan a subscription's price grants an account of `kind`, given the catalog plan sold on that price
 * (`pricePlan`; null: a price Tollgate doesn't sell). null means "keep the plan the account has".
 *
 * - A plan of the kind's own (checkoutPlansFor): that plan.
 * - A price Tollgate doesn't sell: null, for any kind (operators see the price).
 * - TEAM's price on a personal account: null. The account keeps its single-user plan and operators see
 *   the price; TEAM's pool is never granted for one seat.
 * - BASIC's or PRO's price on a team account: FREE, which a team holds as NO_PLAN (no runs). A team's pool exists only as TEAM, billed per member; keeping TEAM
 *   on a price that doesn't follow the member count would hand the pool to any team size for what one
 *   seat of a cheaper plan costs, and granting BASIC or PRO would give a team a plan no team can buy.
 */
export function planGrantedByPrice(kind: AccountKind, pricePlan: PlanId | null): PlanId | null {
  // A price Tollgate doesn't sell is an operator's doing (the portal offers only catalog prices): a
  // price change not configured yet must not cut a paying team off. Kept, and listed for operators.
  if (pricePlan === null) return null;
  if (isPlanForAccountKind(pricePlan, kind)) return pricePlan;
  return kind === 'team' ? 'FREE' : null;
}

/** "$19", "$0", "$19.50"; null (a negotiated price) is "Custom". */
export function formatPrice(cents: number | null, currency: 'usd' = 'usd'): string {
  if (cents === null) return 'Custom';
  const hasCents = cents % 100 !== 0;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: hasCents ? 2 : 0,
    maximumFractionDigits: 2,
  }).format(cents / 100);
}
