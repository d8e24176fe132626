import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildInvoice } from '../objects/invoice';
import { firstItem } from '../objects/subscription';
import { getCustomer } from './lookups';

export interface SubscriptionInvoiceInput {
  billingReason: 'subscription_create' | 'subscription_cycle';
  amount: number;
  periodStart: number;
  periodEnd: number;
  linePeriod: { start: number; end: number };
}

/** "<customer prefix>-0001", numbered per customer like Stripe's default numbering. */
function nextInvoiceNumber(customer: Stripe.Customer): string {
  const sequence = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = sequence + 1;
  return `${customer.invoice_prefix ?? 'INVOICE'}-${String(sequence).padStart(4, '0')}`;
}

/**
 * Creates a subscription invoice, emits invoice.created (draft), finalizes it and emits
 * invoice.finalized. The subscription's latest_invoice is pointed at it (the caller reports that change).
 */
export function createSubscriptionInvoice(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  input: SubscriptionInvoiceInput,
  moment: Moment,
): Stripe.Invoice {
  const customerId =
    typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
  const customer = getCustomer(ctx, customerId);
  const invoice = buildInvoice({
    id: newId('in'),
    number: nextInvoiceNumber(customer),
    customer,
    subscription,
    item: firstItem(subscription),
    billingReason: input.billingReason,
    created: moment.at,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    linePeriod: input.linePeriod,
    amount: input.amount,
    publicUrl: ctx.config.publicUrl,
  });
  ctx.store.invoices.set(invoice.id, invoice);
  ctx.store.invoiceExtras.set(invoice.id, { automaticAttempts: 0 });
  ctx.events.emit('invoice.created', invoice, moment);
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = moment.at;
  ctx.events.emit('invoice.finalized', invoice, moment);
  subscription.latest_invoice = invoice.id;
  return invoice;
}
