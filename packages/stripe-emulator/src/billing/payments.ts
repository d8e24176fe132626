import type Stripe from 'stripe';
import { chargeOutcome } from '../cards';
import type { CardOutcome } from '../cards';
import type { EmulatorContext } from '../context';
import type { PaymentMethodRecord } from '../store';
import type { Moment } from '../events';
import { cardForSubscription, subscriptionOfInvoice } from './lookups';
import { applyEndState, updateSubscription } from './subscription-updates';

/**
 * automatic: a scheduled attempt (renewal or retry) that follows the retry schedule;
 * manual: an immediate retry after a card update or invoices.pay, which leaves the schedule alone.
 */
export type AttemptKind = 'automatic' | 'manual';

const NO_PAYMENT_METHOD: CardOutcome = {
  isApproved: false,
  code: 'card_declined',
  declineCode: null,
  message: 'The customer has no attached payment source or default payment method.',
};

export function markInvoicePaid(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  invoice.status = 'paid';
  invoice.attempted = true;
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = moment.at;
  ctx.events.emit('invoice.paid', invoice, moment);
  ctx.events.emit('invoice.payment_succeeded', invoice, moment);
}

/**
 * A paid invoice brings its subscription (back) to active: the first invoice of an incomplete one, or
 * an open invoice of a past_due/unpaid one ("The subscription status becomes active regardless of
 * whether the payment is done before or after the latest invoice due date", Stripe's subscription
 * statuses, docs.stripe.com/billing/subscriptions/overview#subscription-statuses).
 */
export function activateAfterPayment(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription | null,
  moment: Moment,
): void {
  if (!subscription || !['incomplete', 'past_due', 'unpaid'].includes(subscription.status)) return;
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.status = 'active';
  });
}

/** The outcome of charging `card` (a saved card, or none) for an amount due, as a later charge. */
export function invoiceChargeOutcome(amountDue: number, card: PaymentMethodRecord | null): CardOutcome {
  if (amountDue === 0) return { isApproved: true };
  return card ? chargeOutcome(card.number, false) : NO_PAYMENT_METHOD;
}

/**
 * Charges an open subscription invoice and moves statuses like Stripe. The card is the subscription's
 * (its default_payment_method, else the customer's invoice default) unless `payment` names one:
 * `{ card, isOnSession }`, e.g. a card entered on the hosted invoice page (on-session, like checkout).
 */
export function attemptInvoicePayment(
  ctx: EmulatorContext,
  invoice: Stripe.Invoice,
  moment: Moment,
  kind: AttemptKind,
  payment?: { card: PaymentMethodRecord; isOnSession: boolean },
): CardOutcome {
  const subscription = subscriptionOfInvoice(ctx, invoice);
  const card = payment?.card ?? (subscription ? cardForSubscription(ctx, subscription) : null);
  const outcome: CardOutcome =
    payment && invoice.amount_due > 0
      ? chargeOutcome(payment.card.number, payment.isOnSession)
      : invoiceChargeOutcome(invoice.amount_due, card);
  invoice.attempt_count += 1;
  invoice.attempted = true;
  if (outcome.isApproved) {
    markInvoicePaid(ctx, invoice, moment);
    activateAfterPayment(ctx, subscription, moment);
    return outcome;
  }
  const extras = ctx.store.invoiceExtras.get(invoice.id) ?? { automaticAttempts: 0 };
  if (kind === 'automatic') {
    extras.automaticAttempts += 1;
    ctx.store.invoiceExtras.set(invoice.id, extras);
    const delay = ctx.config.retrySchedule[extras.automaticAttempts - 1];
    invoice.next_payment_attempt = delay === undefined ? null : moment.at + delay;
  }
  ctx.events.emit('invoice.payment_failed', invoice, moment);
  // A send_invoice subscription goes past_due at the due date (invoice-due-dates.ts), not on a failed
  // attempt; an incomplete one stays incomplete until it expires.
  if (!subscription || invoice.collection_method === 'send_invoice') return outcome;
  if (subscription.status === 'active' || subscription.status === 'trialing') {
    updateSubscription(ctx, subscription, moment, (sub) => {
      sub.status = 'past_due';
    });
  }
  const isOutOfRetries = kind === 'automatic' && invoice.next_payment_attempt === null;
  if (isOutOfRetries && subscription.status === 'past_due') applyEndState(ctx, subscription, moment);
  return outcome;
}
