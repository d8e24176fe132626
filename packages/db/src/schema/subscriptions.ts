import type { PlanId, SubscriptionStatus } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

// One row per user (the primary key is the user id), so "one subscription per user" is a constraint,
// not a convention.
export const subscriptions = pgTable(
  'subscriptions',
  {
    userId: text('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    plan: text('plan').$type<PlanId>().notNull(),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    currentPeriodStart: timestamptz('current_period_start'),
    currentPeriodEnd: timestamptz('current_period_end'),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    trialStart: timestamptz('trial_start'),
    trialEnd: timestamptz('trial_end'),
    trialUsedAt: timestamptz('trial_used_at'),
    pastDueSince: timestamptz('past_due_since'),
    customRunLimit: integer('custom_run_limit'),
    stripeCustomerId: text('stripe_customer_id').unique(),
    stripeSubscriptionId: text('stripe_subscription_id').unique(),
    stripePriceId: text('stripe_price_id'),
    // A Stripe price Tollgate doesn't know (e.g. created by hand in the dashboard): kept for admins
    // instead of guessing a plan from it.
    unknownStripePriceId: text('unknown_stripe_price_id'),
    stripeSyncedAt: timestamptz('stripe_synced_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'subscriptions_custom_run_limit_non_negative',
      sql`${t.customRunLimit} is null or ${t.customRunLimit} >= 0`,
    ),
  ],
);

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type NewSubscriptionRow = typeof subscriptions.$inferInsert;
