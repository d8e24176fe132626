import {
  ACCOUNT_KINDS,
  ACCOUNT_ROLES,
  MONTH_PATTERN,
  planIdSchema,
  subscriptionStatusSchema,
} from '@tollgate/domain';
import { z } from 'zod';
import { storableText } from '../text-schemas';
import { balanceSchema } from './balance-schemas';
import { accountOverridesSchema } from './override-schemas';
import { spendOverviewSchema } from './spend-schemas';
import { isoDateTime } from './wire-date';

// The operator console's wire shapes (admin.customers, admin.customer, admin.analytics, ENTERPRISE
// deals): one file, so the web console and the server agree on one contract.

export const CUSTOMER_SORTS = ['created', 'email', 'plan', 'usage'] as const;

/** admin.customers: search, filter and sort on the server, one page at a time. */
export const customerSearchSchema = z.object({
  /** Part of the owner's email, the account's name, or a whole account id. */
  query: storableText({ max: 200, isTrimmed: true }).optional(),
  plans: z.array(planIdSchema).max(10).optional(),
  statuses: z.array(subscriptionStatusSchema).max(10).optional(),
  pastDueOnly: z.boolean().optional(),
  /** Accounts that used at least 80 % of this period's allowance. */
  nearLimitOnly: z.boolean().optional(),
  overageOnly: z.boolean().optional(),
  sort: z.enum(CUSTOMER_SORTS).default('created'),
  direction: z.enum(['asc', 'desc']).default('desc'),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(25),
});

export const customerRowSchema = z.object({
  accountId: z.string(),
  kind: z.enum(ACCOUNT_KINDS),
  name: z.string().nullable(),
  ownerEmail: z.string(),
  plan: planIdSchema,
  status: subscriptionStatusSchema,
  isPastDue: z.boolean(),
  used: z.number().int(),
  limit: z.number().int(),
  /** used ÷ limit in basis points (10,000 = 100 %); null when the limit is 0. */
  usageBasisPoints: z.number().int().nullable(),
  overageEnabled: z.boolean(),
  createdAt: isoDateTime,
});

export const customerPageSchema = z.object({
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  rows: z.array(customerRowSchema),
});

export const TIMELINE_KINDS = [
  'stripe_event',
  'plan_change',
  'run_denied',
  'notification',
  'operator_action',
] as const;

/** One thing that happened to an account, from whichever table recorded it. */
export const timelineEntrySchema = z.object({
  at: isoDateTime,
  kind: z.enum(TIMELINE_KINDS),
  /** One line a person reads ("Stripe: invoice.payment_failed", "Plan BASIC → PRO", …). */
  summary: z.string(),
  /** Who acted, for operator actions ("ops@example.com (operator)"). */
  actor: z.string().nullable(),
  detail: z.unknown(),
});

export const customerInvoiceSchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string().nullable(),
  totalCents: z.number().int(),
  currency: z.string(),
  createdAt: isoDateTime,
  hostedInvoiceUrl: z.string().nullable(),
});

/** admin.customer: everything a support agent looks at for one account. */
export const customerDetailSchema = z.object({
  account: z.object({
    id: z.string(),
    kind: z.enum(ACCOUNT_KINDS),
    name: z.string().nullable(),
    ownerEmail: z.string(),
    createdAt: isoDateTime,
  }),
  subscription: z.object({
    plan: planIdSchema,
    status: subscriptionStatusSchema,
    currentPeriodStart: isoDateTime.nullable(),
    currentPeriodEnd: isoDateTime.nullable(),
    cancelAtPeriodEnd: z.boolean(),
    trialEnd: isoDateTime.nullable(),
    pastDueSince: isoDateTime.nullable(),
    stripeCustomerId: z.string().nullable(),
    stripeSubscriptionId: z.string().nullable(),
  }),
  overrides: accountOverridesSchema,
  members: z.array(z.object({ userId: z.string(), email: z.string(), role: z.enum(ACCOUNT_ROLES) })),
  balance: balanceSchema,
  /** Overage, the account's and the operator's caps, this period's spend (as Settings shows them). */
  spend: spendOverviewSchema,
  /** Runs per UTC day (reserved, not released) over the last 30 days, oldest first, zero-filled. */
  usagePerDay: z.array(z.object({ day: z.string(), runs: z.number().int() })),
  /** From Stripe, newest first; null when Stripe couldn't be asked (not configured or unreachable). */
  invoices: z.array(customerInvoiceSchema).nullable(),
  /** Newest first, at most 200 entries. */
  timeline: z.array(timelineEntrySchema),
});

export type CustomerSearch = z.infer<typeof customerSearchSchema>;
export type CustomerRow = z.infer<typeof customerRowSchema>;
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type CustomerDetail = z.infer<typeof customerDetailSchema>;

