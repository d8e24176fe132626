import type Stripe from 'stripe';

export { formatMoney } from './money';

export type InvoiceBillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update';

/**
 * An invoice is built as a draft. Most are finalized at once by the caller; a renewal that bills metered
 * usage stays a draft until `finalizesAt` (Stripe's finalization grace period, see
 * billing/usage-finalization.ts), and a draft carries what Stripe's drafts carry: no number, no hosted
 * page or PDF yet, `ending_balance` null (the customer's balance is applied when it is finalized).
 */
export interface InvoiceInput {
  id: string;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription;
  billingReason: InvoiceBillingReason;
  created: number;
  /** The invoice's own period: for a renewal, the period that just ended (Stripe's convention). */
  periodStart: number;
  periodEnd: number;
  /** In Stripe's order: pending proration lines first, then the period the subscription bills. */
  lines: Stripe.InvoiceLineItem[];
  publicUrl: string;
  /**
   * `{ number }`: the caller finalizes it at once, so it is numbered, has its hosted page and applies the
   * customer's balance. `{ finalizesAt }`: a draft finalized at that time (`automatically_finalizes_at`).
   */
  finalization: { number: string } | { finalizesAt: number };
}

export interface InvoiceTotals {
  total: number;
  startingBalance: number;
  amountDue: number;
  endingBalance: number;
}

/**
 * The total is the sum of the lines. The customer's balance (negative = credit) is applied first,
 * like Stripe: a total below zero leaves nothing due and becomes credit for the next invoice.
 */
export function invoiceTotals(lines: Stripe.InvoiceLineItem[], customerBalance: number): InvoiceTotals {
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  return {
    total,
    startingBalance: customerBalance,
    amountDue: Math.max(0, total + customerBalance),
    endingBalance: Math.min(0, total + customerBalance),
  };
}

/** Writes totals (lines changed, or the balance is applied at finalization) onto an invoice. */
export function applyInvoiceTotals(invoice: Stripe.Invoice, totals: InvoiceTotals): void {
  invoice.total = totals.total;
  invoice.subtotal = totals.total;
  invoice.subtotal_excluding_tax = totals.total;
  invoice.total_excluding_tax = totals.total;
  invoice.starting_balance = totals.startingBalance;
  invoice.amount_due = totals.amountDue;
  invoice.amount_remaining = totals.amountDue;
  invoice.ending_balance = totals.endingBalance;
}

/** What a finalized invoice has and a draft has not: its number and its hosted page and PDF. */
export function finalizedIdentity(publicUrl: string, id: string, number: string) {
  return {
    number,
    hosted_invoice_url: `${publicUrl}/invoices/${id}`,
    invoice_pdf: `${publicUrl}/invoices/${id}/pdf`,
  };
}

export function buildInvoice(input: InvoiceInput): Stripe.Invoice {
  const { customer, subscription, finalization } = input;
  const { total, startingBalance, amountDue, endingBalance } = invoiceTotals(input.lines, customer.balance);
  const isDraft = 'finalizesAt' in finalization;
  const identity = isDraft
    ? { number: null, hosted_invoice_url: null, invoice_pdf: null }
    : finalizedIdentity(input.publicUrl, input.id, finalization.number);
  return {
    id: input.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Tollgate (Stripe emulator)',
    account_tax_ids: null,
    amount_due: amountDue,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: amountDue,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: isDraft ? finalization.finalizesAt : null,
    billing_reason: input.billingReason,
    collection_method: subscription.collection_method,
    created: input.created,
    currency: subscription.currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: isDraft ? null : input.created,
    // Stripe: null until finalized, when the customer's balance is applied
    ending_balance: isDraft ? null : endingBalance,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: identity.hosted_invoice_url,
    invoice_pdf: identity.invoice_pdf,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: input.lines, has_more: false, url: `/v1/invoices/${input.id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: identity.number,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: subscription.metadata, subscription: subscription.id },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd,
    period_start: input.periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: startingBalance,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: input.created,
  };
}

/** The subscription an invoice belongs to, read from the current shape (invoice.parent). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const subscription = invoice.parent?.subscription_details?.subscription ?? null;
  if (subscription === null) return null;
  return typeof subscription === 'string' ? subscription : subscription.id;
}
