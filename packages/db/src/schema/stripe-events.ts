import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

// Webhooks are delivered at least once: the event id primary key is how an effect is applied once.
export const stripeEvents = pgTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  stripeCreatedAt: timestamptz('stripe_created_at').notNull(),
  receivedAt: timestamptz('received_at').notNull().defaultNow(),
  objectId: text('object_id'),
});

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type NewStripeEventRow = typeof stripeEvents.$inferInsert;
