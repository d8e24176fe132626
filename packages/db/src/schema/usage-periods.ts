import { sql } from 'drizzle-orm';
import { check, integer, pgTable, primaryKey, unique, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

// Usage periods are rows, not resets: a new period (identified by its start) is a new counter row, so
// replaying an event can never reset a counter twice. The period's run limit lives on the row, next to
// the counter it bounds: admission is one conditional UPDATE reading both under the row's lock, and a
// plan change writes the limit under that same lock, so a downgrade can't race past it.
export const usagePeriods = pgTable(
  'usage_periods',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    periodStart: timestamptz('period_start').notNull(),
    periodEnd: timestamptz('period_end').notNull(),
    used: integer('used').notNull().default(0),
    // No CHECK used <= run_limit: a downgrade below what was already used is legitimate (it only
    // stops further runs until the next period).
    runLimit: integer('run_limit').notNull(),
    /** Units admitted past the allowance and credits (billed as overage), bounded by the spend cap. */
    overageUsed: integer('overage_used').notNull().default(0),
  },
  (t) => [
    // The tenant leads every key, so the table can be sharded by account.
    primaryKey({ name: 'usage_periods_pkey', columns: [t.accountId, t.id] }),
    unique('usage_periods_account_id_period_start_unique').on(t.accountId, t.periodStart),
    check('usage_periods_used_non_negative', sql`${t.used} >= 0`),
    check('usage_periods_run_limit_non_negative', sql`${t.runLimit} >= 0`),
    check('usage_periods_overage_used_non_negative', sql`${t.overageUsed} >= 0`),
  ],
);

export type UsagePeriodRow = typeof usagePeriods.$inferSelect;
export type NewUsagePeriodRow = typeof usagePeriods.$inferInsert;
