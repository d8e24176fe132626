import { sql } from 'drizzle-orm';
import { check, integer, pgTable, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/** Default thresholds (percent of the period's plan allowance) for accounts without a row. */
export const DEFAULT_USAGE_ALERT_PERCENTS = [80, 100] as const;

/**
 * When an account's usage alerts fire, set by its owners and admins: percentages of the period's
 * allowance and, optionally, an absolute number of runs remaining. Each fires once per period.
 */
export const usageAlertSettings = pgTable(
  'usage_alert_settings',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    percents: integer('percents').array().notNull(),
    runsRemaining: integer('runs_remaining'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('usage_alert_settings_percents_size', sql`cardinality(${t.percents}) <= 5`),
    check(
      'usage_alert_settings_runs_remaining_positive',
      sql`${t.runsRemaining} is null or ${t.runsRemaining} > 0`,
    ),
  ],
);

export type UsageAlertSettingsRow = typeof usageAlertSettings.$inferSelect;
