import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { meterBatches } from '../schema';
import type { MeterBatchRow } from '../schema';
import { listMeterBatches } from './meter-batch-claims';
import { iso, lockAccountMeter, meterEventTime, periodFacts } from './meter-periods';

/** What the reconciliation compares for one (account, period): the ledger's side, batch by batch. */
export interface MeterPeriodBooks {
  accountId: string;
  periodId: string;
  start: Date;
  end: Date;
  stripeCustomerId: string | null;
  /** Σ of every journal entry of the period: the overage Stripe must bill for it. */
  ledger: number;
  /** Σ and count of the entries no batch accounts for yet. */
  unbatched: number;
  unbatchedEntries: number;
  batches: MeterBatchRow[];
}

export async function meterPeriodBooks(
  db: Database,
  ref: { accountId: string; periodId: string },
): Promise<MeterPeriodBooks | null> {
  const facts = await periodFacts(db, ref.accountId, ref.periodId);
  if (!facts) return null;
  const [sums] = await queryRows<{ ledger: number; unbatched: number; unbatched_entries: number }>(
    db,
    sql`select coalesce(sum(units), 0)::int as ledger,
          coalesce(sum(units) filter (where batch_id is null), 0)::int as unbatched,
          (count(*) filter (where batch_id is null))::int as unbatched_entries
        from overage_entries where account_id = ${ref.accountId} and period_id = ${ref.periodId}`,
  );
  return {
    ...ref,
    ...facts,
    ledger: Number(sums?.ledger ?? 0),
    unbatched: Number(sums?.unbatched ?? 0),
    unbatchedEntries: Number(sums?.unbatched_entries ?? 0),
    batches: await listMeterBatches(db, ref),
  };
}

/** A delivered batch whose meter event a cancel adjustment removed at Stripe. */
export async function markMeterBatchCanceled(
  db: Database,
  ref: { accountId: string; id: string },
): Promise<boolean> {
  const rows = await db
    .update(meterBatches)
    .set({ status: 'canceled' })
    .where(
      and(
        eq(meterBatches.accountId, ref.accountId),
        eq(meterBatches.id, ref.id),
        eq(meterBatches.status, 'delivered'),
      ),
    )
    .returning({ id: meterBatches.id });
  return rows.length > 0;
}

export type MeterPeriodSettlement =
  /** The books moved since they were read (a new entry or batch): nothing done, compare again. */
  | { outcome: 'changed' }
  /** Stripe had less: a pending `repair` batch of the difference, accounting for the unbatched entries. */
  | { outcome: 'repair'; batchId: string; value: number; stamped: number }
  /** Stripe has exactly the ledger's total (entries a cancel made Stripe account for are stamped with it). */
  | { outcome: 'matched'; stamped: number }
  /** Stripe has more and nothing more can be canceled (older than 24 h): an operator must credit it. */
  | { outcome: 'overbilled'; excess: number };

/**
 * The reconciliation's decision for a period whose Stripe total it read (after its cancels), taken under
 * the account's lock only if the books still are as it read them: same ledger total, same batches, none
 * pending. Its entries not yet in a batch are then accounted for by this decision (stamped), so a later
 * flush doesn't report them again — in the same statement that re-reads the ledger (one snapshot).
 */
export async function settleMeterPeriod(
  db: Database,
  input: {
    accountId: string;
    periodId: string;
    expected: { ledger: number; batches: number };
    stripeTotal: number;
    /** The last batch this reconciliation canceled, if any: it stands for the entries it absorbed. */
    canceledBatchId: string | null;
    eventName: string;
    now: Date;
  },
): Promise<MeterPeriodSettlement> {
  const { accountId, periodId } = input;
  const difference = input.expected.ledger - input.stripeTotal;
  if (difference < 0) return { outcome: 'overbilled', excess: -difference };
  return db.transaction(async (tx) => {
    await tx.execute(lockAccountMeter(accountId));
    const facts = await periodFacts(tx, accountId, periodId);
    const [batches] = await queryRows<{ total: number; pending: number }>(
      tx,
      sql`select count(*)::int as total, (count(*) filter (where status = 'pending'))::int as pending
          from meter_batches where account_id = ${accountId} and period_id = ${periodId}`,
    );
    const isSame = Number(batches?.total) === input.expected.batches && Number(batches?.pending) === 0;
    if (!facts?.stripeCustomerId || !isSame) return { outcome: 'changed' as const };
    const repairId = difference > 0 ? randomUUID() : null;
    const stampId = repairId ?? input.canceledBatchId;
    const [row] = await queryRows<{ ledger: number; stamped: number }>(
      tx,
      sql`with books as (
            select coalesce(sum(units), 0)::int as ledger from overage_entries
            where account_id = ${accountId} and period_id = ${periodId}),
          stamped as (
            update overage_entries set batch_id = ${stampId}
            where account_id = ${accountId} and period_id = ${periodId} and batch_id is null
              and ${stampId}::uuid is not null and (select ledger from books) = ${input.expected.ledger}
            returning id)
          select (select ledger from books) as ledger, (select count(*) from stamped)::int as stamped`,
    );
    if (Number(row?.ledger) !== input.expected.ledger) return { outcome: 'changed' as const };
    const stamped = Number(row?.stamped ?? 0);
    if (!repairId) return { outcome: 'matched' as const, stamped };
    await tx.insert(meterBatches).values({
      accountId,
      id: repairId,
      periodId,
      kind: 'repair',
      value: difference,
      stripeCustomerId: facts.stripeCustomerId,
      eventName: input.eventName,
      eventAt: meterEventTime(input.now, facts),
      createdAt: input.now,
      nextAttemptAt: input.now,
    });
    return { outcome: 'repair' as const, batchId: repairId, value: difference, stamped };
  });
}

/** The (account, period) pairs with overage whose period ended after `endedAfter` (or is still open). */
export async function listMeteredPeriods(
  db: Database,
  options: { endedAfter: Date; limit?: number },
): Promise<{ accountId: string; periodId: string }[]> {
  const rows = await queryRows<{ account_id: string; id: string }>(
    db,
    sql`select p.account_id, p.id from usage_periods p
        where p.period_end > ${iso(options.endedAfter)}
          and exists (select 1 from overage_entries e where e.account_id = p.account_id and e.period_id = p.id)
        order by p.period_end, p.account_id limit ${options.limit ?? 1000}`,
  );
  return rows.map((row) => ({ accountId: row.account_id, periodId: row.id }));
}
