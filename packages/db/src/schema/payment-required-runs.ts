import { date, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';

/**
 * The run ids refused with 402 on an account's UTC day: what makes `payment_required_days` count a
 * refusal once per account, run id and day however often the caller retries it (a granted run is
 * counted once per run id, by its ledger row; a refused one has no ledger row). Written only by a
 * refusal, in the statement that counts it (`recordPaymentRequired`): an insert that meets its key
 * counts nothing. Kept tiny: that statement also deletes the account's rows older than yesterday, so
 * an account holds at most its last two refusing days' run ids.
 */
export const paymentRequiredRuns = pgTable(
  'payment_required_runs',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    runId: text('run_id').notNull(),
  },
  (t) => [primaryKey({ name: 'payment_required_runs_pkey', columns: [t.accountId, t.day, t.runId] })],
);
