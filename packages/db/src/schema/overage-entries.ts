import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { timestamptz } from './columns';
import { usageLedger } from './usage-ledger';

/**
 * The overage journal: every change to the overage units a *started* run holds, appended in the
 * transaction that changed them. Starting a run adds what it holds past the allowance and credits; a
 * settle adds the difference (below the estimate: negative, an overrun: positive); a started run proven
 * never to have run takes it all back. Reserved runs are not billable yet (they may be released), so
 * they have no entry.
 *
 *   Σ units of a period's entries = Σ units_overage of its started and settled runs
 *
 * `batch_id` is the meter batch that reported the entry to Stripe: set once, in the transaction that
 * creates the batch, so an entry is reported in exactly one batch.
 */
export const overageEntries = pgTable(
  'overage_entries',
  {
    accountId: uuid('account_id').notNull(),
    id: bigserial('id', { mode: 'number' }).notNull(),
    runId: text('run_id').notNull(),
    periodId: uuid('period_id').notNull(),
    units: integer('units').notNull(),
    batchId: uuid('batch_id'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'overage_entries_pkey', columns: [t.accountId, t.id] }),
    foreignKey({
      name: 'overage_entries_run_fk',
      columns: [t.accountId, t.runId],
      foreignColumns: [usageLedger.accountId, usageLedger.runId],
    }).onDelete('cascade'),
    // The flush's scan: what each account has not reported yet.
    index('overage_entries_unbatched_idx')
      .on(t.accountId, t.periodId)
      .where(sql`${t.batchId} is null`),
    index('overage_entries_batch_idx').on(t.accountId, t.batchId),
    // A run's entries: the overage rebalance skips runs journaled in another period (overage-rebalance.ts).
    index('overage_entries_run_idx').on(t.accountId, t.runId),
    check('overage_entries_units_non_zero', sql`${t.units} <> 0`),
  ],
);

export type OverageEntryRow = typeof overageEntries.$inferSelect;

export const METER_BATCH_STATUSES = ['pending', 'delivered', 'abandoned', 'canceled'] as const;
export type MeterBatchStatus = (typeof METER_BATCH_STATUSES)[number];

/** `usage`: a flush of journal entries; `repair`: what the reconciliation sent to match the ledger. */
export const METER_BATCH_KINDS = ['usage', 'repair'] as const;
export type MeterBatchKind = (typeof METER_BATCH_KINDS)[number];

/**
 * One meter event sent (or to send) to Stripe: its id is the event's `identifier`, so a retry of the
 * same batch is deduplicated by Stripe (a reused identifier answers 400 "already exists": delivered).
 * Stripe dedupes for about 24 hours only, so a batch not delivered 23 hours after it was made is
 * `abandoned`, never resent; the reconciliation then compares Stripe's summaries with the ledger and
 * repairs the difference. `canceled`: a meter event adjustment removed it at Stripe.
 */
export const meterBatches = pgTable(
  'meter_batches',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    id: uuid('id').notNull().defaultRandom(),
    periodId: uuid('period_id').notNull(),
    kind: text('kind').$type<MeterBatchKind>().notNull().default('usage'),
    value: integer('value').notNull(),
    /** The Stripe customer and the meter's event name at the time the batch was made. */
    stripeCustomerId: text('stripe_customer_id').notNull(),
    eventName: text('event_name').notNull(),
    /** The meter event's timestamp: within the period, so Stripe bills it on that period's invoice. */
    eventAt: timestamptz('event_at').notNull(),
    status: text('status').$type<MeterBatchStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    leaseUntil: timestamptz('lease_until'),
    lastError: text('last_error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    deliveredAt: timestamptz('delivered_at'),
  },
  (t) => [
    primaryKey({ name: 'meter_batches_pkey', columns: [t.accountId, t.id] }),
    index('meter_batches_pending_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('meter_batches_period_idx').on(t.accountId, t.periodId),
    check('meter_batches_value_positive', sql`${t.value} > 0`),
    check(
      'meter_batches_status_valid',
      sql`${t.status} in ('pending', 'delivered', 'abandoned', 'canceled')`,
    ),
    check('meter_batches_kind_valid', sql`${t.kind} in ('usage', 'repair')`),
  ],
);

export type MeterBatchRow = typeof meterBatches.$inferSelect;
