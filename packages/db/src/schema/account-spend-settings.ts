import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/**
 * How an account may spend past its plan's allowance and its credits, one row per account (created on
 * the first change; no row = overage off, no cap, no auto top-up).
 *
 * - Overage: runs past the allowance and credits are admitted and billed per run through the metered
 *   price, up to the cap. The reservation statement reads this row (no lock: a raised cap is seen by the
 *   very next statement) and counts overage on the period row it locks, so the cap is exact.
 * - Caps (tax excluded), each in money (whole cents) or in overage runs, never both: one set by the
 *   account's owners and admins, one by an operator. The stricter wins. A money cap allows
 *   ⌊cap ÷ price per run⌋ runs, computed in numeric (the price is a decimal of cents).
 * - Auto top-up: when the spendable balance falls below `auto_top_up_threshold`, buy the pack off-session
 *   with the saved card, at most `auto_top_up_monthly_limit` times a calendar month (UTC), not before
 *   `auto_top_up_backoff_until` after a decline.
 */
export const accountSpendSettings = pgTable(
  'account_spend_settings',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    overageEnabled: boolean('overage_enabled').notNull().default(false),
    capCents: integer('cap_cents'),
    capRuns: integer('cap_runs'),
    operatorCapCents: integer('operator_cap_cents'),
    operatorCapRuns: integer('operator_cap_runs'),
    autoTopUpEnabled: boolean('auto_top_up_enabled').notNull().default(false),
    autoTopUpThreshold: integer('auto_top_up_threshold'),
    autoTopUpPackId: text('auto_top_up_pack_id'),
    autoTopUpMonthlyLimit: integer('auto_top_up_monthly_limit'),
    autoTopUpBackoffUntil: timestamptz('auto_top_up_backoff_until'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('account_spend_settings_one_cap', sql`${t.capCents} is null or ${t.capRuns} is null`),
    check(
      'account_spend_settings_one_operator_cap',
      sql`${t.operatorCapCents} is null or ${t.operatorCapRuns} is null`,
    ),
    check(
      'account_spend_settings_caps_non_negative',
      sql`coalesce(${t.capCents}, 0) >= 0 and coalesce(${t.capRuns}, 0) >= 0
        and coalesce(${t.operatorCapCents}, 0) >= 0 and coalesce(${t.operatorCapRuns}, 0) >= 0`,
    ),
    check(
      'account_spend_settings_auto_top_up_complete',
      sql`not ${t.autoTopUpEnabled} or (${t.autoTopUpThreshold} > 0 and ${t.autoTopUpPackId} is not null
        and ${t.autoTopUpMonthlyLimit} > 0)`,
    ),
  ],
);

export type AccountSpendSettingsRow = typeof accountSpendSettings.$inferSelect;
