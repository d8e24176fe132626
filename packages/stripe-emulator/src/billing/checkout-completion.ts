import type Stripe from 'stripe';
import { attachOutcome, chargeOutcome, normalizeCardNumber } from '../cards';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildCustomer } from '../objects/customer';
import { savePaymentMethod } from '../objects/payment-method';
import { priceInterval } from '../objects/price';
import { buildSubscription } from '../objects/subscription';
import { nextPeriodEnd } from '../clock';
import type { CheckoutExtras } from '../store';
import { createSubscriptionInvoice } from './invoicing';
import { getPrice } from './lookups';
import { cancelPaymentIntent } from './payment-intents';
import { markInvoicePaid } from './payments';

export type CheckoutResult =
  { isComplete: true; redirectUrl: string } | { isComplete: false; message: string };

export function expireCheckoutSession(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  moment: Moment,
): void {
  session.status = 'expired';
  session.url = null;
  ctx.events.emit('checkout.session.expired', session, moment);
  // a payment-mode session that saw a declined attempt has a PaymentIntent: it can't be paid any more
  const intent =
    typeof session.payment_intent === 'string'
      ? ctx.store.paymentIntents.get(session.payment_intent)
      : undefined;
  if (intent?.status === 'requires_payment_method') cancelPaymentIntent(ctx, intent, null, moment);
}

/** success_url may carry Stripe's {CHECKOUT_SESSION_ID} template variable. */
export function successRedirect(session: Stripe.Checkout.Session): string {
  return (session.success_url ?? '/').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}

/**
 * A session that can't be paid any more: complete (paying again just redirects to success_url, like
 * reloading Stripe's page) or expired (expiring it now if its 24 h just ran out). null: still open.
 */
export function closedSessionResult(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  moment: Moment,
): CheckoutResult | null {
  if (session.status === 'complete') return { isComplete: true, redirectUrl: successRedirect(session) };
  if (session.status === 'expired' || session.expires_at <= moment.at) {
    if (session.status !== 'expired') expireCheckoutSession(ctx, session, moment);
    return { isComplete: false, message: 'This checkout session has expired.' };
  }
  return null;
}

/**
 * The "Pay" button of the hosted checkout page in subscription mode (payment mode: payment-checkout.ts).
 * A declined card leaves no trace but the message; success creates (if needed) the customer, the card,
 * the subscription and its paid first invoice, then completes the session — emitting the events in the
 * order Stripe does.
 */
export function completeCheckout(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  rawCardNumber: string,
  moment: Moment,
): CheckoutResult {
  const closed = closedSessionResult(ctx, session, moment);
  if (closed) return closed;
  const extras = ctx.store.checkoutExtras.get(session.id);
  const line = extras?.lineItems[0];
  if (!extras || !line) return { isComplete: false, message: 'This checkout session has no line items.' };
  const price = getPrice(ctx, line.price);
  const isTrial = extras.trialPeriodDays !== null && extras.trialPeriodDays > 0;
  const number = normalizeCardNumber(rawCardNumber);
  const outcome = isTrial ? attachOutcome(number) : chargeOutcome(number, true);
  if (!outcome.isApproved) {
    extras.lastError = outcome.message;
    return { isComplete: false, message: outcome.message };
  }
  extras.lastError = null;

  const customer = ensureCheckoutCustomer(ctx, session, moment);
  const paymentMethodId = savePaymentMethod(ctx.store, customer.id, number, moment.at);
  const subscription = createSubscription(ctx, customer.id, price, extras, paymentMethodId, moment);
  const item = subscription.items.data[0];
  const invoice = createSubscriptionInvoice(
    ctx,
    subscription,
    {
      billingReason: 'subscription_create',
      periodStart: moment.at,
      periodEnd: moment.at,
      cycle: {
        amount: isTrial ? 0 : (price.unit_amount ?? 0) * line.quantity,
        period: {
          start: item?.current_period_start ?? moment.at,
          end: item?.current_period_end ?? moment.at,
        },
      },
      invoiceItems: [],
    },
    moment,
  );
  ctx.events.emit('customer.subscription.created', subscription, moment);
  markInvoicePaid(ctx, invoice, moment);

  session.status = 'complete';
  session.payment_status = isTrial ? 'no_payment_required' : 'paid';
  session.customer = customer.id;
  session.subscription = subscription.id;
  session.invoice = invoice.id;
  session.url = null;
  session.customer_details = {
    address: null,
    business_name: null,
    email: customer.email,
    individual_name: null,
    name: customer.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  ctx.events.emit('checkout.session.completed', session, moment);
  return { isComplete: true, redirectUrl: successRedirect(session) };
}

/** The session's customer, or a new one (customer.created) made from its email, as Checkout does. */
export function ensureCheckoutCustomer(
  ctx: EmulatorContext,
  session: Stripe.Checkout.Session,
  moment: Moment,
): Stripe.Customer {
  const existingId = typeof session.customer === 'string' ? session.customer : session.customer?.id;
  const existing = existingId ? ctx.store.customers.get(existingId) : undefined;
  if (existing) return existing;
  const customer = buildCustomer({
    id: newId('cus'),
    created: moment.at,
    email: session.customer_email,
    name: null,
    description: null,
    phone: null,
    metadata: {},
  });
  ctx.store.customers.set(customer.id, customer);
  ctx.events.emit('customer.created', customer, moment);
  return customer;
}

function createSubscription(
  ctx: EmulatorContext,
  customerId: string,
  price: Stripe.Price,
  extras: CheckoutExtras,
  paymentMethodId: string,
  moment: Moment,
): Stripe.Subscription {
  const trialEnd =
    extras.trialPeriodDays !== null && extras.trialPeriodDays > 0
      ? moment.at + extras.trialPeriodDays * 86_400
      : null;
  const { interval, count } = priceInterval(price);
  const subscription = buildSubscription({
    id: newId('sub'),
    itemId: newId('si'),
    customer: customerId,
    price,
    quantity: extras.lineItems[0]?.quantity ?? 1,
    metadata: extras.subscriptionMetadata,
    created: moment.at,
    periodStart: moment.at,
    periodEnd: trialEnd ?? nextPeriodEnd(moment.at, moment.at, interval, count),
    trialStart: trialEnd === null ? null : moment.at,
    trialEnd,
    defaultPaymentMethod: paymentMethodId,
  });
  ctx.store.subscriptions.set(subscription.id, subscription);
  ctx.store.subscriptionExtras.set(subscription.id, { hasSentTrialWillEnd: false });
  return subscription;
}
