import { sql } from 'drizzle-orm';
import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/** Why an event can never be applied as delivered: an operator fixes the cause and replays it. */
export type WebhookFailureCode = 'malformed_event' | 'object_missing' | 'account_not_found';

// Webhooks are delivered at least once: the event id primary key is how an effect is applied once.
// An event that can never succeed as delivered is stored too, with its failure (answered 200, so Stripe
// stops retrying), and listed for operators until a replay succeeds.
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    stripeCreatedAt: timestamptz('stripe_created_at').notNull(),
    receivedAt: timestamptz('received_at').notNull().defaultNow(),
    objectId: text('object_id'),
    /**
     * The account the event was applied to (null: none, or applied before this column existed). No
     * foreign key: the record that an event was processed outlives the account.
     */
    accountId: uuid('account_id'),
    failureCode: text('failure_code').$type<WebhookFailureCode>(),
    failureReason: text('failure_reason'),
    /** The last replay by an operator (admin.replayWebhook). */
    replayedAt: timestamptz('replayed_at'),
  },
  (t) => [
    index('stripe_events_failed_idx')
      .on(t.receivedAt)
      .where(sql`${t.failureCode} is not null`),
    index('stripe_events_account_idx')
      .on(t.accountId, t.stripeCreatedAt)
      .where(sql`${t.accountId} is not null`),
  ],
);

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type NewStripeEventRow = typeof stripeEvents.$inferInsert;
