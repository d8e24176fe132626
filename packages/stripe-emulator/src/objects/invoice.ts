import type Stripe from 'stripe';

export { formatMoney } from './money';

export type InvoiceBillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update';

/** Invoices are created as drafts and finalized right away (Stripe waits ~1 hour; nobody needs that here). */
export interface InvoiceInput {
  id: string;
  number: string;
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
}

/**
 * The total is the sum of the lines. The customer's balance (negative = credit) is applied first,
 * like Stripe: a total below zero leaves nothing due and becomes credit for the next invoice.
 */
export function buildInvoice(input: InvoiceInput): Stripe.Invoice {
  const { customer, subscription } = input;
  const total = input.lines.reduce((sum, line) => sum + line.amount, 0);
  const startingBalance = customer.balance;
  const amountDue = Math.max(0, total + startingBalance);
  const endingBalance = Math.min(0, total + startingBalance);
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
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
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
    effective_at: input.created,
    ending_balance: endingBalance,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `${input.publicUrl}/invoices/${input.id}`,
    invoice_pdf: `${input.publicUrl}/invoices/${input.id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: input.lines, has_more: false, url: `/v1/invoices/${input.id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: input.number,
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
