import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

// Usage periods are rows, not resets: a new period (identified by its start) is a new counter row, so
// replaying an event can never reset a counter twice.
export const usagePeriods = pgTable(
  'usage_periods',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    periodStart: timestamptz('period_start').notNull(),
    periodEnd: timestamptz('period_end').notNull(),
    used: integer('used').notNull().default(0),
  },
  (t) => [
    unique('usage_periods_user_id_period_start_unique').on(t.userId, t.periodStart),
    check('usage_periods_used_non_negative', sql`${t.used} >= 0`),
  ],
);

export type UsagePeriodRow = typeof usagePeriods.$inferSelect;
export type NewUsagePeriodRow = typeof usagePeriods.$inferInsert;
