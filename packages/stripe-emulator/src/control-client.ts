import type { CheckoutPaymentOptions, CheckoutPaymentResult } from './billing/checkout-control';
import type { InvoicePaymentOptions, InvoicePaymentResult } from './billing/invoice-payment';
import type Stripe from 'stripe';
import type { DisputeOptions } from './billing/disputes';
import type { DelayedPaymentOutcome } from './billing/payment-checkout';
import type { ActiveFault, FaultRule } from './fault-injection';
import type { FailureRule, PendingFailure } from './faults';
import type { DeliveryRecord, WebhookMode } from './webhooks/delivery';

export interface EmulatorControl {
  advanceClock(seconds: number): Promise<{ now: string; nowSeconds: number }>;
  drain(): Promise<DeliveryRecord[]>;
  setMode(mode: Partial<WebhookMode>): Promise<WebhookMode>;
  deliveries(): Promise<DeliveryRecord[]>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  state(): Promise<Record<string, unknown>>;
  failNext(rule: FailureRule): Promise<PendingFailure>;
  clearFailures(): Promise<void>;
  setFault(rule: FaultRule): Promise<ActiveFault>;
  faults(): Promise<ActiveFault[]>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  /**
   * Pays a checkout session (either mode) like the hosted page's Pay button: `card` (default
   * 4242 4242 4242 4242; 4000 0000 0000 0002 is declined, …) or `delayed: true` (payment mode, USD:
   * the test bank account; the session completes unpaid until resolveDelayedPayment). A decline
   * resolves with isComplete: false and `error`, the page's message; an unknown session rejects.
   */
  payCheckoutSession(sessionId: string, options?: CheckoutPaymentOptions): Promise<CheckoutPaymentResult>;
  /**
   * The bank's answer to a session's delayed payment: 'succeeded' (charge.succeeded,
   * payment_intent.succeeded, checkout.session.async_payment_succeeded; session paid) or 'failed'
   * (charge.failed, payment_intent.payment_failed, checkout.session.async_payment_failed).
   */
  resolveDelayedPayment(sessionId: string, outcome: DelayedPaymentOutcome): Promise<CheckoutPaymentResult>;
  /**
   * The meter's aggregated value (sum, count or last, as the meter says) for the customer's
   * uncanceled events with timestamps in [start, end) (unix seconds; defaults: all time).
   */
  meterTotal(meterId: string, customerId: string, start?: number, end?: number): Promise<number>;
  /**
   * Puts a test card on file for the customer (a new card PaymentMethod, attached and set as
   * `invoice_settings.default_payment_method`) and resolves with its pm_ id, e.g. to test an
   * off-session charge with 4000 0000 0000 0002. An unknown customer or invalid number rejects.
   */
  setDefaultCard(customerId: string, cardNumber: string): Promise<string>;
  /**
   * Pays an open invoice like the hosted invoice page's Pay button (`card`, default 4242 4242 4242 4242),
   * e.g. a send_invoice invoice. A decline resolves with isPaid: false and `error`; an unknown invoice
   * rejects.
   */
  payInvoice(invoiceId: string, options?: InvoicePaymentOptions): Promise<InvoicePaymentResult>;
  /**
   * The cardholder's bank disputes a succeeded card charge (default: all not refunded, as fraudulent),
   * e.g. a pack bought with 4242 4242 4242 4242: resolves with the `needs_response` dispute and the
   * charge (`disputed: true`). A charge that can't be disputed, or an unknown one, rejects.
   */
  disputeCharge(
    chargeId: string,
    options?: DisputeOptions,
  ): Promise<{ dispute: Stripe.Dispute; charge: Stripe.Charge }>;
}

/** A small fetch client for the emulator's /_emulator control API (for other processes). */
export function emulatorControl(url: string): EmulatorControl {
  const base = url.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`emulator ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  return {
    advanceClock: (seconds) => call('POST', '/clock/advance', { seconds }),
    drain: async () => (await call<{ deliveries: DeliveryRecord[] }>('POST', '/webhooks/drain')).deliveries,
    setMode: async (mode) => (await call<{ mode: WebhookMode }>('POST', '/webhooks/mode', mode)).mode,
    deliveries: async () => (await call<{ deliveries: DeliveryRecord[] }>('GET', '/deliveries')).deliveries,
    pause: async () => {
      await call('POST', '/webhooks/pause');
    },
    resume: async () => {
      await call('POST', '/webhooks/resume');
    },
    state: () => call('GET', '/state'),
    failNext: async (rule) => (await call<{ added: PendingFailure }>('POST', '/failures', rule)).added,
    clearFailures: async () => {
      await call('DELETE', '/failures');
    },
    setFault: async (rule) => (await call<{ fault: ActiveFault }>('POST', '/faults', rule)).fault,
    faults: async () => (await call<{ faults: ActiveFault[] }>('GET', '/faults')).faults,
    removeFault: async (id) => {
      await call('DELETE', `/faults/${encodeURIComponent(id)}`);
    },
    clearFaults: async () => {
      await call('DELETE', '/faults');
    },
    payCheckoutSession: (sessionId, options = {}) =>
      call('POST', `/checkout/sessions/${encodeURIComponent(sessionId)}/pay`, options),
    resolveDelayedPayment: (sessionId, outcome) =>
      call('POST', `/checkout/sessions/${encodeURIComponent(sessionId)}/delayed-payment`, { outcome }),
    meterTotal: async (meterId, customerId, start, end) => {
      const query = new URLSearchParams({ customer: customerId });
      if (start !== undefined) query.set('start', String(start));
      if (end !== undefined) query.set('end', String(end));
      const path = `/meters/${encodeURIComponent(meterId)}/total?${query.toString()}`;
      return (await call<{ total: number }>('GET', path)).total;
    },
    setDefaultCard: async (customerId, cardNumber) => {
      const path = `/customers/${encodeURIComponent(customerId)}/default-card`;
      return (await call<{ paymentMethod: string }>('POST', path, { card: cardNumber })).paymentMethod;
    },
    payInvoice: (invoiceId, options = {}) =>
      call('POST', `/invoices/${encodeURIComponent(invoiceId)}/pay`, options),
    disputeCharge: (chargeId, options = {}) =>
      call('POST', `/charges/${encodeURIComponent(chargeId)}/dispute`, options),
  };
}
