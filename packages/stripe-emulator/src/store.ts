import type Stripe from 'stripe';

export type PaymentMethodType = 'card' | 'us_bank_account';

/** A card (or test bank account) the emulator "saved"; the number decides how charges behave. */
export interface PaymentMethodRecord {
  id: string;
  /** null: a one-time payment's method, never attached to a customer (as on Stripe). */
  customer: string | null;
  /** The card number, or the account number of a us_bank_account. */
  number: string;
  last4: string;
  created: number;
  /** Absent on cards saved before bank debits existed (restored snapshots): those are cards. */
  type?: PaymentMethodType;
}

export interface CheckoutLineItem {
  price: string;
  quantity: number;
}

/** payment_intent_data of a payment-mode session: the PaymentIntent is only created when the customer pays. */
export interface PaymentIntentData {
  metadata: Record<string, string>;
  description: string | null;
}

/** Checkout parameters Stripe keeps but does not show on the session object. */
export interface CheckoutExtras {
  lineItems: CheckoutLineItem[];
  subscriptionMetadata: Record<string, string>;
  trialPeriodDays: number | null;
  lastError: string | null;
  /** Payment mode only (absent on subscription sessions and on snapshots from before payment mode). */
  paymentIntentData?: PaymentIntentData;
}

export interface SubscriptionExtras {
  hasSentTrialWillEnd: boolean;
}

export interface InvoiceExtras {
  /** Automatic (scheduled) attempts only: manual retries do not consume the retry schedule. */
  automaticAttempts: number;
  /** send_invoice: its due date passed while it was open (the subscription went past_due once). */
  hasPassedDueDate?: boolean;
}

/** A recorded billing.meter_event with what the emulator needs to aggregate it. */
export interface MeterEventRecord {
  event: Stripe.Billing.MeterEvent;
  meter: string;
  customer: string;
  /** The payload's value as a number (a whole number, possibly negative). */
  value: number;
  /** Set when a cancel adjustment removed it from every aggregation. */
  canceledAt: number | null;
}

export interface MeterEventAdjustmentRecord {
  adjustment: Stripe.Billing.MeterEventAdjustment;
  meter: string;
  created: number;
}

export type DisputeOutcome = 'won' | 'lost';

/** A submitted dispute whose test evidence decides it (winning_evidence, losing_evidence) at `at`. */
export interface DisputeDecision {
  at: number;
  outcome: DisputeOutcome;
}

export interface StoredWebhookEndpoint extends Stripe.WebhookEndpoint {
  secret: string;
}

/** All emulator state: plain JSON-able maps of Stripe objects (see snapshot.ts). */
export interface Store {
  customers: Map<string, Stripe.Customer>;
  /** Customers deleted: Stripe still answers a retrieve of one with `{ id, object, deleted: true }`. */
  deletedCustomers: Map<string, Stripe.DeletedCustomer>;
  products: Map<string, Stripe.Product>;
  prices: Map<string, Stripe.Price>;
  checkoutSessions: Map<string, Stripe.Checkout.Session>;
  checkoutExtras: Map<string, CheckoutExtras>;
  portalSessions: Map<string, Stripe.BillingPortal.Session>;
  portalConfigurations: Map<string, Stripe.BillingPortal.Configuration>;
  subscriptions: Map<string, Stripe.Subscription>;
  subscriptionExtras: Map<string, SubscriptionExtras>;
  /** sub_sched_… schedules (the portal's switches scheduled for a period end). */
  subscriptionSchedules: Map<string, Stripe.SubscriptionSchedule>;
  invoices: Map<string, Stripe.Invoice>;
  invoiceExtras: Map<string, InvoiceExtras>;
  /** ii_… invoice items (proration items); pending while `invoice` is null. */
  invoiceItems: Map<string, Stripe.InvoiceItem>;
  paymentMethods: Map<string, PaymentMethodRecord>;
  paymentIntents: Map<string, Stripe.PaymentIntent>;
  charges: Map<string, Stripe.Charge>;
  refunds: Map<string, Stripe.Refund>;
  disputes: Map<string, Stripe.Dispute>;
  /** By dispute id. */
  disputeDecisions: Map<string, DisputeDecision>;
  events: Map<string, Stripe.Event>;
  meters: Map<string, Stripe.Billing.Meter>;
  /** Meter events by an internal key (an identifier may be reused after the 24 h window). */
  meterEvents: Map<string, MeterEventRecord>;
  meterEventAdjustments: Map<string, MeterEventAdjustmentRecord>;
  webhookEndpoints: Map<string, StoredWebhookEndpoint>;
}

export function createStore(): Store {
  return {
    customers: new Map(),
    deletedCustomers: new Map(),
    products: new Map(),
    prices: new Map(),
    checkoutSessions: new Map(),
    checkoutExtras: new Map(),
    portalSessions: new Map(),
    portalConfigurations: new Map(),
    subscriptions: new Map(),
    subscriptionExtras: new Map(),
    subscriptionSchedules: new Map(),
    invoices: new Map(),
    invoiceExtras: new Map(),
    invoiceItems: new Map(),
    paymentMethods: new Map(),
    paymentIntents: new Map(),
    charges: new Map(),
    refunds: new Map(),
    disputes: new Map(),
    disputeDecisions: new Map(),
    events: new Map(),
    meters: new Map(),
    meterEvents: new Map(),
    meterEventAdjustments: new Map(),
    webhookEndpoints: new Map(),
  };
}

/**
 * A deep copy through JSON: what a client would see on the wire (Stripe.Decimal fields become their
 * string form). Used for event payloads and responses so later mutations never leak into them.
 */
export function wireCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
