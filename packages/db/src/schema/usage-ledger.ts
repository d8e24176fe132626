import { sql } from 'drizzle-orm';
import {
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { usagePeriods } from './usage-periods';

/**
 * A run's lifecycle: `reserved` (its units are counted) → `started` (work began: the units are spent)
 * → `settled` (work finished; what it cost is final), or `reserved` → `released` (it never started:
 * the units went back). `started` is reached through one conditional transition, once per run id, ever.
 */
export const RUN_STATES = ['reserved', 'started', 'settled', 'released'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Who reserved the run: an end user's token, a service API key, or Tollgate's own sessions. */
export const RUN_ACTOR_KINDS = ['user', 'service', 'internal', 'legacy'] as const;
export type RunActorKind = (typeof RUN_ACTOR_KINDS)[number];

/** Why units went back: a service said the work never started, nobody started it in time, or the agent backend proved it never started. */
export const RUN_RELEASE_REASONS = ['service', 'start_timeout', 'backend_not_started', 'legacy'] as const;
export type RunReleaseReason = (typeof RUN_RELEASE_REASONS)[number];

// One row per run id and account, never deleted: the unique (account_id, run_id) is what makes a run id
// usable once. A later request with the same id is a retry (same fingerprint) or refused (another one).
export const usageLedger = pgTable(
  'usage_ledger',
  {
    accountId: uuid('account_id').notNull(),
    id: uuid('id').notNull().defaultRandom(),
    /** The member the run was for (who ran it); the account's pool paid for it. */
    userId: text('user_id').notNull(),
    runId: text('run_id').notNull(),
    periodId: uuid('period_id').notNull(),
    state: text('state').$type<RunState>().notNull(),
    unitsReserved: integer('units_reserved').notNull().default(1),
    /** What the run finally cost (set when settled). */
    unitsSettled: integer('units_settled'),
    /**
     * What the settling caller said the run cost (null: settled at the estimate). It can exceed
     * units_settled: an overrun is charged only up to what the balance still held.
     */
    unitsActual: integer('units_actual'),
    /**
     * Units the run holds from its period's allowance (the rest of what it holds is in run_draws):
     * what reserving took from the allowance, less what a settle or release gave back, plus an overrun's.
     */
    unitsFromAllowance: integer('units_from_allowance').notNull().default(0),
    /**
     * Units the run holds past the allowance and credits, billed as overage (the last drawn, the first
     * given back). Once the run has started, every change to it is journaled in overage_entries.
     */
    unitsOverage: integer('units_overage').notNull().default(0),
    actorKind: text('actor_kind').$type<RunActorKind>().notNull(),
    /** The user id, the API key id, or the internal caller's name. */
    actorId: text('actor_id').notNull(),
    /** Hash of who asked and what for: the same run id with another fingerprint is refused. */
    fingerprint: text('fingerprint').notNull(),
    reservedAt: timestamptz('reserved_at').notNull().defaultNow(),
    startedAt: timestamptz('started_at'),
    /** The id the winning start call sent: that caller's retry of the same start is answered again. */
    startAttempt: text('start_attempt'),
    settledAt: timestamptz('settled_at'),
    releasedAt: timestamptz('released_at'),
    releaseReason: text('release_reason').$type<RunReleaseReason>(),
    /** Set when the outcome needs a human: e.g. the agent backend never confirmed the start. */
    reviewReason: text('review_reason'),
  },
  (t) => [
    primaryKey({ name: 'usage_ledger_pkey', columns: [t.accountId, t.id] }),
    // One key check per row, tenant included: the run's period belongs to the same account (and the
    // period row references the account).
    foreignKey({
      name: 'usage_ledger_period_fk',
      columns: [t.accountId, t.periodId],
      foreignColumns: [usagePeriods.accountId, usagePeriods.id],
    }).onDelete('cascade'),
    unique('usage_ledger_account_id_run_id_unique').on(t.accountId, t.runId),
    index('usage_ledger_period_id_idx').on(t.periodId),
    // Freed allowance takes over the newest overage of the period (overage-rebalance.ts): a few rows
    // read per give-back, however many of the period's runs hold overage.
    index('usage_ledger_period_overage_idx')
      .on(t.accountId, t.periodId, t.reservedAt.desc(), t.runId.desc())
      .where(sql`${t.unitsOverage} > 0`),
    // The sweeper's scan: runs still reserved, oldest first.
    index('usage_ledger_reserved_at_idx')
      .on(t.reservedAt)
      .where(sql`${t.state} = 'reserved'`),
    check('usage_ledger_state_valid', sql`${t.state} in ('reserved', 'started', 'settled', 'released')`),
    check('usage_ledger_actor_kind_valid', sql`${t.actorKind} in ('user', 'service', 'internal', 'legacy')`),
    check('usage_ledger_units_positive', sql`${t.unitsReserved} > 0`),
    check('usage_ledger_units_settled_valid', sql`${t.unitsSettled} is null or ${t.unitsSettled} >= 0`),
    check('usage_ledger_units_from_allowance_valid', sql`${t.unitsFromAllowance} >= 0`),
    check('usage_ledger_units_overage_valid', sql`${t.unitsOverage} >= 0`),
    // Each state carries the timestamps of the transitions that led to it, and only those. A started
    // run is released only when the agent backend proved it never started (Tollgate's own path).
    check(
      'usage_ledger_transitions_consistent',
      sql`(${t.state} = 'reserved' and ${t.startedAt} is null and ${t.releasedAt} is null and ${t.settledAt} is null)
        or (${t.state} = 'started' and ${t.startedAt} is not null and ${t.releasedAt} is null and ${t.settledAt} is null)
        or (${t.state} = 'settled' and ${t.startedAt} is not null and ${t.settledAt} is not null and ${t.releasedAt} is null)
        or (${t.state} = 'released' and ${t.releasedAt} is not null and ${t.releaseReason} is not null and ${t.settledAt} is null
          and (${t.startedAt} is null or ${t.releaseReason} = 'backend_not_started'))`,
    ),
  ],
);

export type UsageLedgerRow = typeof usageLedger.$inferSelect;
export type NewUsageLedgerRow = typeof usageLedger.$inferInsert;
