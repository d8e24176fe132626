import type Stripe from 'stripe';
import { nextPeriodEnd } from '../clock';
import type { EmulatorContext } from '../context';
import { StripeApiError, invalidRequest } from '../errors';
import type { Moment } from '../events';
import { newId } from '../ids';
import { priceInterval } from '../objects/price';
import { buildSubscription, buildSubscriptionItem } from '../objects/subscription';
import { createSubscriptionInvoice } from './invoicing';
import type { SubscriptionInvoiceInput } from './invoicing';
import { cardForSubscription } from './lookups';
import { attemptInvoicePayment, invoiceChargeOutcome } from './payments';

export type PaymentBehavior = 'allow_incomplete' | 'default_incomplete' | 'error_if_incomplete';

/** POST /v1/subscriptions, validated (routes/subscription-create.ts). */
export interface SubscriptionCreation {
  customer: Stripe.Customer;
  /** The first is the licensed item that is billed up front; any others are metered (billed in arrears). */
  items: { price: Stripe.Price; quantity: number }[];
  collectionMethod: Stripe.Subscription.CollectionMethod;
  daysUntilDue: number | null;
  defaultPaymentMethod: string | null;
  paymentBehavior: PaymentBehavior;
  metadata: Record<string, string>;
  description: string | null;
}

function newSubscription(spec: SubscriptionCreation, moment: Moment): Stripe.Subscription {
  const [licensed, ...metered] = spec.items;
  if (!licensed) throw new Error('a subscription needs an item');
  const { interval, count } = priceInterval(licensed.price);
  const subscription = buildSubscription({
    id: newId('sub'),
    itemId: newId('si'),
    customer: spec.customer.id,
    price: licensed.price,
    quantity: licensed.quantity,
    metadata: spec.metadata,
    created: moment.at,
    periodStart: moment.at,
    periodEnd: nextPeriodEnd(moment.at, moment.at, interval, count),
    trialStart: null,
    trialEnd: null,
    defaultPaymentMethod: spec.defaultPaymentMethod,
    collectionMethod: spec.collectionMethod,
    daysUntilDue: spec.daysUntilDue,
    description: spec.description,
    // charge_automatically: incomplete until the first invoice is paid (then customer.subscription.updated)
    status: spec.collectionMethod === 'send_invoice' ? 'active' : 'incomplete',
  });
  const period = { start: moment.at, end: nextPeriodEnd(moment.at, moment.at, interval, count) };
  for (const { price } of metered) {
    const item = buildSubscriptionItem(subscription.id, newId('si'), price, 0, moment.at, period);
    delete item.quantity;
    subscription.items.data.push(item);
  }
  return subscription;
}

const NO_PAYMENT_METHOD_MESSAGE =
  'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.';

/**
 * Refuses, before anything is stored, what Stripe refuses for a charge_automatically subscription whose
 * first invoice is charged now: no card at all (400, unless default_incomplete), or a decline with
 * error_if_incomplete (402 card_error, no subscription is created).
 */
function assertChargeable(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  spec: SubscriptionCreation,
  amount: number,
): void {
  if (spec.collectionMethod !== 'charge_automatically' || amount === 0) return;
  if (spec.paymentBehavior === 'default_incomplete') return;
  const card = cardForSubscription(ctx, subscription);
  if (!card) throw invalidRequest(NO_PAYMENT_METHOD_MESSAGE, undefined, 'resource_missing');
  const outcome = invoiceChargeOutcome(amount, card);
  if (outcome.isApproved || spec.paymentBehavior !== 'error_if_incomplete') return;
  throw new StripeApiError({
    status: 402,
    type: 'card_error',
    code: outcome.code,
    message: outcome.message,
    ...(outcome.declineCode ? { declineCode: outcome.declineCode } : {}),
  });
}

/**
 * Creates a subscription through the API, in Stripe's event order: customer.subscription.created,
 * invoice.created and invoice.finalized for the first invoice (billing_reason subscription_create),
 * then
 * - send_invoice: invoice.sent; the subscription is active and the invoice open until paid;
 * - charge_automatically: the invoice is charged now with the subscription's or the customer's default
 *   card (invoice.paid + invoice.payment_succeeded, and customer.subscription.updated incomplete →
 *   active), or on a decline invoice.payment_failed and the subscription stays incomplete (its invoice
 *   open, never retried automatically) until paid or 23 h pass (incomplete-expiry.ts).
 *   default_incomplete doesn't charge: the invoice waits to be paid (invoices.pay, the hosted page).
 */
export function createSubscriptionByApi(
  ctx: EmulatorContext,
  spec: SubscriptionCreation,
  moment: Moment,
): Stripe.Subscription {
  const subscription = newSubscription(spec, moment);
  const licensed = spec.items[0];
  const amount = (licensed?.price.unit_amount ?? 0) * (licensed?.quantity ?? 1);
  assertChargeable(ctx, subscription, spec, amount);
  if (spec.collectionMethod === 'charge_automatically' && amount === 0) subscription.status = 'active';

  const invoiceId = newId('in');
  subscription.latest_invoice = invoiceId;
  ctx.store.subscriptions.set(subscription.id, subscription);
  ctx.store.subscriptionExtras.set(subscription.id, { hasSentTrialWillEnd: false });
  ctx.events.emit('customer.subscription.created', subscription, moment);

  const item = subscription.items.data[0];
  const input: SubscriptionInvoiceInput = {
    invoiceId,
    billingReason: 'subscription_create',
    periodStart: moment.at,
    periodEnd: moment.at,
    cycle: {
      amount,
      period: { start: item?.current_period_start ?? moment.at, end: item?.current_period_end ?? moment.at },
    },
    invoiceItems: [],
  };
  const invoice = createSubscriptionInvoice(ctx, subscription, input, moment);
  if (spec.collectionMethod === 'send_invoice') return subscription;
  if (invoice.amount_due === 0 || spec.paymentBehavior !== 'default_incomplete') {
    // 'manual': the first invoice is not on the retry schedule (Stripe doesn't retry it automatically)
    attemptInvoicePayment(ctx, invoice, moment, 'manual');
  }
  return subscription;
}
