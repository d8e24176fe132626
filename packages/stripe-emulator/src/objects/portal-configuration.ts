import type Stripe from 'stripe';

/** A product the portal lets a subscription switch to, with the prices it may switch to. */
export interface PortalProduct {
  product: string;
  prices: string[];
}

export interface PortalConfigurationInput {
  id: string;
  created: number;
  name: string | null;
  defaultReturnUrl: string | null;
  metadata: Record<string, string>;
  invoiceHistory: boolean;
  paymentMethodUpdate: boolean;
  cancel: { enabled: boolean; mode: string; prorationBehavior: string };
  update: {
    enabled: boolean;
    defaultAllowedUpdates: string[];
    products: PortalProduct[] | null;
    prorationBehavior: string;
    /** schedule_at_period_end.conditions: when any holds, the portal schedules a switch for the period end. */
    scheduleConditions: string[];
  };
}

/**
 * A billing_portal.configuration as Stripe answers it. Only what Tollgate sets is taken from the
 * request; the rest (customer updates, pausing, the login page, cancellation reasons) has Stripe's
 * defaults for a configuration that doesn't mention it.
 */
export function buildPortalConfiguration(
  input: PortalConfigurationInput,
): Stripe.BillingPortal.Configuration {
  return {
    id: input.id,
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    created: input.created,
    default_return_url: input.defaultReturnUrl,
    features: {
      customer_update: { allowed_updates: [], enabled: false },
      invoice_history: { enabled: input.invoiceHistory },
      payment_method_update: { enabled: input.paymentMethodUpdate, payment_method_configuration: null },
      subscription_cancel: {
        cancellation_reason: {
          enabled: false,
          feedback_options: null,
          options: ['too_expensive', 'missing_features', 'switched_service', 'unused', 'other'],
        },
        enabled: input.cancel.enabled,
        mode: input.cancel.mode,
        proration_behavior: input.cancel.prorationBehavior,
      },
      subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
      subscription_update: {
        billing_cycle_anchor: null,
        default_allowed_updates: input.update.defaultAllowedUpdates,
        enabled: input.update.enabled,
        products: input.update.products?.map((product) => ({
          adjustable_quantity: { enabled: false, maximum: null, minimum: 1 },
          prices: product.prices,
          product: product.product,
        })),
        proration_behavior: input.update.prorationBehavior,
        schedule_at_period_end: { conditions: input.update.scheduleConditions.map((type) => ({ type })) },
        trial_update_behavior: 'end_trial',
      },
    },
    is_default: false,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: input.metadata,
    name: input.name,
    updated: input.created,
  };
}

/**
 * The prices a portal session may switch a subscription to under `configuration`: null for any price
 * (the default configuration: like an account whose portal settings list every product), else the
 * prices the configuration's subscription_update lists (none when price updates are off).
 */
export function switchablePrices(
  configuration: Stripe.BillingPortal.Configuration | null,
): Set<string> | null {
  if (configuration === null) return null;
  const update = configuration.features.subscription_update;
  if (!update.enabled || !update.default_allowed_updates.includes('price')) return new Set();
  return new Set((update.products ?? []).flatMap((product) => product.prices));
}
