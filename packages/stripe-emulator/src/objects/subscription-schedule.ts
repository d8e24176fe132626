import type Stripe from 'stripe';

/** One phase of a schedule: the subscription's single item at a price and quantity for a time. */
export interface SchedulePhaseInput {
  start: number;
  end: number;
  price: Stripe.Price;
  quantity: number;
}

export interface SubscriptionScheduleInput {
  id: string;
  created: number;
  subscription: Stripe.Subscription;
  customer: string;
  /** The phase running now (the current period at the current price) and the one the switch starts. */
  phases: [SchedulePhaseInput, SchedulePhaseInput];
}

function buildPhase(phase: SchedulePhaseInput): Stripe.SubscriptionSchedule.Phase {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: phase.price.currency,
    default_payment_method: null,
    description: null,
    discounts: [],
    end_date: phase.end,
    invoice_settings: null,
    items: [
      {
        billing_thresholds: null,
        discounts: [],
        metadata: {},
        plan: phase.price.id,
        price: phase.price.id,
        quantity: phase.quantity,
      },
    ],
    metadata: {},
    on_behalf_of: null,
    proration_behavior: 'none',
    start_date: phase.start,
    transfer_data: null,
    trial_end: null,
  };
}

/**
 * A subscription_schedule as Stripe answers it for a subscription it manages (made `from_subscription`,
 * as the customer portal does for a switch scheduled at the period end): the current phase, then the
 * switched one; `end_behavior: 'release'` hands the subscription back when the schedule is done.
 */
export function buildSubscriptionSchedule(input: SubscriptionScheduleInput): Stripe.SubscriptionSchedule {
  const { subscription } = input;
  const [current] = input.phases;
  return {
    id: input.id,
    object: 'subscription_schedule',
    application: null,
    billing_mode: subscription.billing_mode,
    canceled_at: null,
    completed_at: null,
    created: input.created,
    current_phase: { start_date: current.start, end_date: current.end },
    customer: input.customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: subscription.collection_method,
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: subscription.days_until_due,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: 'release',
    livemode: false,
    metadata: {},
    pause_schedules: [],
    phases: input.phases.map(buildPhase),
    released_at: null,
    released_subscription: null,
    status: 'active',
    subscription: subscription.id,
    test_clock: null,
  };
}

/** The phase a schedule switches to at the end of its current one, if it has one still to come. */
export function nextPhaseOf(schedule: Stripe.SubscriptionSchedule): Stripe.SubscriptionSchedule.Phase | null {
  const currentEnd = schedule.current_phase?.end_date;
  return schedule.phases.find((phase) => phase.start_date === currentEnd) ?? null;
}
