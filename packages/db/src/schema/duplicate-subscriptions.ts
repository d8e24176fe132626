import { index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import type { PlanId } from '@tollgate/domain';
import { accounts } from './accounts';
import { timestamptz } from './columns';

// An account that ended up with two live Stripe subscriptions (two paid Checkout sessions): Tollgate
// keeps the higher plan, cancels the other at Stripe, and records here what the customer paid for it,
// so an operator can refund it. One row per canceled subscription, however often its events arrive.
export const duplicateSubscriptions = pgTable(
  'duplicate_subscriptions',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    keptStripeSubscriptionId: text('kept_stripe_subscription_id').notNull(),
    canceledStripeSubscriptionId: text('canceled_stripe_subscription_id').notNull().unique(),
    canceledPlan: text('canceled_plan').$type<PlanId>(),
    /** What was paid for the canceled subscription, in the currency's smallest unit. */
    amountOwed: integer('amount_owed').notNull().default(0),
    currency: text('currency'),
    detectedAt: timestamptz('detected_at').notNull().defaultNow(),
    /** When Stripe confirmed the cancellation (null: still to do, retried on the next sync). */
    canceledAt: timestamptz('canceled_at'),
    lastError: text('last_error'),
    /** When an operator refunded it. */
    refundedAt: timestamptz('refunded_at'),
  },
  (t) => [
    primaryKey({ name: 'duplicate_subscriptions_pkey', columns: [t.accountId, t.id] }),
    index('duplicate_subscriptions_account_id_idx').on(t.accountId),
  ],
);

export type DuplicateSubscriptionRow = typeof duplicateSubscriptions.$inferSelect;