// The domain's own pattern: a month parseMonth reads (years 2000–2999), so no other gets past here.
const monthKey = z.string().regex(MONTH_PATTERN, 'must be a month, YYYY-MM, of the years 2000–2999');
const rateSchema = z
  .object({ numerator: z.number().int(), denominator: z.number().int(), basisPoints: z.number().int() })
  .nullable();
const averageSchema = z
  .object({ numerator: z.number().int(), denominator: z.number().int(), rounded: z.number().int() })
  .nullable();
const movementSchema = z.object({ accounts: z.number().int(), cents: z.number().int() });

/** admin.analytics: whole months, from and to included (at most 36), optionally only some plans. */
export const analyticsInputSchema = z.object({
  from: monthKey,
  to: monthKey,
  plans: z.array(planIdSchema).min(1).max(10).optional(),
});

/** Every figure of definitions.ts (@tollgate/domain analytics), month by month. */
export const analyticsSchema = z.object({
  asOf: isoDateTime,
  mrr: z.array(
    z.object({
      month: z.string(),
      mrrCents: z.number().int(),
      arrCents: z.number().int(),
      payingAccounts: z.number().int(),
      arpu: averageSchema,
    }),
  ),
  movements: z.array(
    z.object({
      month: z.string(),
      startMrrCents: z.number().int(),
      endMrrCents: z.number().int(),
      payingAccountsAtStart: z.number().int(),
      payingAccountsAtEnd: z.number().int(),
      netCents: z.number().int(),
      new: movementSchema,
      expansion: movementSchema,
      contraction: movementSchema,
      churn: movementSchema,
      reactivation: movementSchema,
    }),
  ),
  retention: z.array(
    z.object({
      month: z.string(),
      logoChurn: rateSchema,
      revenueChurn: rateSchema,
      netRevenueRetention: rateSchema,
    }),
  ),
  trialConversion: z.array(
    z.object({
      month: z.string(),
      trials: z.number().int(),
      converted: z.number().int(),
      open: z.number().int(),
      conversion: rateSchema,
    }),
  ),
  runs: z.array(
    z.object({
      month: z.string(),
      accounts: z.number().int(),
      runs: z.number().int(),
      mean: averageSchema,
      p50: z.number().int().nullable(),
      p90: z.number().int().nullable(),
      p99: z.number().int().nullable(),
      max: z.number().int().nullable(),
      buckets: z.array(
        z.object({ min: z.number().int(), max: z.number().int().nullable(), accounts: z.number().int() }),
      ),
    }),
  ),
  paymentRequired: z.array(
    z.object({
      month: z.string(),
      authorizations: z.number().int(),
      denied: z.number().int(),
      rate: rateSchema,
    }),
  ),
  firstDenial: z.array(
    z.object({
      month: z.string(),
      accounts: z.number().int(),
      upgraded: z.number().int(),
      boughtPack: z.number().int(),
      upgradedOrBoughtPack: z.number().int(),
      open: z.number().int(),
      rate: rateSchema,
    }),
  ),
  overage: z.array(z.object({ month: z.string(), cents: z.number().int(), accounts: z.number().int() })),
});

/**
 * admin.createEnterpriseDeal: a price made for this account at Stripe (ENTERPRISE, known to the catalog
 * mapping), its run limit (the account's while the deal's subscription is), and a subscription billed by
 * card or by invoice.
 */
export const enterpriseDealInputSchema = z.object({
  accountId: z.uuid(),
  runLimit: z.number().int().min(1).max(10_000_000),
  priceCents: z.number().int().min(100).max(100_000_000),
  interval: z.enum(['month', 'year']),
  collection: z.enum(['charge_automatically', 'send_invoice']),
  /** Required with send_invoice: days the customer has to pay each invoice. */
  daysUntilDue: z.number().int().min(1).max(90).optional(),
  reason: z.string().trim().min(1).max(500),
  /**
   * One per intended deal (the console makes one per dialog): a retry with it after a lost answer
   * answers the same deal, with no second price, subscription or audit row; reused for another deal
   * it is a 409.
   */
  idempotencyKey: storableText({ min: 8, max: 100 }).optional(),
});

export const enterpriseDealSchema = z.object({
  accountId: z.string(),
  stripePriceId: z.string(),
  stripeSubscriptionId: z.string(),
  status: subscriptionStatusSchema,
  runLimit: z.number().int(),
  priceCents: z.number().int(),
  interval: z.enum(['month', 'year']),
  collection: z.enum(['charge_automatically', 'send_invoice']),
  /** The first invoice's hosted page (send_invoice: what the customer pays on). */
  hostedInvoiceUrl: z.string().nullable(),
});

export type AnalyticsInput = z.infer<typeof analyticsInputSchema>;
// What the server produces (dates as Date); the wire carries ISO strings.
export type Analytics = z.input<typeof analyticsSchema>;
export type EnterpriseDealInput = z.infer<typeof enterpriseDealInputSchema>;
export type EnterpriseDeal = z.infer<typeof enterpriseDealSchema>;
