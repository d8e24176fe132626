import type Stripe from 'stripe';
import { chargeOutcome } from '../cards';
import type { CardOutcome } from '../cards';
import type { EmulatorContext } from '../context';
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

/** Charges an open subscription invoice with the subscription's card and moves statuses like Stripe. */
export function attemptInvoicePayment(
  ctx: EmulatorContext,
  invoice: Stripe.Invoice,
  moment: Moment,
  kind: AttemptKind,
): CardOutcome {
  const subscription = subscriptionOfInvoice(ctx, invoice);
  const card = subscription ? cardForSubscription(ctx, subscription) : null;
  const outcome: CardOutcome =
    invoice.amount_due === 0
      ? { isApproved: true }
      : card
        ? chargeOutcome(card.number, false)
        : NO_PAYMENT_METHOD;
  invoice.attempt_count += 1;
  invoice.attempted = true;
  if (outcome.isApproved) {
    markInvoicePaid(ctx, invoice, moment);
    if (subscription && (subscription.status === 'past_due' || subscription.status === 'unpaid')) {
      updateSubscription(ctx, subscription, moment, (sub) => {
        sub.status = 'active';
      });
    }
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
  if (!subscription) return outcome;
  if (subscription.status === 'active' || subscription.status === 'trialing') {
    updateSubscription(ctx, subscription, moment, (sub) => {
      sub.status = 'past_due';
    });
  }
  const isOutOfRetries = kind === 'automatic' && invoice.next_payment_attempt === null;
  if (isOutOfRetries && subscription.status === 'past_due') applyEndState(ctx, subscription, moment);
  return outcome;
}
