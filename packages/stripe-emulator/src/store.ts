import type Stripe from 'stripe';

/** A card the emulator "saved" for a customer; the number decides how later charges behave. */
export interface PaymentMethodRecord {
  id: string;
  customer: string;
  number: string;
  last4: string;
  created: number;
}

export interface CheckoutLineItem {
  price: string;
  quantity: number;
}

/** Checkout parameters Stripe keeps but does not show on the session object. */
export interface CheckoutExtras {
  lineItems: CheckoutLineItem[];
  subscriptionMetadata: Record<string, string>;
  trialPeriodDays: number | null;
  lastError: string | null;
}

export interface SubscriptionExtras {
  hasSentTrialWillEnd: boolean;
}

export interface InvoiceExtras {
  /** Automatic (scheduled) attempts only: manual retries do not consume the retry schedule. */
  automaticAttempts: number;
}

export interface StoredWebhookEndpoint extends Stripe.WebhookEndpoint {
  secret: string;
}

/** All emulator state: plain JSON-able maps of Stripe objects (see snapshot.ts). */
export interface Store {
  customers: Map<string, Stripe.Customer>;
  products: Map<string, Stripe.Product>;
  prices: Map<string, Stripe.Price>;
  checkoutSessions: Map<string, Stripe.Checkout.Session>;
  checkoutExtras: Map<string, CheckoutExtras>;
  portalSessions: Map<string, Stripe.BillingPortal.Session>;
  subscriptions: Map<string, Stripe.Subscription>;
  subscriptionExtras: Map<string, SubscriptionExtras>;
  invoices: Map<string, Stripe.Invoice>;
  invoiceExtras: Map<string, InvoiceExtras>;
  /** ii_… invoice items (proration items); pending while `invoice` is null. */
  invoiceItems: Map<string, Stripe.InvoiceItem>;
  paymentMethods: Map<string, PaymentMethodRecord>;
  events: Map<string, Stripe.Event>;
  webhookEndpoints: Map<string, StoredWebhookEndpoint>;
}

export function createStore(): Store {
  return {
    customers: new Map(),
    products: new Map(),
    prices: new Map(),
    checkoutSessions: new Map(),
    checkoutExtras: new Map(),
    portalSessions: new Map(),
    subscriptions: new Map(),
    subscriptionExtras: new Map(),
    invoices: new Map(),
    invoiceExtras: new Map(),
    invoiceItems: new Map(),
    paymentMethods: new Map(),
    events: new Map(),
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
