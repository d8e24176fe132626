import { sql } from 'drizzle-orm';
import { check, foreignKey, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { creditGrants } from './credit-grants';
import { usageLedger } from './usage-ledger';

/**
 * The units a run holds from a grant, net (a settle below the estimate or a release gives units back
 * and lowers it; an overrun raises it). What it holds from the period's allowance is on its ledger row
 * (usage_ledger.units_from_allowance), so a run on the allowance alone writes no row here.
 */
export const runDraws = pgTable(
  'run_draws',
  {
    accountId: uuid('account_id').notNull(),
    runId: text('run_id').notNull(),
    grantId: uuid('grant_id').notNull(),
    units: integer('units').notNull(),
  },
  (t) => [
    primaryKey({ name: 'run_draws_pkey', columns: [t.accountId, t.runId, t.grantId] }),
    foreignKey({
      name: 'run_draws_grant_fk',
      columns: [t.accountId, t.grantId],
      foreignColumns: [creditGrants.accountId, creditGrants.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'run_draws_run_fk',
      columns: [t.accountId, t.runId],
      foreignColumns: [usageLedger.accountId, usageLedger.runId],
    }).onDelete('cascade'),
    check('run_draws_units_non_negative', sql`${t.units} >= 0`),
  ],
);

export type RunDrawRow = typeof runDraws.$inferSelect;
