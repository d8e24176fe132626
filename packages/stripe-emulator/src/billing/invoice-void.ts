import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { idOf } from '../objects/id-of';
import { invoiceSubscriptionId } from '../objects/invoice';
import { wireCopy } from '../store';
import { subscriptionOfInvoice } from './lookups';
import { updateSubscription } from './subscription-updates';

const VOIDABLE: readonly Stripe.Invoice.Status[] = ['open', 'uncollectible'];

/**
 * POST /v1/invoices/:id/void: a finalized, unpaid invoice becomes `void` for good (Stripe: "Mark a
 * finalized invoice as void. This cannot be undone."): no more payment attempts, the customer balance
 * it applied is given back (Stripe's behaviour since 2019-12-03), `invoice.voided`. Then its
 * subscription's status is derived again: Stripe's subscription overview says voided invoices don't
 * affect a subscription's status, which follows the most recent invoice that is not void, so a
 * subscription that was past_due (or unpaid) because of this invoice becomes active again when that
 * invoice is paid (customer.subscription.updated). This is how an integration rolls back a subscription
 * update whose always_invoice payment failed (docs.stripe.com/billing/subscriptions/pending-updates:
 * "rolling back the updates is a manual process").
 */
export function voidInvoice(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  if (!VOIDABLE.includes(invoice.status ?? 'draft')) {
    throw invalidRequest(
      `You can only void an open or uncollectible invoice; invoice ${invoice.id} is ${invoice.status ?? 'draft'}.`,
      undefined,
      'invoice_not_open',
    );
  }
  invoice.status = 'void';
  invoice.status_transitions.voided_at = moment.at;
  invoice.next_payment_attempt = null;
  returnAppliedBalance(ctx, invoice, moment);
  ctx.events.emit('invoice.voided', invoice, moment);
  const subscription = subscriptionOfInvoice(ctx, invoice);
  if (!subscription || !['past_due', 'unpaid'].includes(subscription.status)) return;
  if (!isSettledByLatestInvoice(ctx, subscription.id)) return;
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.status = 'active';
  });
}

/** The balance the invoice took from (or gave to) the customer goes back, like Stripe does on a void. */
function returnAppliedBalance(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  const applied = invoice.starting_balance - (invoice.ending_balance ?? invoice.starting_balance);
  const customer = ctx.store.customers.get(idOf(invoice.customer) ?? '');
  if (applied === 0 || !customer) return;
  const before = wireCopy(customer);
  customer.balance += applied;
  const previous = previousAttributes(before, customer);
  if (previous) ctx.events.emit('customer.updated', customer, moment, previous);
}

/** Is the subscription's most recent finalized invoice that is not void paid (or is there none)? */
function isSettledByLatestInvoice(ctx: EmulatorContext, subscriptionId: string): boolean {
  const finalized = [...ctx.store.invoices.values()].filter(
    (candidate) =>
      invoiceSubscriptionId(candidate) === subscriptionId &&
      candidate.status !== 'void' &&
      candidate.status !== 'draft',
  );
  // The store keeps insertion order, so among invoices created in the same second the last is newest.
  const latest = finalized.reduce<Stripe.Invoice | null>(
    (newest, candidate) => (newest === null || candidate.created >= newest.created ? candidate : newest),
    null,
  );
  return latest === null || latest.status === 'paid' || latest.status === 'uncollectible';
}
