import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { newId } from '../ids';
import { buildProrationItem, invoiceItemSubscriptionId, isPending } from '../objects/invoice-item';
import { firstItem } from '../objects/subscription';
import { customerIdOf } from './lookups';

type CreditedItems = Stripe.InvoiceItem.ProrationDetails.CreditedItems;
type CreditedLines = Stripe.InvoiceLineItem.Parent.SubscriptionItemDetails.ProrationDetails.CreditedItems;

/**
 * Stripe prorates to the second over the current period: the share of the period still to come,
 * times the full price of that many seats, rounded to the cent (minor unit).
 */
export function prorationAmount(
  unitAmount: number,
  quantity: number,
  remainingSeconds: number,
  periodSeconds: number,
): number {
  if (periodSeconds <= 0) return 0;
  return Math.round((unitAmount * quantity * remainingSeconds) / periodSeconds);
}

export function pendingItemsOf(ctx: EmulatorContext, subscriptionId: string): Stripe.InvoiceItem[] {
  return [...ctx.store.invoiceItems.values()].filter(
    (item) => isPending(item) && invoiceItemSubscriptionId(item) === subscriptionId,
  );
}

function covers(period: { start: number; end: number }, at: number): boolean {
  return period.start <= at && at < period.end;
}

/**
 * The debit a credit for unused time reverses: the newest proration charge for the item that covers
 * the moment (an earlier change in this period), else the invoice line that billed the period.
 */
function creditedItemsFor(ctx: EmulatorContext, itemId: string, at: number): CreditedItems | null {
  const charges = [...ctx.store.invoiceItems.values()].filter(
    (ii) =>
      ii.amount > 0 && ii.parent?.subscription_details?.subscription_item === itemId && covers(ii.period, at),
  );
  const charge = charges.at(-1);
  if (charge) return { type: 'invoice_item', invoice_item: charge.id };
  const invoices = [...ctx.store.invoices.values()].reverse();
  for (const invoice of invoices) {
    const line = invoice.lines.data.find((candidate) => {
      const details = candidate.parent?.subscription_item_details;
      return details?.subscription_item === itemId && !details.proration && covers(candidate.period, at);
    });
    if (line) {
      return {
        type: 'invoice_line_items',
        invoice_line_item_details: { invoice: invoice.id, invoice_line_items: [line.id] },
      };
    }
  }
  return null;
}

/**
 * A credit line's `proration_details.credited_items`: the invoice and line of the debit it reverses.
 * A reversed invoice item is found on the invoice that collected it (maybe the one being built, whose
 * lines so far are `pendingLines`); null while that item is still pending elsewhere.
 */
export function creditedLinesOf(
  ctx: EmulatorContext,
  invoiceItem: Stripe.InvoiceItem,
  invoiceId: string,
  pendingLines: Stripe.InvoiceLineItem[],
): CreditedLines | null {
  const credited = invoiceItem.proration_details?.credited_items ?? null;
  if (credited === null) return null;
  if (credited.invoice_line_item_details) return credited.invoice_line_item_details;
  const reversed = credited.invoice_item ? ctx.store.invoiceItems.get(credited.invoice_item) : undefined;
  const reversedInvoice = typeof reversed?.invoice === 'string' ? reversed.invoice : null;
  if (!reversed || reversedInvoice === null) return null;
  const lines =
    reversedInvoice === invoiceId
      ? pendingLines
      : (ctx.store.invoices.get(reversedInvoice)?.lines.data ?? []);
  const line = lines.find(
    (candidate) => candidate.parent?.subscription_item_details?.invoice_item === reversed.id,
  );
  return line ? { invoice: reversedInvoice, invoice_line_items: [line.id] } : null;
}

function describe(kind: 'Unused' | 'Remaining', quantity: number, price: Stripe.Price, at: number): string {
  const date = new Date(at * 1000).toLocaleDateString('en-GB', {
    day: '2-digit',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
  return `${kind} time on ${quantity} × ${price.nickname ?? price.id} after ${date}`;
}

/** What the subscription item was billed at before a change, or is billed at after it. */
export interface ItemTerms {
  price: Stripe.Price;
  quantity: number;
}

/**
 * The two pending items of a quantity or price change at `at` (the proration date): a credit for the
 * unused time at the old terms and a charge for the remaining time at the new ones. Emits
 * invoiceitem.created for each.
 */
export function createProrationItems(
  ctx: EmulatorContext,
  subscription: Stripe.Subscription,
  from: ItemTerms,
  to: ItemTerms,
  at: number,
  moment: Moment,
): Stripe.InvoiceItem[] {
  const item = firstItem(subscription);
  const periodSeconds = item.current_period_end - item.current_period_start;
  const remaining = item.current_period_end - at;
  const period = { start: at, end: item.current_period_end };
  const common = { customer: customerIdOf(subscription), subscription, item, period, created: moment.at };
  const credit = buildProrationItem({
    ...common,
    id: newId('ii'),
    price: from.price,
    amount: -prorationAmount(from.price.unit_amount ?? 0, from.quantity, remaining, periodSeconds),
    quantity: from.quantity,
    description: describe('Unused', from.quantity, from.price, at),
    creditedItems: creditedItemsFor(ctx, item.id, at),
  });
  const charge = buildProrationItem({
    ...common,
    id: newId('ii'),
    price: to.price,
    amount: prorationAmount(to.price.unit_amount ?? 0, to.quantity, remaining, periodSeconds),
    quantity: to.quantity,
    description: describe('Remaining', to.quantity, to.price, at),
    creditedItems: null,
  });
  for (const created of [credit, charge]) {
    ctx.store.invoiceItems.set(created.id, created);
    ctx.events.emit('invoiceitem.created', created, moment);
  }
  return [credit, charge];
}
