import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';

/**
 * What operators set on an account, kept apart from the state derived from Stripe (`subscriptions`,
 * which the webhook sync rewrites): applied on top of it wherever the entitlement is computed, so a
 * later sync never erases a comp, a trial extension or a custom limit. One row per account, created on
 * the first override. Every change is also one row of operator_audit_log.
 */
export const accountOverrides = pgTable(
  'account_overrides',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    runLimit: integer('run_limit'),
    compPlan: text('comp_plan'),
    compFrom: timestamptz('comp_from'),
    compUntil: timestamptz('comp_until'),
    trialStart: timestamptz('trial_start'),
    trialEnd: timestamptz('trial_end'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [
    check('account_overrides_run_limit_valid', sql`${t.runLimit} is null or ${t.runLimit} >= 0`),
    check(
      'account_overrides_comp_valid',
      sql`(${t.compPlan} is null) = (${t.compUntil} is null) and (${t.compPlan} is null) = (${t.compFrom} is null)
        and (${t.compPlan} is null or (${t.compPlan} in ('BASIC', 'PRO', 'TEAM') and ${t.compUntil} > ${t.compFrom}))`,
    ),
    check(
      'account_overrides_trial_valid',
      sql`(${t.trialStart} is null) = (${t.trialEnd} is null)
        and (${t.trialEnd} is null or ${t.trialEnd} > ${t.trialStart})`,
    ),
  ],
);

export type AccountOverridesRow = typeof accountOverrides.$inferSelect;
