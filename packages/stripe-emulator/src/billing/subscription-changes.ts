import type Stripe from 'stripe';
import { attachOutcome, normalizeCardNumber } from '../cards';
import type { CardOutcome } from '../cards';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { planFromPrice } from '../objects/price';
import { savePaymentMethod } from '../objects/payment-method';
import { firstItem, isLive } from '../objects/subscription';
import { wireCopy } from '../store';
import { customerIdOf, getCustomer, openInvoicesOf } from './lookups';
import { attemptInvoicePayment } from './payments';
import { updateSubscription } from './subscription-updates';

export function assertLive(subscription: Stripe.Subscription): void {
  if (isLive(subscription)) return;
  throw invalidRequest(
    `A canceled subscription can only update its cancellation_details and metadata (${subscription.id}).`,
    undefined,
    'subscription_canceled',
  );
}

/**
 * Switches the subscription's single item to another price, effective immediately. Proration is not
 * modelled for price changes: the next renewal invoice bills the new price. A quantity change alone
 * is prorated (quantity-changes.ts).
 */
export function changeSubscriptionPrice(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  price: Stripe.Price,
  moment: Moment,
  quantity?: number,
): void {
  assertLive(subscription);
  updateSubscription(ctx, subscription, moment, (sub) => {
    const item = firstItem(sub);
    item.price = price;
    item.plan = planFromPrice(price);
    if (quantity !== undefined) item.quantity = quantity;
    sub.currency = price.currency;
  });
}

/**
 * Saves a new card as the customer's default and on their live subscriptions. Like Stripe, a
 * subscription that is past_due or unpaid retries its open invoices right away with the new card;
 * the first failure is returned so the portal can show it.
 */
export function updateCustomerCard(
  ctx: EmulatorContext,
  customerId: string,
  rawNumber: string,
  moment: Moment,
): CardOutcome {
  const customer = getCustomer(ctx, customerId);
  const number = normalizeCardNumber(rawNumber);
  const attached = attachOutcome(number);
  if (!attached.isApproved) return attached;
  const paymentMethodId = savePaymentMethod(ctx.store, customer.id, number, moment.at);
  const before = wireCopy(customer);
  customer.invoice_settings.default_payment_method = paymentMethodId;
  const previous = previousAttributes(before, customer);
  if (previous) ctx.events.emit('customer.updated', customer, moment, previous);

  const subscriptions = [...ctx.store.subscriptions.values()].filter(
    (sub) => customerIdOf(sub) === customer.id && isLive(sub),
  );
  let firstFailure: CardOutcome | null = null;
  for (const subscription of subscriptions) {
    updateSubscription(ctx, subscription, moment, (sub) => {
      sub.default_payment_method = paymentMethodId;
    });
    if (subscription.status !== 'past_due' && subscription.status !== 'unpaid') continue;
    for (const invoice of openInvoicesOf(ctx, subscription.id)) {
      const outcome = attemptInvoicePayment(ctx, invoice, moment, 'manual');
      if (!outcome.isApproved && firstFailure === null) firstFailure = outcome;
    }
  }
  return firstFailure ?? attached;
}
