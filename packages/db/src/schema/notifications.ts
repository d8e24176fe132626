import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

/**
 * The in-app feed (the bell): one row per user and event. `dedupe_key` names the event (kind, account,
 * period or Stripe object): written in the same transaction as the change that causes it, with ON
 * CONFLICT DO NOTHING, so a replayed webhook or a retried batch never shows an event twice.
 * `account_id` is the billing account it is about (null for events about the user alone); no foreign
 * key, so a user keeps the history of a team they left or that was deleted.
 */
export const notifications = pgTable(
  'notifications',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom().primaryKey(),
    accountId: uuid('account_id'),
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    /** The event's facts (JSON): the text shown is rendered from them when read. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    readAt: timestamptz('read_at'),
  },
  (t) => [
    unique('notifications_user_dedupe_key_unique').on(t.userId, t.dedupeKey),
    index('notifications_user_created_idx').on(t.userId, t.createdAt),
    index('notifications_user_unread_idx')
      .on(t.userId)
      .where(sql`${t.readAt} is null`),
    check('notifications_dedupe_key_length', sql`length(${t.dedupeKey}) <= 300`),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;
