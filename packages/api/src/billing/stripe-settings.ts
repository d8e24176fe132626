import { CHECKOUT_PLAN_IDS, type CheckoutPlanId, type PlanId } from '@tollgate/domain';
import Stripe from 'stripe';

/**
 * The Stripe API version Tollgate is written against, pinned in this one place. Its shapes (periods on
 * subscription items, invoice.parent.subscription_details) are what the code expects; the domain
 * parsers also read the older shapes, for events sent with an older account default.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;

export interface BillingSettings {
  stripe: Stripe;
  priceIds: Record<CheckoutPlanId, string>;
  webhookSecret: string;
  /** Signatures older than this are refused (Stripe's default is 300 s). */
  webhookToleranceSeconds: number;
  /** The overage meter and its metered price (null/omitted: overage can't be billed, so it can't be turned on). */
  overage?: OverageBillingSettings | null;
}

/** Stripe's side of overage: a Billing Meter summing `value` per customer, and the metered price on it. */
export interface OverageBillingSettings {
  meterId: string;
  /** The meter's event_name: what meter events are sent as. */
  eventName: string;
  /** The metered price (recurring, usage_type metered, on the meter) added next to the plan's item. */
  priceId: string;
  /** That price's unit_amount_decimal (cents per run): what caps are divided by. */
  unitAmountDecimal: string;
}

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111 for the offline emulator; unset for api.stripe.com. */
  apiBaseUrl?: string | null;
}

/** The official SDK, unchanged; pointed at the emulator by host/port/protocol when apiBaseUrl is set. */
export function createStripeClient({ secretKey, apiBaseUrl }: StripeClientOptions): Stripe {
  const base = apiBaseUrl ? new URL(apiBaseUrl) : null;
  return new Stripe(secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 2,
    timeout: 20_000,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}

/**
 * Is this a plan's price? Finds the plan's item among a subscription's items (a metered price may sit
 * next to it): pass it to parseStripeSubscription.
 */
export function isPlanPriceOf(settings: Pick<BillingSettings, 'priceIds'>): (priceId: string) => boolean {
  return (priceId) => planForPrice(settings, priceId) !== null;
}

/** Maps a Stripe price back to a plan; null for a price Tollgate doesn't sell. */
export function planForPrice(settings: Pick<BillingSettings, 'priceIds'>, priceId: string): PlanId | null {
  return CHECKOUT_PLAN_IDS.find((plan) => settings.priceIds[plan] === priceId) ?? null;
}
