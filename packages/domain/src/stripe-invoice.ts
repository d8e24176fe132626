import { z } from 'zod';
import { expandableIdSchema, parseStripeObject, unixTimeSchema } from './stripe-shared';

export interface StripeInvoiceSnapshot {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  status: string | null;
  billingReason: string | null;
  amountDue: number;
  amountPaid: number;
  currency: string;
  number: string | null;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
  created: Date;
  /** The service period billed: see parseStripeInvoice. */
  periodStart: Date | null;
  periodEnd: Date | null;
}

const lineSchema = z.object({
  period: z.object({ start: unixTimeSchema, end: unixTimeSchema }).nullish(),
});

const invoiceSchema = z.object({
  id: z.string().min(1),
  object: z.literal('invoice').optional(),
  customer: expandableIdSchema,
  // API 2025-03-31 (basil) and later.
  parent: z
    .object({
      subscription_details: z.object({ subscription: expandableIdSchema.nullish() }).nullish(),
    })
    .nullish(),
  // Older API versions.
  subscription: expandableIdSchema.nullish(),
  status: z.string().nullish(),
  billing_reason: z.string().nullish(),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  currency: z.string().min(1),
  number: z.string().nullish(),
  hosted_invoice_url: z.string().nullish(),
  invoice_pdf: z.string().nullish(),
  created: unixTimeSchema,
  lines: z.object({ data: z.array(lineSchema) }).nullish(),
  period_start: unixTimeSchema.nullish(),
  period_end: unixTimeSchema.nullish(),
});

/**
 * Parses a Stripe invoice object of any API version. The subscription id comes from
 * `parent.subscription_details.subscription` (basil and later) or `subscription` (older).
 *
 * periodStart/periodEnd are the service period the invoice bills: the span of its line items' periods.
 * The invoice's own `period_start/period_end` describe when pending items were collected (for a
 * renewal that is the *previous* period, for a first invoice an empty instant), so they are only the
 * fallback for an invoice without line periods.
 */
export function parseStripeInvoice(json: unknown): StripeInvoiceSnapshot {
  const invoice = parseStripeObject(invoiceSchema, json, 'invoice');
  const linePeriods = (invoice.lines?.data ?? []).flatMap((line) => (line.period ? [line.period] : []));
  const hasLinePeriods = linePeriods.length > 0;
  return {
    id: invoice.id,
    customerId: invoice.customer,
    subscriptionId: invoice.parent?.subscription_details?.subscription ?? invoice.subscription ?? null,
    status: invoice.status ?? null,
    billingReason: invoice.billing_reason ?? null,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    currency: invoice.currency,
    number: invoice.number ?? null,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    created: invoice.created,
    periodStart: hasLinePeriods ? earliest(linePeriods.map((p) => p.start)) : (invoice.period_start ?? null),
    periodEnd: hasLinePeriods ? latest(linePeriods.map((p) => p.end)) : (invoice.period_end ?? null),
  };
}

function earliest(dates: Date[]): Date {
  return new Date(Math.min(...dates.map((d) => d.getTime())));
}

function latest(dates: Date[]): Date {
  return new Date(Math.max(...dates.map((d) => d.getTime())));
}
