import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildInvoice } from '../objects/invoice';
import type { InvoiceBillingReason } from '../objects/invoice';
import { prorationLine, subscriptionLine } from '../objects/invoice-line';
import { firstItem } from '../objects/subscription';
import { getCustomer, subscriptionOfInvoice } from './lookups';
import { creditedLinesOf } from './prorations';

export interface SubscriptionInvoiceInput {
  billingReason: InvoiceBillingReason;
  periodStart: number;
  periodEnd: number;
  /** The service period the subscription item is billed for; null on an invoice of prorations only. */
  cycle: { amount: number; period: { start: number; end: number } } | null;
  /** Pending invoice items to collect (their `invoice` is set to the new invoice). */
  invoiceItems: Stripe.InvoiceItem[];
  /** Metered items billed in arrears for the period that just ended (renewals only). */
  usage?: UsageCharge[];
  /** The id to give the invoice (default: a new one), when the caller needs it beforehand. */
  invoiceId?: string;
}

export interface UsageCharge {
  item: Stripe.SubscriptionItem;
  quantity: number;
  amount: number;
  period: { start: number; end: number };
}

/**
 * "<customer prefix>-0001", numbered per customer like Stripe's default numbering. Stripe numbers an
 * invoice when it is finalized, so a draft takes its number only then.
 */
export function nextInvoiceNumber(customer: Stripe.Customer): string {
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
    const priced = invoiceItem.pricing?.price_details?.price;
    const priceId = typeof priced === 'string' ? priced : priced?.id;
    const price = (priceId ? ctx.store.prices.get(priceId) : undefined) ?? item.price;
    lines.push(prorationLine(invoiceId, invoiceItem, price, credited));
  }
  if (input.cycle)
    lines.push(subscriptionLine(invoiceId, subscription, item, input.cycle.amount, input.cycle.period));
  for (const usage of input.usage ?? []) {
    const billed = { ...usage.item, quantity: usage.quantity };
    lines.push(subscriptionLine(invoiceId, subscription, billed, usage.amount, usage.period));
  }
  return lines;
}

function storeSubscriptionInvoice(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  input: SubscriptionInvoiceInput,
  moment: Moment,
  finalizesAt: number | null,
): Stripe.Invoice {
  const customerId =
    typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id;
  const customer = getCustomer(ctx, customerId);
  const id = input.invoiceId ?? newId('in');
  const invoice = buildInvoice({
    id,
    customer,
    subscription,
    billingReason: input.billingReason,
    created: moment.at,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    lines: linesOf(ctx, id, subscription, input),
    publicUrl: ctx.config.publicUrl,
    finalization: finalizesAt === null ? { number: nextInvoiceNumber(customer) } : { finalizesAt },
  });
  // A draft leaves the balance alone: it is applied when the draft is finalized, like Stripe.
  if (finalizesAt === null) customer.balance = invoice.ending_balance ?? 0;
  ctx.store.invoices.set(invoice.id, invoice);
  ctx.store.invoiceExtras.set(invoice.id, { automaticAttempts: 0 });
  ctx.events.emit('invoice.created', invoice, moment);
  subscription.latest_invoice = invoice.id;
  return invoice;
}

const DAY_SECONDS = 86_400;

/**
 * draft → open, and invoice.finalized. A send_invoice invoice is due `days_until_due` days after its
 * finalization and is never charged automatically; Stripe emails it to the customer once finalized
 * (invoice.sent: "Occurs whenever an invoice email is sent out"; in test mode Stripe sends the event
 * without the email, docs.stripe.com/api/invoices/send).
 */
export function markInvoiceFinalized(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  invoice.status = 'open';
  invoice.status_transitions.finalized_at = moment.at;
  const subscription = subscriptionOfInvoice(ctx, invoice);
  const isSent = invoice.collection_method === 'send_invoice';
  if (isSent) invoice.due_date = moment.at + (subscription?.days_until_due ?? 0) * DAY_SECONDS;
  ctx.events.emit('invoice.finalized', invoice, moment);
  if (isSent) ctx.events.emit('invoice.sent', invoice, moment);
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
  const invoice = storeSubscriptionInvoice(ctx, subscription, input, moment, null);
  markInvoiceFinalized(ctx, invoice, moment);
  return invoice;
}

/**
 * Creates a subscription invoice that stays a draft until `finalizesAt` and emits invoice.created; the
 * clock finalizes it (billing/usage-finalization.ts). The subscription's latest_invoice is pointed at it.
 */
export function createDraftSubscriptionInvoice(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  input: SubscriptionInvoiceInput,
  moment: Moment,
  finalizesAt: number,
): Stripe.Invoice {
  return storeSubscriptionInvoice(ctx, subscription, input, moment, finalizesAt);
}
