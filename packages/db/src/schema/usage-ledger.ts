import { index, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { usagePeriods } from './usage-periods';
import { users } from './users';

// One row per consumed run. The unique (user_id, run_id) is what makes a run id idempotent: a second
// attempt with the same id can never consume a second unit.
export const usageLedger = pgTable(
  'usage_ledger',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    runId: text('run_id').notNull(),
    periodId: uuid('period_id')
      .notNull()
      .references(() => usagePeriods.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    releasedAt: timestamptz('released_at'),
  },
  (t) => [
    unique('usage_ledger_user_id_run_id_unique').on(t.userId, t.runId),
    index('usage_ledger_period_id_idx').on(t.periodId),
  ],
);

export type UsageLedgerRow = typeof usageLedger.$inferSelect;
export type NewUsageLedgerRow = typeof usageLedger.$inferInsert;
