import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { subscriptionOfInvoice } from './lookups';
import { updateSubscription } from './subscription-updates';

/**
 * When an open send_invoice invoice falls overdue (its due_date), or null: paid, voided, charged
 * automatically, or already handled. Stripe's subscription status reference: "If subscription
 * collection_method=send_invoice it becomes past_due when its invoice is not paid by the due date, and
 * canceled or unpaid if it is still not paid by an additional deadline after that"
 * (docs.stripe.com/api/subscriptions/object#subscription_object-status). The additional deadline is a
 * dashboard setting (default: leave it past_due) and is not modelled.
 */
export function overdueAt(ctx: EmulatorContext, invoice: Stripe.Invoice): number | null {
  if (invoice.status !== 'open' || invoice.collection_method !== 'send_invoice') return null;
  if (invoice.due_date === null) return null;
  if (ctx.store.invoiceExtras.get(invoice.id)?.hasPassedDueDate) return null;
  return invoice.due_date;
}

/** The due date passed unpaid: an active subscription goes past_due (customer.subscription.updated). */
export function markOverdue(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  const extras = ctx.store.invoiceExtras.get(invoice.id) ?? { automaticAttempts: 0 };
  ctx.store.invoiceExtras.set(invoice.id, { ...extras, hasPassedDueDate: true });
  const subscription = subscriptionOfInvoice(ctx, invoice);
  if (subscription?.status !== 'active') return;
  updateSubscription(ctx, subscription, moment, (sub) => {
    sub.status = 'past_due';
  });
}
