import type Stripe from 'stripe';
import { TEST_CARDS } from '../cards';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { invalidRequest } from '../errors';
import { idOf } from '../objects/id-of';
import { wireCopy } from '../store';
import { successRedirect } from './checkout-completion';
import type { CheckoutResult } from './checkout-completion';
import { getCheckoutSession } from './lookups';
import { payCheckoutSession, resolveDelayedPayment } from './payment-checkout';
import type { CheckoutPayment, DelayedPaymentOutcome } from './payment-checkout';
import { processDue } from './renewals';

/** How a test pays a checkout session without a browser. */
export interface CheckoutPaymentOptions {
  /** A test card number (spaces allowed). Default 4242 4242 4242 4242. */
  card?: string;
  /**
   * Pay with the test bank account instead (payment mode, USD): the session completes unpaid and the
   * payment stays processing until resolveDelayedPayment.
   */
  delayed?: boolean;
  /** The email the hosted page asks for when the session has no customer and no customer_email. */
  email?: string;
}

export interface CheckoutPaymentResult {
  /** The session completed: paid, or (delayed) unpaid with its payment processing. */
  isComplete: boolean;
  /** What the hosted page would show in role="alert" (a decline, an expired session); null when complete. */
  error: string | null;
  /** Where the hosted page redirects: success_url with {CHECKOUT_SESSION_ID} filled in; null unless complete. */
  redirectUrl: string | null;
  session: Stripe.Checkout.Session;
  /** Payment mode: the session's PaymentIntent once a payment was attempted. */
  paymentIntent: Stripe.PaymentIntent | null;
}

function resultOf(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  result: CheckoutResult,
): CheckoutPaymentResult {
  const intentId = idOf(session.payment_intent);
  const intent = intentId ? ctx.store.paymentIntents.get(intentId) : undefined;
  return {
    isComplete: result.isComplete,
    error: result.isComplete ? null : result.message,
    redirectUrl: result.isComplete ? result.redirectUrl : null,
    session: wireCopy(session),
    paymentIntent: intent ? wireCopy(intent) : null,
  };
}

/** Pays a session (either mode) exactly as the hosted page's buttons do, at the emulator's now. */
export function payCheckoutByControl(
  ctx: EmulatorContext,
  sessionId: string,
  options: CheckoutPaymentOptions = {},
): CheckoutPaymentResult {
  const now = ctx.clock.nowSeconds();
  processDue(ctx, now);
  const session = getCheckoutSession(ctx, sessionId);
  if (options.delayed && options.card !== undefined) {
    throw invalidRequest('Pass either card or delayed: true, not both.', 'delayed');
  }
  if (options.email && session.customer === null && session.customer_email === null) {
    session.customer_email = options.email;
  }
  const payment: CheckoutPayment = options.delayed
    ? { method: 'us_bank_account' }
    : { method: 'card', cardNumber: options.card ?? TEST_CARDS.success };
  return resultOf(ctx, session, payCheckoutSession(ctx, session, payment, momentAt(now)));
}

/** The bank's answer to a session's delayed payment (see payment-checkout.ts for the events). */
export function resolveDelayedPaymentByControl(
  ctx: EmulatorContext,
  sessionId: string,
  outcome: DelayedPaymentOutcome,
): CheckoutPaymentResult {
  const now = ctx.clock.nowSeconds();
  processDue(ctx, now);
  const session = getCheckoutSession(ctx, sessionId);
  if (outcome !== 'succeeded' && outcome !== 'failed') {
    throw invalidRequest('outcome must be "succeeded" or "failed"', 'outcome');
  }
  resolveDelayedPayment(ctx, session, outcome, momentAt(now));
  return resultOf(ctx, session, { isComplete: true, redirectUrl: successRedirect(session) });
}
