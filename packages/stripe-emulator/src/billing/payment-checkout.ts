import type Stripe from 'stripe';
import { TEST_BANK_ACCOUNT } from '../bank-accounts';
import { chargeOutcome, normalizeCardNumber } from '../cards';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { idOf } from '../objects/id-of';
import { savePaymentMethod } from '../objects/payment-method';
import type { CheckoutExtras, PaymentMethodRecord, PaymentMethodType } from '../store';
import {
  closedSessionResult,
  completeCheckout,
  ensureCheckoutCustomer,
  successRedirect,
} from './checkout-completion';
import type { CheckoutResult } from './checkout-completion';
import { disputeIfTestCard } from './disputes';
import {
  BANK_DEBIT_FAILURE,
  chargeCard,
  createPaymentIntent,
  settleBankDebit,
  startBankDebit,
} from './payment-intents';

/** What the customer pays with: a card number, or the test bank account (a delayed payment). */
export type CheckoutPayment = { method: 'card'; cardNumber: string } | { method: 'us_bank_account' };

export type DelayedPaymentOutcome = 'succeeded' | 'failed';

/** The hosted page's buttons and the control API's pay call, for sessions of either mode. */
export function payCheckoutSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  payment: CheckoutPayment,
  moment: Moment,
): CheckoutResult {
  if (session.mode === 'payment') return payPaymentSession(ctx, session, payment, moment);
  if (payment.method !== 'card') {
    return { isComplete: false, message: 'Bank accounts are only accepted for one-time payments.' };
  }
  return completeCheckout(ctx, session, payment.cardNumber, moment);
}

/**
 * The customer, if the session has one or must create one. In payment mode Stripe only creates a
 * customer with customer_creation=always; otherwise the payment stays a guest's (customer null).
 */
function customerOf(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  moment: Moment,
): Stripe.Customer | null {
  // a declined earlier attempt already created it (customer_creation=always): its PaymentIntent knows
  const intentId = idOf(session.payment_intent);
  const earlierId = intentId ? idOf(ctx.store.paymentIntents.get(intentId)?.customer ?? null) : null;
  const earlier = earlierId ? ctx.store.customers.get(earlierId) : undefined;
  if (earlier) return earlier;
  if (session.customer !== null || session.customer_creation === 'always') {
    return ensureCheckoutCustomer(ctx, session, moment);
  }
  return null;
}

/**
 * Stripe creates a payment-mode session's PaymentIntent at the first payment attempt (API 2022-08-01
 * and later), and later attempts on the same session reuse it.
 */
function sessionPaymentIntent(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  extras: CheckoutExtras,
  customer: Stripe.Customer | null,
  moment: Moment,
): Stripe.PaymentIntent {
  const existingId = idOf(session.payment_intent);
  const existing = existingId ? ctx.store.paymentIntents.get(existingId) : undefined;
  if (existing) {
    if (existing.customer === null && customer) existing.customer = customer.id;
    return existing;
  }
  const intent = createPaymentIntent(
    ctx,
    {
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer: customer?.id ?? null,
      description: extras.paymentIntentData?.description ?? null,
      metadata: { ...extras.paymentIntentData?.metadata },
      paymentMethodTypes: session.payment_method_types,
      checkoutSessionId: session.id,
    },
    moment,
  );
  session.payment_intent = intent.id;
  return intent;
}

function completeSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  customer: Stripe.Customer | null,
  email: string | null,
  paymentStatus: 'paid' | 'unpaid',
  moment: Moment,
): void {
  session.status = 'complete';
  session.payment_status = paymentStatus;
  session.customer = customer?.id ?? null;
  session.url = null;
  session.collected_information = { business_name: null, individual_name: null, shipping_details: null };
  session.customer_details = {
    address: null,
    business_name: null,
    email,
    individual_name: null,
    name: customer?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  ctx.events.emit('checkout.session.completed', session, moment);
}

interface PaymentAttempt {
  intent: Stripe.PaymentIntent;
  customer: Stripe.Customer | null;
  email: string | null;
  method: PaymentMethodRecord;
}

/** What every accepted attempt needs: the customer (if any), the PaymentIntent and the saved method. */
function startAttempt(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  extras: CheckoutExtras,
  method: { number: string; type: PaymentMethodType },
  moment: Moment,
): PaymentAttempt {
  const customer = customerOf(ctx, session, moment);
  const intent = sessionPaymentIntent(ctx, session, extras, customer, moment);
  const methodId = savePaymentMethod(ctx.store, null, method.number, moment.at, method.type);
  const record = ctx.store.paymentMethods.get(methodId);
  if (!record) throw new Error(`payment method ${methodId} was not saved`);
  return { intent, customer, email: customer?.email ?? session.customer_email, method: record };
}

/**
 * Pays a payment-mode session. A card decides at once: paid (payment_intent.created, charge.succeeded,
 * payment_intent.succeeded, checkout.session.completed) or declined (charge.failed,
 * payment_intent.payment_failed; the session stays open and the next attempt reuses the
 * PaymentIntent). The bank account completes the session unpaid, its PaymentIntent processing until
 * resolveDelayedPayment.
 */
function payPaymentSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  payment: CheckoutPayment,
  moment: Moment,
): CheckoutResult {
  const closed = closedSessionResult(ctx, session, moment);
  if (closed) return closed;
  const extras = ctx.store.checkoutExtras.get(session.id);
  if (!extras || extras.lineItems.length === 0) {
    return { isComplete: false, message: 'This checkout session has no line items.' };
  }
  if (payment.method === 'us_bank_account') return payByBankAccount(ctx, session, extras, moment);
  const number = normalizeCardNumber(payment.cardNumber);
  const outcome = chargeOutcome(number, true);
  // Checkout's form refuses a mistyped number before anything reaches Stripe: no PaymentIntent
  if (!outcome.isApproved && outcome.code === 'incorrect_number') {
    extras.lastError = outcome.message;
    return { isComplete: false, message: outcome.message };
  }
  const attempt = startAttempt(ctx, session, extras, { number, type: 'card' }, moment);
  const charge = chargeCard(ctx, attempt.intent, attempt.method, outcome, attempt.email, moment);
  if (!outcome.isApproved) {
    extras.lastError = outcome.message;
    return { isComplete: false, message: outcome.message };
  }
  extras.lastError = null;
  completeSession(ctx, session, attempt.customer, attempt.email, 'paid', moment);
  disputeIfTestCard(ctx, charge, moment);
  return { isComplete: true, redirectUrl: successRedirect(session) };
}

function payByBankAccount(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  extras: CheckoutExtras,
  moment: Moment,
): CheckoutResult {
  if (!session.payment_method_types.includes('us_bank_account')) {
    return { isComplete: false, message: 'This checkout session does not accept bank accounts.' };
  }
  const method = { number: TEST_BANK_ACCOUNT.accountNumber, type: 'us_bank_account' as const };
  const attempt = startAttempt(ctx, session, extras, method, moment);
  startBankDebit(ctx, attempt.intent, attempt.method, attempt.email, moment);
  extras.lastError = null;
  completeSession(ctx, session, attempt.customer, attempt.email, 'unpaid', moment);
  return { isComplete: true, redirectUrl: successRedirect(session) };
}

/**
 * The bank's answer to a session's delayed payment: succeeded (charge.succeeded,
 * payment_intent.succeeded, checkout.session.async_payment_succeeded; payment_status paid) or failed
 * (charge.failed, payment_intent.payment_failed, checkout.session.async_payment_failed; still unpaid).
 */
export function resolveDelayedPayment(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  outcome: DelayedPaymentOutcome,
  moment: Moment,
): void {
  const intentId = idOf(session.payment_intent);
  const intent = intentId ? ctx.store.paymentIntents.get(intentId) : undefined;
  if (session.status !== 'complete' || !intent || intent.status !== 'processing') {
    throw invalidRequest(
      `Checkout Session ${session.id} has no delayed payment waiting for the bank (pay it with the bank account first).`,
      'session',
      'payment_intent_unexpected_state',
    );
  }
  if (outcome === 'succeeded') {
    settleBankDebit(ctx, intent, null, moment);
    session.payment_status = 'paid';
    ctx.events.emit('checkout.session.async_payment_succeeded', session, moment);
    return;
  }
  settleBankDebit(ctx, intent, BANK_DEBIT_FAILURE, moment);
  ctx.events.emit('checkout.session.async_payment_failed', session, moment);
}
