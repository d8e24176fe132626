import { boolean, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

/**
 * A user's choices for the notifications they may turn off (usage alerts, reminders), per channel.
 * No row = every default (all on). Transactional messages (receipts, payment failures, verification,
 * password reset, invitations) have no switch.
 */
export const notificationPreferences = pgTable('notification_preferences', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  usageAlertsEmail: boolean('usage_alerts_email').notNull().default(true),
  usageAlertsInApp: boolean('usage_alerts_in_app').notNull().default(true),
  remindersEmail: boolean('reminders_email').notNull().default(true),
  remindersInApp: boolean('reminders_in_app').notNull().default(true),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

export type NotificationPreferencesRow = typeof notificationPreferences.$inferSelect;
