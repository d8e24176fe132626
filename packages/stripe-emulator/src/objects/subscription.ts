import type Stripe from 'stripe';
import { planFromPrice } from './price';

export interface SubscriptionInput {
  id: string;
  itemId: string;
  customer: string;
  price: Stripe.Price;
  quantity: number;
  metadata: Record<string, string>;
  created: number;
  periodStart: number;
  periodEnd: number;
  trialStart: number | null;
  trialEnd: number | null;
  defaultPaymentMethod: string | null;
  /** Default charge_automatically (Checkout's subscriptions). */
  collectionMethod?: Stripe.Subscription.CollectionMethod;
  /** send_invoice only: days from an invoice's finalization to its due_date. */
  daysUntilDue?: number | null;
  description?: string | null;
  /** Default trialing (trial) or active; an API-created subscription starts incomplete until paid. */
  status?: Stripe.Subscription.Status;
}

export function buildSubscriptionItem(
  subscriptionId: string,
  itemId: string,
  price: Stripe.Price,
  quantity: number,
  created: number,
  period: { start: number; end: number },
): Stripe.SubscriptionItem {
  return {
    id: itemId,
    object: 'subscription_item',
    billing_thresholds: null,
    created,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planFromPrice(price),
    price,
    quantity,
    subscription: subscriptionId,
    tax_rates: [],
  };
}

/** A subscription in the current API shape: the billing period lives on its items. */
export function buildSubscription(input: SubscriptionInput): Stripe.Subscription {
  const isTrialing = input.trialEnd !== null && input.trialEnd > input.created;
  const item = buildSubscriptionItem(input.id, input.itemId, input.price, input.quantity, input.created, {
    start: input.periodStart,
    end: input.periodEnd,
  });
  return {
    id: input.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: isTrialing && input.trialEnd !== null ? input.trialEnd : input.periodStart,
    billing_cycle_anchor_config: null,
    billing_mode: {
      flexible: { proration_discounts: 'included' },
      type: 'flexible',
      updated_at: input.created,
    },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: input.collectionMethod ?? 'charge_automatically',
    created: input.created,
    currency: input.price.currency,
    customer: input.customer,
    customer_account: null,
    days_until_due: input.daysUntilDue ?? null,
    default_payment_method: input.defaultPaymentMethod,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: [item],
      has_more: false,
      url: `/v1/subscription_items?subscription=${input.id}`,
    },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: input.created,
    status: input.status ?? (isTrialing ? 'trialing' : 'active'),
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: input.trialStart,
  };
}

export function firstItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem {
  const item = subscription.items.data[0];
  if (!item) throw new Error(`subscription ${subscription.id} has no items`);
  return item;
}

/** Subscriptions that still bill and can be changed. */
export function isLive(subscription: Stripe.Subscription): boolean {
  return subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired';
}
