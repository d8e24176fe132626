import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildInvoice } from '../objects/invoice';
import type { InvoiceBillingReason } from '../objects/invoice';
import { prorationLine, subscriptionLine } from '../objects/invoice-line';
import { firstItem } from '../objects/subscription';
import { getCustomer } from './lookups';
import { creditedLinesOf } from './prorations';

export interface SubscriptionInvoiceInput {
  billingReason: InvoiceBillingReason;
  periodStart: number;
  periodEnd: number;
  /** The service period the subscription item is billed for; null on an invoice of prorations only. */
  cycle: { amount: number; period: { start: number; end: number } } | null;
  /** Pending invoice items to collect (their `invoice` is set to the new invoice). */
  invoiceItems: Stripe.InvoiceItem[];
}

/** "<customer prefix>-0001", numbered per customer like Stripe's default numbering. */
function nextInvoiceNumber(customer: Stripe.Customer): string {
  const sequence = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = sequence + 1;
  return `${customer.invoice_prefix ?? 'INVOICE'}-${String(sequence).padStart(4, '0')}`;
}

function linesOf(
  ctx: EmulatorContext,
  invoiceId: string,
  subscription: Stripe.Subscription,
  input: SubscriptionInvoiceInput,
): Stripe.InvoiceLineItem[] {
  const item = firstItem(subscription);
  const lines: Stripe.InvoiceLineItem[] = [];
  for (const invoiceItem of input.invoiceItems) {
    invoiceItem.invoice = invoiceId;
    const credited = creditedLinesOf(ctx, invoiceItem, invoiceId, lines);
    lines.push(prorationLine(invoiceId, invoiceItem, item.price, credited));
  }
  if (input.cycle)
    lines.push(subscriptionLine(invoiceId, subscription, item, input.cycle.amount, input.cycle.period));
  return lines;
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
  const id = newId('in');
  const invoice = buildInvoice({
    id,
    number: nextInvoiceNumber(customer),
    customer,
    subscription,
    billingReason: input.billingReason,
    created: moment.at,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    lines: linesOf(ctx, id, subscription, input),
    publicUrl: ctx.config.publicUrl,
  });
  customer.balance = invoice.ending_balance ?? 0;
  ctx.store.invoices.set(invoice.id, invoice);
  ctx.store.invoiceExtras.set(invoice.id, { automaticAttempts: 0 });
  ctx.events.emit('invoice.created', invoice, moment);
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = moment.at;
  ctx.events.emit('invoice.finalized', invoice, moment);
  subscription.latest_invoice = invoice.id;
  return invoice;
}
