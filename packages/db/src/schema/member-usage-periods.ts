import { sql } from 'drizzle-orm';
import { check, foreignKey, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { usagePeriods } from './usage-periods';

/**
 * A member's runs in one of its account's periods, next to the cap an admin set: admission locks it in
 * the same statement as the period row (periods first, then members), so a cap is exact under
 * concurrency. No foreign key to the membership: a removed member's counter stays, so removing and
 * re-inviting someone never resets what they used.
 */
export const memberUsagePeriods = pgTable(
  'member_usage_periods',
  {
    accountId: uuid('account_id').notNull(),
    periodId: uuid('period_id').notNull(),
    userId: text('user_id').notNull(),
    used: integer('used').notNull().default(0),
    /** The member's cap for this period (copied from the membership; null: no cap). */
    runCap: integer('run_cap'),
  },
  (t) => [
    primaryKey({ name: 'member_usage_periods_pkey', columns: [t.accountId, t.periodId, t.userId] }),
    foreignKey({
      name: 'member_usage_periods_period_fk',
      columns: [t.accountId, t.periodId],
      foreignColumns: [usagePeriods.accountId, usagePeriods.id],
    }).onDelete('cascade'),
    check('member_usage_periods_used_non_negative', sql`${t.used} >= 0`),
    check('member_usage_periods_cap_non_negative', sql`${t.runCap} is null or ${t.runCap} >= 0`),
  ],
);

export type MemberUsagePeriodRow = typeof memberUsagePeriods.$inferSelect;
