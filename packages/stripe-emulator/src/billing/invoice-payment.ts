import type Stripe from 'stripe';
import { TEST_CARDS, isLuhnValid, normalizeCardNumber } from '../cards';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import type { Moment } from '../events';
import { savePaymentMethod } from '../objects/payment-method';
import { wireCopy } from '../store';
import { getInvoice } from './lookups';
import { attemptInvoicePayment } from './payments';
import { processDue } from './renewals';

/** How a test pays an invoice without a browser (the hosted invoice page's Pay button). */
export interface InvoicePaymentOptions {
  /** A test card number (spaces allowed). Default 4242 4242 4242 4242. */
  card?: string;
}

export interface InvoicePaymentResult {
  isPaid: boolean;
  /** What the hosted invoice page shows in role="alert" (a decline, an invoice that can't be paid). */
  error: string | null;
  invoice: Stripe.Invoice;
}

/**
 * The hosted invoice page's Pay button: the customer enters a card (on-session, like checkout; the card
 * is not attached to the customer). Approved: invoice.paid + invoice.payment_succeeded, and an
 * incomplete or past_due subscription becomes active. Declined: invoice.payment_failed, the invoice
 * stays open. Any open invoice can be paid this way, send_invoice or not.
 */
export function payInvoiceWithCard(
  ctx: EmulatorContext,
  invoice: Stripe.Invoice,
  rawCardNumber: string,
  moment: Moment,
): InvoicePaymentResult {
  if (invoice.status === 'paid') return { isPaid: true, error: null, invoice };
  if (invoice.status !== 'open') {
    return {
      isPaid: false,
      error: `This invoice can't be paid: it is ${invoice.status ?? 'draft'}.`,
      invoice,
    };
  }
  const number = normalizeCardNumber(rawCardNumber);
  if (!isLuhnValid(number)) return { isPaid: false, error: 'Your card number is incorrect.', invoice };
  const cardId = savePaymentMethod(ctx.store, null, number, moment.at);
  const card = ctx.store.paymentMethods.get(cardId);
  if (!card) throw new Error(`payment method ${cardId} was not saved`);
  const outcome = attemptInvoicePayment(ctx, invoice, moment, 'manual', { card, isOnSession: true });
  return outcome.isApproved
    ? { isPaid: true, error: null, invoice }
    : { isPaid: false, error: outcome.message, invoice };
}

/** payInvoiceWithCard at the emulator's now, after whatever fell due (control API and in-process). */
export function payInvoiceByControl(
  ctx: EmulatorContext,
  invoiceId: string,
  options: InvoicePaymentOptions = {},
): InvoicePaymentResult {
  const now = ctx.clock.nowSeconds();
  processDue(ctx, now);
  const invoice = getInvoice(ctx, invoiceId);
  const result = payInvoiceWithCard(ctx, invoice, options.card ?? TEST_CARDS.success, momentAt(now));
  return { ...result, invoice: wireCopy(result.invoice) };
}
