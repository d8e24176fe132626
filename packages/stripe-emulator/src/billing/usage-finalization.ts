import type Stripe from 'stripe';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { idOf } from '../objects/id-of';
import { applyInvoiceTotals, finalizedIdentity, invoiceTotals } from '../objects/invoice';
import { withQuantity } from '../objects/invoice-line';
import { markInvoiceFinalized, nextInvoiceNumber } from './invoicing';
import { getCustomer } from './lookups';
import { attemptInvoicePayment } from './payments';
import { meteredUsage } from './usage-billing';

/**
 * Stripe's default invoice finalization grace period: a renewal is created as a draft at the period
 * end and finalized an hour later, and usage reported meanwhile for the ended period (timestamped
 * inside it) is billed on it. docs.stripe.com/billing/subscriptions/usage-based/configure-grace-period
 * (Stripe counts the hour from a successful invoice.created delivery; the emulator from creation.)
 */
export const FINALIZATION_GRACE_SECONDS = 3_600;

/** The draft's metered lines with the meter's latest quantity for their periods. */
function refreshUsageLines(ctx: EmulatorContext, invoice: Stripe.Invoice): void {
  const customer = idOf(invoice.customer) ?? '';
  invoice.lines.data = invoice.lines.data.map((line) => {
    const priceId = idOf(line.pricing?.price_details?.price ?? null);
    const price = priceId ? ctx.store.prices.get(priceId) : undefined;
    if (price?.recurring?.usage_type !== 'metered') return line;
    const usage = meteredUsage(ctx, price, customer, line.period);
    return usage ? withQuantity(line, price, usage.quantity, usage.amount) : line;
  });
}

/**
 * Finalizes a renewal draft whose grace period is over, as Stripe does: the usage lines take the
 * latest quantity, the customer's balance is applied, the invoice is numbered and opened
 * (invoice.finalized), then charged like any renewal (invoice.paid or invoice.payment_failed and the
 * retry schedule). From here on the invoice never changes with the meter again.
 */
export function finalizeUsageDraft(ctx: EmulatorContext, invoice: Stripe.Invoice, moment: Moment): void {
  refreshUsageLines(ctx, invoice);
  const customer = getCustomer(ctx, idOf(invoice.customer) ?? '');
  applyInvoiceTotals(invoice, invoiceTotals(invoice.lines.data, customer.balance));
  customer.balance = invoice.ending_balance ?? 0;
  Object.assign(invoice, finalizedIdentity(ctx.config.publicUrl, invoice.id, nextInvoiceNumber(customer)));
  invoice.effective_at = moment.at;
  invoice.automatically_finalizes_at = null;
  markInvoiceFinalized(ctx, invoice, moment);
  if (invoice.collection_method === 'charge_automatically')
    attemptInvoicePayment(ctx, invoice, moment, 'automatic');
}
