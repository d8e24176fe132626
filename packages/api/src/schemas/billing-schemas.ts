import { planIdSchema, subscriptionStatusSchema } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

export const planSchema = z.object({
  id: planIdSchema,
  name: z.string(),
  tagline: z.string(),
  priceCents: z.number().int().nullable().describe('Monthly price in cents; null for a negotiated price'),
  currency: z.literal('usd'),
  interval: z.literal('month').nullable(),
  runLimit: z.number().int().nullable().describe('Runs per usage period; null when set per account'),
  features: z.array(z.string()),
  isPaid: z.boolean(),
  isSelfServe: z.boolean().describe('Can be bought through Stripe Checkout'),
  isSeatPriced: z.boolean().describe('priceCents is per seat (per member of a team account)'),
});

export const plansSchema = z.array(planSchema);

export const subscriptionOverviewSchema = z.object({
  plan: planIdSchema.describe('The plan in force now (a canceled PRO or an ended trial shows FREE)'),
  planDetails: planSchema,
  status: subscriptionStatusSchema,
  currentPeriod: z.object({ start: isoDateTime, end: isoDateTime }).nullable(),
  cancelAtPeriodEnd: z.boolean(),
  endsAt: isoDateTime.nullable().describe('When a cancel-at-period-end subscription stops'),
  nextBillingAt: isoDateTime
    .nullable()
    .describe('When the next renewal charge is due, for a paid plan that renews'),
  trial: z.object({
    isEligible: z.boolean(),
    startedAt: isoDateTime.nullable(),
    endsAt: isoDateTime.nullable(),
    daysLeft: z.number().int().nullable(),
  }),
  graceEndsAt: isoDateTime.nullable().describe('past_due only: when runs stop until the payment is fixed'),
  blockedReason: z.string().nullable(),
  usage: z.object({
    used: z.number().int(),
    limit: z.number().int(),
    remaining: z.number().int(),
    periodStart: isoDateTime,
    resetsAt: isoDateTime,
  }),
  hasStripeCustomer: z.boolean(),
});

/** The subscription overview with `Date`s (the schema's input side, what the service returns). */
export type SubscriptionOverview = z.input<typeof subscriptionOverviewSchema>;

export const checkoutSessionSchema = z.object({
  id: z.string(),
  url: z.string().describe('Stripe Checkout page: redirect the browser here'),
});

export const portalSessionSchema = z.object({
  url: z.string().describe('Stripe Customer Portal page: redirect the browser here'),
});

export const invoiceSummarySchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  createdAt: isoDateTime,
  amountDue: z.number().int().describe('Cents'),
  amountPaid: z.number().int().describe('Cents'),
  currency: z.string(),
  status: z.string().nullable(),
  hostedInvoiceUrl: z.string().nullable(),
  invoicePdf: z.string().nullable(),
});

export const invoicesSchema = z.array(invoiceSummarySchema);
