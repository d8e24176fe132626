import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

// Usage periods are rows, not resets: a new period (identified by its start) is a new counter row, so
// replaying an event can never reset a counter twice. The period's run limit lives on the row, next to
// the counter it bounds: admission is one conditional UPDATE reading both under the row's lock, and a
// plan change writes the limit under that same lock, so a downgrade can't race past it.
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
    // No CHECK used <= run_limit: a downgrade below what was already used is legitimate (it only
    // stops further runs until the next period).
    runLimit: integer('run_limit').notNull(),
  },
  (t) => [
    unique('usage_periods_user_id_period_start_unique').on(t.userId, t.periodStart),
    // The target of the ledger's (user_id, period_id) foreign key.
    unique('usage_periods_user_id_id_unique').on(t.userId, t.id),
    check('usage_periods_used_non_negative', sql`${t.used} >= 0`),
    check('usage_periods_run_limit_non_negative', sql`${t.runLimit} >= 0`),
  ],
);

export type UsagePeriodRow = typeof usagePeriods.$inferSelect;
export type NewUsagePeriodRow = typeof usagePeriods.$inferInsert;
