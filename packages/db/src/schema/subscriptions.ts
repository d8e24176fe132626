import type { PlanId, SubscriptionStatus } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, integer, pgSequence, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { accounts } from './accounts';

// One row per billing account (the primary key is the account id), so "one subscription per account"
// is a constraint, not a convention.
export const subscriptions = pgTable(
  'subscriptions',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
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
    /** The seat count Stripe last confirmed for the subscription's plan item (seat-priced plans). */
    stripeQuantity: integer('stripe_quantity'),
    /**
     * The subscription on which the metered overage item is (as Stripe last said, or as Tollgate added
     * it). Overage is admitted only while it is the stored subscription: runs past the allowance on a
     * subscription without the item would reach the meter and be billed by no invoice (a resubscribe
     * after overage was turned on makes a subscription without it).
     */
    overageItemSubscriptionId: text('overage_item_subscription_id'),
    /**
     * An ENTERPRISE deal is being made for the account until then: one at a time, since two made at
     * once would each find no live subscription at Stripe and each make one.
     */
    enterpriseDealClaimedUntil: timestamptz('enterprise_deal_claimed_until'),
    // A Stripe price Tollgate doesn't know (e.g. created by hand in the dashboard): kept for admins
    // instead of guessing a plan from it.
    unknownStripePriceId: text('unknown_stripe_price_id'),
    stripeSyncedAt: timestamptz('stripe_synced_at'),
    // The sync ticket (subscriptionSyncTickets) of the Stripe snapshot stored here: a sync that fetched
    // its snapshot with an older ticket for the same subscription is stale and writes nothing.
    stripeSyncTicket: bigint('stripe_sync_ticket', { mode: 'number' }),
    // A customer Stripe deleted (customer.deleted): unlinked, never linked again by a late event, and
    // the next checkout creates a new one.
    deletedStripeCustomerId: text('deleted_stripe_customer_id'),
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

/**
 * Taken before a Stripe subscription is fetched, stored with the snapshot it fetched: concurrent syncs
 * of one subscription apply in the order of their fetches, whatever order their transactions commit in.
 */
export const SUBSCRIPTION_SYNC_TICKETS_SEQUENCE = 'subscription_sync_tickets';
export const subscriptionSyncTickets = pgSequence(SUBSCRIPTION_SYNC_TICKETS_SEQUENCE);

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type NewSubscriptionRow = typeof subscriptions.$inferInsert;
