import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { meterBatches } from '../schema';
import type { MeterBatchRow } from '../schema';
import { listMeterBatches } from './meter-batch-claims';
import { groupWindow, hasSameMembers, meterPeriodGroup } from './meter-period-groups';
import type { MeterPeriodSpan } from './meter-period-groups';
import { iso, lockAccountMeter, meterEventTime, periodFacts } from './meter-periods';

export { groupWindow, meterPeriodGroup, overlappingGroup } from './meter-period-groups';
export type { MeterPeriodSpan } from './meter-period-groups';

/**
 * What the reconciliation compares for one (account, period): the ledger's side, batch by batch, over the
 * period's group (the account's periods overlapping it, see `overlappingGroup`), because Stripe's total
 * over any one of their windows also holds the others' events.
 */
export interface MeterPeriodBooks {
  accountId: string;
  periodId: string;
  /** The period's own bounds. */
  start: Date;
  end: Date;
  stripeCustomerId: string | null;
  /** The period and every period overlapping it (itself alone, mostly), each with its ledger. */
  periods: (MeterPeriodSpan & { ledger: number })[];
  /** Where Stripe's total for the group is read: every event of its periods is stamped inside it. */
  window: { start: Date; end: Date };
  /** Σ of every journal entry of the group's periods: the overage Stripe must bill for them. */
  ledger: number;
  /** Σ and count of the entries no batch accounts for yet. */
  unbatched: number;
  unbatchedEntries: number;
  /** The group's batches, oldest first. */
  batches: MeterBatchRow[];
}

const ids = (periodIds: readonly string[]) => sql`${sql.param(periodIds)}::uuid[]`;

export async function meterPeriodBooks(
  db: Database,
  ref: { accountId: string; periodId: string },
): Promise<MeterPeriodBooks | null> {
  const facts = await periodFacts(db, ref.accountId, ref.periodId);
  const group = await meterPeriodGroup(db, ref.accountId, ref.periodId);
  if (!facts || group.length === 0) return null;
  const periodIds = group.map((period) => period.periodId);
  const sums = await queryRows<{
    period_id: string;
    ledger: number;
    unbatched: number;
    unbatched_entries: number;
  }>(
    db,
    sql`select period_id, coalesce(sum(units), 0)::int as ledger,
          coalesce(sum(units) filter (where batch_id is null), 0)::int as unbatched,
          (count(*) filter (where batch_id is null))::int as unbatched_entries
        from overage_entries where account_id = ${ref.accountId} and period_id = any(${ids(periodIds)})
        group by period_id`,
  );
  const total = (key: 'ledger' | 'unbatched' | 'unbatched_entries') =>
    sums.reduce((sum, row) => sum + Number(row[key]), 0);
  return {
    ...ref,
    ...facts,
    periods: group.map((period) => ({
      ...period,
      ledger: Number(sums.find((row) => row.period_id === period.periodId)?.ledger ?? 0),
    })),
    window: groupWindow(group),
    ledger: total('ledger'),
    unbatched: total('unbatched'),
    unbatchedEntries: total('unbatched_entries'),
    batches: await listMeterBatches(db, { accountId: ref.accountId, periodIds }),
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
 * The reconciliation's decision for a period's group whose Stripe total it read (after its cancels),
 * taken under the account's lock only if the books still are as it read them: same group of periods,
 * same ledger total, same batches, none pending. The group's entries not yet in a batch are then
 * accounted for by this decision (stamped), so a later flush doesn't report them again — in the same
 * statement that re-reads the ledger (one snapshot). A repair goes to the group's period whose ledger
 * its delivered batches cover least (the one whose batch was lost or canceled), stamped inside it.
 */
export async function settleMeterPeriod(
  db: Database,
  input: {
    accountId: string;
    periodId: string;
    /** `periods`: the group's period ids as read (checked when given). */
    expected: { ledger: number; batches: number; periods?: readonly string[] };
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
    const group = await meterPeriodGroup(tx, accountId, periodId);
    const periodIds = group.map((period) => period.periodId);
    const isSameGroup =
      group.length > 0 && (!input.expected.periods || hasSameMembers(input.expected.periods, periodIds));
    const [batches] = await queryRows<{ total: number; pending: number }>(
      tx,
      sql`select count(*)::int as total, (count(*) filter (where status = 'pending'))::int as pending
          from meter_batches where account_id = ${accountId} and period_id = any(${ids(periodIds)})`,
    );
    const isSame =
      isSameGroup && Number(batches?.total) === input.expected.batches && Number(batches?.pending) === 0;
    if (!facts?.stripeCustomerId || !isSame) return { outcome: 'changed' as const };
    const repairId = difference > 0 ? randomUUID() : null;
    const stampId = repairId ?? input.canceledBatchId;
    const [row] = await queryRows<{ ledger: number; stamped: number }>(
      tx,
      sql`with books as (
            select coalesce(sum(units), 0)::int as ledger from overage_entries
            where account_id = ${accountId} and period_id = any(${ids(periodIds)})),
          stamped as (
            update overage_entries set batch_id = ${stampId}
            where account_id = ${accountId} and period_id = any(${ids(periodIds)}) and batch_id is null
              and ${stampId}::uuid is not null and (select ledger from books) = ${input.expected.ledger}
            returning id)
          select (select ledger from books) as ledger, (select count(*) from stamped)::int as stamped`,
    );
    if (Number(row?.ledger) !== input.expected.ledger) return { outcome: 'changed' as const };
    const stamped = Number(row?.stamped ?? 0);
    if (!repairId) return { outcome: 'matched' as const, stamped };
    const repairPeriod = await mostUncovered(tx, accountId, group, periodId);
    await tx.insert(meterBatches).values({
      accountId,
      id: repairId,
      periodId: repairPeriod.periodId,
      kind: 'repair',
      value: difference,
      stripeCustomerId: facts.stripeCustomerId,
      eventName: input.eventName,
      eventAt: meterEventTime(input.now, repairPeriod),
      createdAt: input.now,
      nextAttemptAt: input.now,
    });
    return { outcome: 'repair' as const, batchId: repairId, value: difference, stamped };
  });
}

/** The group's period whose ledger its delivered batches cover least (ties: `periodId`, else the latest). */
async function mostUncovered(
  db: Database,
  accountId: string,
  group: readonly MeterPeriodSpan[],
  periodId: string,
): Promise<MeterPeriodSpan> {
  const rows = await queryRows<{ period_id: string; uncovered: number }>(
    db,
    sql`select p.id as period_id,
          (select coalesce(sum(e.units), 0) from overage_entries e
           where e.account_id = p.account_id and e.period_id = p.id)::int
          - (select coalesce(sum(b.value), 0) from meter_batches b
             where b.account_id = p.account_id and b.period_id = p.id and b.status = 'delivered')::int
          as uncovered
        from usage_periods p where p.account_id = ${accountId} and p.id = any(${ids(group.map((g) => g.periodId))})`,
  );
  const uncovered = (id: string) => Number(rows.find((row) => row.period_id === id)?.uncovered ?? 0);
  let best = group.find((period) => period.periodId === periodId) ?? group.at(-1);
  if (!best) throw new Error('settleMeterPeriod: an empty group');
  for (const period of [...group].reverse()) {
    if (uncovered(period.periodId) > uncovered(best.periodId)) best = period;
  }
  return best;
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
