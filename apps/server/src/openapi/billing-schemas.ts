import { planIdSchema, subscriptionStatusSchema } from '@tollgate/domain';
import { RUN_STATES } from '@tollgate/db';
import { z } from 'zod';
import { isoDateTime } from './common-schemas';

export const planSchema = z.strictObject({
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
});

export const plansSchema = z.array(planSchema);

export const subscriptionOverviewSchema = z.strictObject({
  plan: planIdSchema.describe('The plan in force now (a canceled PRO or an ended trial shows FREE)'),
  planDetails: planSchema,
  status: subscriptionStatusSchema,
  currentPeriod: z.strictObject({ start: isoDateTime, end: isoDateTime }).nullable(),
  cancelAtPeriodEnd: z.boolean(),
  endsAt: isoDateTime.nullable().describe('When a cancel-at-period-end subscription stops'),
  nextBillingAt: isoDateTime.nullable(),
  trial: z.strictObject({
    isEligible: z.boolean(),
    startedAt: isoDateTime.nullable(),
    endsAt: isoDateTime.nullable(),
    daysLeft: z.number().int().nullable(),
  }),
  graceEndsAt: isoDateTime.nullable().describe('past_due only: when runs stop until the payment is fixed'),
  blockedReason: z.string().nullable(),
  usage: z.strictObject({
    used: z.number().int(),
    limit: z.number().int(),
    remaining: z.number().int(),
    periodStart: isoDateTime,
    resetsAt: isoDateTime,
  }),
  hasStripeCustomer: z.boolean(),
});

export const checkoutSessionSchema = z.strictObject({
  id: z.string(),
  url: z.string().describe('Stripe Checkout page: redirect the browser here'),
  checkout_url: z.string().describe('Same as url (the seed API’s field name)'),
});

export const portalSessionSchema = z.strictObject({
  url: z.string().describe('Stripe Customer Portal page: redirect the browser here'),
  portal_url: z.string().describe('Same as url (the seed API’s field name)'),
});

export const invoicesSchema = z.array(
  z.strictObject({
    id: z.string(),
    number: z.string().nullable(),
    createdAt: isoDateTime,
    amountDue: z.number().int().describe('Cents'),
    amountPaid: z.number().int().describe('Cents'),
    currency: z.string(),
    status: z.string().nullable(),
    hostedInvoiceUrl: z.string().nullable(),
    invoicePdf: z.string().nullable(),
  }),
);

export const runAuthorizationSchema = z.strictObject({
  runId: z.string(),
  isReplay: z
    .boolean()
    .describe('True when this run id was reserved before by the same request: nothing was counted'),
  state: z
    .enum(RUN_STATES)
    .describe(
      'reserved: its work may start once (usage.start); started / settled: its work began, never start it again; released: given back',
    ),
  plan: planIdSchema,
  status: subscriptionStatusSchema,
  used: z.number().int(),
  limit: z.number().int(),
  remaining: z.number().int(),
  resetsAt: isoDateTime,
});

export const startedRunStateSchema = z.strictObject({
  runId: z.string(),
  state: z.literal('started'),
  startedAt: isoDateTime,
  isReplay: z.boolean().describe('True when this attemptId had started the run before (a retried start)'),
});

export const releasedRunSchema = z.strictObject({
  runId: z.string(),
  released: z.literal(true),
  isReplay: z.boolean(),
});
