import type { PlanId, SubscriptionStatus } from '@tollgate/domain';
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

export const SUBSCRIPTION_HISTORY_SOURCES = ['webhook', 'reconcile', 'backfill'] as const;
export type SubscriptionHistorySource = (typeof SUBSCRIPTION_HISTORY_SOURCES)[number];

/**
 * Every change of a Stripe subscription Tollgate applied, as revenue analytics reads it (the domain's
 * SubscriptionChange): in force from `at` until the subscription's next row. Written by the sync in the
 * transaction that applies the change, only when a field below changed; backfilled from Stripe for
 * subscriptions that predate the table. `at` is Stripe's time (the event's `created`), so a history
 * replayed late or out of order still reads in Stripe's order.
 */
export const subscriptionHistory = pgTable(
  'subscription_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    stripeSubscriptionId: text('stripe_subscription_id').notNull(),
    at: timestamptz('at').notNull(),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    plan: text('plan').$type<PlanId>().notNull(),
    /** The licensed unit price per interval, cents, tax excluded (overage and packs have no field). */
    priceCents: integer('price_cents').notNull(),
    interval: text('interval').$type<'month' | 'year'>().notNull(),
    quantity: integer('quantity').notNull(),
    discountCents: integer('discount_cents').notNull().default(0),
    source: text('source').$type<SubscriptionHistorySource>().notNull(),
    recordedAt: timestamptz('recorded_at').notNull().defaultNow(),
  },
  (t) => [
    unique('subscription_history_instant_unique').on(t.accountId, t.stripeSubscriptionId, t.at),
    index('subscription_history_at_idx').on(t.at),
    check('subscription_history_interval_valid', sql`${t.interval} in ('month', 'year')`),
    check(
      'subscription_history_amounts_valid',
      sql`${t.priceCents} >= 0 and ${t.quantity} >= 0 and ${t.discountCents} >= 0`,
    ),
    check('subscription_history_source_valid', sql`${t.source} in ('webhook', 'reconcile', 'backfill')`),
  ],
);

export type SubscriptionHistoryRow = typeof subscriptionHistory.$inferSelect;
