import type Stripe from 'stripe';
import type { CheckoutPaymentOptions, CheckoutPaymentResult } from './billing/checkout-control';
import type { DisputeOptions } from './billing/disputes';
import type { InvoicePaymentOptions, InvoicePaymentResult } from './billing/invoice-payment';
import type { DelayedPaymentOutcome } from './billing/payment-checkout';
import type { CatalogSeed, CatalogSeedPlan } from './catalog';
import type { ActiveFault, FaultRule } from './fault-injection';
import type { FailureRule, PendingFailure } from './faults';
import type { DeliveryRecord, WebhookMode } from './webhooks/delivery';

export type {
  ActiveFault,
  CatalogSeed,
  CatalogSeedPlan,
  CheckoutPaymentOptions,
  CheckoutPaymentResult,
  DelayedPaymentOutcome,
  DeliveryRecord,
  DisputeOptions,
  FailureRule,
  FaultRule,
  InvoicePaymentOptions,
  InvoicePaymentResult,
  PendingFailure,
  WebhookMode,
};

/** K: the keys of the seeded catalog (`prices` and `products` are keyed by them). */
export interface StripeEmulatorOptions<K extends string = string> {
  /**
   * Products and prices to seed (re-seeded over a restored snapshot). Default none: the emulator has
   * no catalog of its own (Tollgate's is TOLLGATE_CATALOG, from '@tollgate/stripe-emulator/tollgate-catalog').
   */
  catalog?: CatalogSeed<K>;
  /** 0 = a random free port. The CLI defaults to 12111 (DEFAULT_EMULATOR_PORT). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Origin used in hosted page URLs (session.url, hosted_invoice_url). Default http://<host>:<port>. */
  publicUrl?: string;
  /** Webhook endpoints to deliver to; a whsec_… secret is generated when omitted. */
  webhookEndpoints?: { url: string; secret?: string }[];
  /** Renewal payment retries: seconds after each failed attempt. Default 3, 5 and 7 days. */
  retrySchedule?: number[];
  /** What a subscription becomes when the last retry failed. Default 'canceled'. */
  endStateAfterRetries?: 'canceled' | 'unpaid';
  /** Webhook delivery backoff after a non-2xx answer or a timeout. */
  deliveryRetryDelaysMs?: number[];
  /** How long a webhook delivery may take before it counts as failed. Default 10 s. */
  deliveryTimeoutMs?: number;
  /** Emulator clock start. Default: real now. */
  startTime?: Date;
  /**
   * How long each POST /v1/billing/meter_events holds its (customer, meter) in-flight marker before
   * answering, so tests can provoke Stripe's "one concurrent call per customer per meter" 429.
   * Default 0: answered at once.
   */
  meterEventHoldMs?: number;
  /** Load state from this JSON file at start (if it exists) and save it there on close(). */
  snapshotFile?: string;
}

export interface EmulatorClockControl {
  now(): Date;
  /** Moves the clock forward; renewals, retries and period-end cancellations on the way happen. */
  advance(seconds: number): Promise<void>;
}

export interface EmulatorWebhooks {
  /** shuffle: hold events until drain(), then deliver them in a seeded random order. */
  setMode(mode: Partial<WebhookMode>): void;
  /** Resolves when every queued/held delivery is done (delivered or out of retries). Resumes if paused. */
  drain(): Promise<void>;
  log(): DeliveryRecord[];
  pause(): void;
  resume(): void;
}

export interface EmulatorFailures {
  /**
   * Makes the next matching API call(s) fail with a Stripe error, changing nothing (answered with
   * `Stripe-Should-Retry: false`, so the SDK's automatic retries don't hide it).
   */
  failNext(rule: FailureRule): PendingFailure;
  pending(): PendingFailure[];
  clear(): void;
}

export interface EmulatorFaults {
  /**
   * Installs a standing fault on the matching API calls: an error rate (seeded), a status (500, 429
   * with Retry-After, 402 card errors, …), added latency, or "process the call, then drop the
   * response". Stays until removed, or until it hit `times` calls. See FaultRule.
   */
  set(rule: FaultRule): ActiveFault;
  /** Installed faults with how many calls each matched and hit. */
  list(): ActiveFault[];
  remove(id: string): boolean;
  clear(): void;
}

/** Arranges customers for tests (in-process twin of POST /_emulator/customers/:id/…). */
export interface EmulatorCustomers {
  /**
   * Puts a test card on file: a new card PaymentMethod attached to the customer and set as its
   * `invoice_settings.default_payment_method` (customer.updated); returns its pm_ id. Any Luhn-valid
   * number, 4000 0000 0000 0002 included (a saved card the bank now declines); an invalid number or an
   * unknown customer throws a StripeApiError.
   */
  setDefaultCard(customerId: string, cardNumber: string): string;
}

/**
 * Drives checkout without a browser, through the same code as the hosted page's buttons. Each call
 * throws a StripeApiError for an unknown session; a decline is a result (isComplete: false), not an error.
 */
export interface EmulatorCheckout {
  /**
   * Pays the session (either mode) with a test card (default 4242…) or, with `delayed: true`
   * (payment mode, USD), with the test bank account: the session completes unpaid and its payment
   * stays processing until resolveDelayedPayment.
   */
  pay(sessionId: string, options?: CheckoutPaymentOptions): CheckoutPaymentResult;
  /** The bank's answer to a delayed payment: 'succeeded' (session paid) or 'failed' (stays unpaid). */
  resolveDelayedPayment(sessionId: string, outcome: DelayedPaymentOutcome): CheckoutPaymentResult;
}

/** Arranges charges for tests (in-process twin of POST /_emulator/charges/:id/…). */
export interface EmulatorCharges {
  /**
   * The cardholder's bank disputes a succeeded card charge (default: all not refunded, as fraudulent):
   * a `needs_response` dispute, charge.dispute.created and charge.dispute.funds_withdrawn, the charge
   * `disputed`. A charge that can't be disputed (not succeeded, not a card, already disputed, an amount
   * beyond what is not refunded) or an unknown one throws a StripeApiError.
   */
  dispute(chargeId: string, options?: DisputeOptions): Stripe.Dispute;
}

/** Pays invoices without a browser (in-process twin of POST /_emulator/invoices/:id/pay). */
export interface EmulatorInvoices {
  /**
   * Pays an open invoice like the hosted invoice page's Pay button, with a test card (default 4242…).
   * A decline is a result (isPaid: false, `error`); an unknown invoice throws a StripeApiError.
   */
  pay(invoiceId: string, options?: InvoicePaymentOptions): InvoicePaymentResult;
}

export interface StripeEmulator<K extends string = string> {
  url: string;
  port: number;
  /** Seeded price and product ids by catalog key. */
  prices: Record<K, string>;
  products: Record<K, string>;
  addWebhookEndpoint(url: string, secret?: string): { id: string; secret: string };
  clock: EmulatorClockControl;
  webhooks: EmulatorWebhooks;
  failures: EmulatorFailures;
  faults: EmulatorFaults;
  checkout: EmulatorCheckout;
  customers: EmulatorCustomers;
  charges: EmulatorCharges;
  invoices: EmulatorInvoices;
  /** Saves the snapshot (when configured) and stops the server and all deliveries. */
  close(): Promise<void>;
}

export const DEFAULT_EMULATOR_PORT = 12111;
export const DEFAULT_RETRY_SCHEDULE = [3 * 86_400, 5 * 86_400, 7 * 86_400];
export const DEFAULT_DELIVERY_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000];
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
