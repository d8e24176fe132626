import type { WebhookFailureCode } from '@tollgate/db';
import { planIdSchema, subscriptionStatusSchema } from '@tollgate/domain';
import { z } from 'zod';
import { isoDateTime } from './wire-date';

// Every stored failure code, checked both ways by the compiler.
const WEBHOOK_FAILURE_CODES = [
  'malformed_event',
  'object_missing',
  'account_not_found',
] as const satisfies readonly WebhookFailureCode[];
type _EveryCodeListed = WebhookFailureCode extends (typeof WEBHOOK_FAILURE_CODES)[number] ? true : never;
const _everyCodeListed: _EveryCodeListed = true;
const webhookFailureCodeSchema = z.enum(WEBHOOK_FAILURE_CODES);

/** `admin.unknownPrices`: a subscription on a Stripe price Tollgate doesn't know (its plan was kept). */
export const unknownPriceSubscriptionSchema = z.object({
  accountId: z.uuid(),
  userId: z.string().describe("The account's creator (on a personal account, its user)"),
  email: z.string().nullable(),
  plan: planIdSchema,
  status: subscriptionStatusSchema,
  stripeSubscriptionId: z.string().nullable(),
  unknownStripePriceId: z.string().nullable(),
  stripeSyncedAt: isoDateTime.nullable(),
});

/** `admin.failedWebhooks`: a Stripe event that can never be applied as delivered. */
export const failedWebhookSchema = z.object({
  id: z.string(),
  type: z.string(),
  stripeCreatedAt: isoDateTime,
  receivedAt: isoDateTime,
  objectId: z.string().nullable(),
  failureCode: webhookFailureCodeSchema.nullable(),
  failureReason: z.string().nullable(),
  replayedAt: isoDateTime.nullable(),
});

/** `admin.replayWebhook`: what applying the event again did. */
export const webhookOutcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('processed'),
    eventId: z.string(),
    type: z.string(),
    accountId: z.uuid().nullable(),
    isStale: z.boolean().optional(),
  }),
  z.object({ status: z.literal('duplicate'), eventId: z.string(), type: z.string() }),
  z.object({ status: z.literal('ignored'), eventId: z.string(), type: z.string() }),
  z.object({
    status: z.literal('failed'),
    eventId: z.string(),
    type: z.string(),
    failure: z.object({ code: webhookFailureCodeSchema, reason: z.string() }),
  }),
]);

/** `admin.duplicateSubscriptions`: a second live subscription, canceled (or still to cancel). */
export const duplicateSubscriptionSchema = z.object({
  accountId: z.uuid(),
  userId: z.string().describe("The account's creator (on a personal account, its user)"),
  email: z.string().nullable(),
  keptStripeSubscriptionId: z.string(),
  canceledStripeSubscriptionId: z.string(),
  canceledPlan: planIdSchema.nullable(),
  amountOwed: z.number().int().describe('Paid for the canceled subscription, in the smallest unit'),
  currency: z.string().nullable(),
  detectedAt: isoDateTime,
  canceledAt: isoDateTime.nullable().describe('null: the cancellation is still to do'),
  lastError: z.string().nullable(),
  refundedAt: isoDateTime.nullable(),
});

/** `admin.reconcile`: what re-fetching every linked subscription corrected. */
export const reconcileReportSchema = z.object({
  accountsChecked: z.number().int(),
  accountsCorrected: z.number().int(),
  oldestUnsyncedChangeAt: isoDateTime
    .nullable()
    .describe('Of the corrected accounts, the earliest last-sync time: how long drift went unnoticed'),
  failures: z.array(z.object({ accountId: z.uuid(), error: z.string() })),
});
