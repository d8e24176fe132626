import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/**
 * ENTERPRISE prices made at Stripe for one account's deal: the catalog mapping knows them (a
 * subscription on one of them is ENTERPRISE, never an unknown price), and analytics reads their amount.
 * The deal's run limit is the account's ENTERPRISE limit while a subscription on its price is the
 * account's (the sync copies it to subscriptions.custom_run_limit): it ends with the subscription.
 */
export const enterpriseDeals = pgTable(
  'enterprise_deals',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    stripePriceId: text('stripe_price_id').notNull(),
    priceCents: integer('price_cents').notNull(),
    interval: text('interval').$type<'month' | 'year'>().notNull(),
    runLimit: integer('run_limit').notNull(),
    collection: text('collection').$type<'charge_automatically' | 'send_invoice'>().notNull(),
    daysUntilDue: integer('days_until_due'),
    stripeSubscriptionId: text('stripe_subscription_id'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
  },
  (t) => [
    primaryKey({ name: 'enterprise_deals_pkey', columns: [t.accountId, t.stripePriceId] }),
    check('enterprise_deals_interval_valid', sql`${t.interval} in ('month', 'year')`),
    check(
      'enterprise_deals_collection_valid',
      sql`${t.collection} in ('charge_automatically', 'send_invoice')
        and (${t.collection} = 'send_invoice') = (${t.daysUntilDue} is not null)`,
    ),
    check('enterprise_deals_amounts_valid', sql`${t.priceCents} > 0 and ${t.runLimit} > 0`),
  ],
);

export type EnterpriseDealRow = typeof enterpriseDeals.$inferSelect;
