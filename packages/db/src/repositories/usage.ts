import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { usageLedger, usagePeriods } from '../schema';

/** Units counted in the period starting at `periodStart` (0 when nothing was reserved yet). */
export async function getUsage(db: Database, accountId: string, periodStart: Date): Promise<number> {
  const [row] = await db
    .select({ used: usagePeriods.used })
    .from(usagePeriods)
    .where(and(eq(usagePeriods.accountId, accountId), eq(usagePeriods.periodStart, periodStart)))
    .limit(1);
  return row?.used ?? 0;
}

/** Ledger rows that hold units in the period starting at `periodStart` (released ones excluded). */
export async function countChargedRuns(db: Database, accountId: string, periodStart: Date): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(usageLedger)
    .innerJoin(
      usagePeriods,
      and(eq(usagePeriods.accountId, usageLedger.accountId), eq(usagePeriods.id, usageLedger.periodId)),
    )
    .where(
      and(
        eq(usageLedger.accountId, accountId),
        eq(usagePeriods.periodStart, periodStart),
        inArray(usageLedger.state, ['reserved', 'started', 'settled']),
      ),
    );
  return row?.total ?? 0;
}

export interface PeriodLimitChange {
  accountId: string;
  /** The period in force under the new plan, and its limit. */
  period: { start: Date; end: Date };
  limit: number;
  /**
   * The period that was in force under the old plan, when it is another one that can never be in force
   * again (a paid or trial period): it is closed (its limit lowered to what it used), so a request
   * still holding the old plan can't reserve in it any more.
   */
  previousPeriodStart: Date | null;
}

/**
 * Writes a plan change where admission reads it: the period row's run limit, under that row's lock
 * (the UPDATE / upsert takes it), so a reservation running at the same time is decided either wholly
 * before (old limit) or wholly after (new limit), never past the new one. Call it in the transaction
 * that stores the new plan, after any network call.
 *
 * When it closes a previous period, it first locks both rows in one statement, in (account, start)
 * order, as reservations and settles do. Closing the previous row, then writing the new one, locked
 * them by descending start when the new period began first (a cancel-now back to a FREE period older
 * than the paid one), and an overrun settled meanwhile, holding the FREE row and waiting for the paid
 * one, deadlocked with it (period-limit-deadlock.test.ts). Such an earlier new row is made first when
 * missing, as a reservation or a settle would make it: one that another transaction inserted while the
 * lock statement waited would be missed by it, and locked last by the upsert. A new row that begins
 * after the previous one is left to the upsert, which locks it last: made first, it would be locked
 * before the previous row, against the order, by a settle that holds the previous row and makes it.
 */
export async function applyPeriodLimit(
  db: Database,
  change: PeriodLimitChange,
): Promise<{ usedAtChange: number }> {
  const { accountId, period, limit, previousPeriodStart } = change;
  if (previousPeriodStart && previousPeriodStart.getTime() !== period.start.getTime()) {
    // Only when the new period began first: made after the previous row's lock, it would be locked
    // last. A later new row made by the upsert below is locked last anyway, which is its order.
    if (period.start.getTime() < previousPeriodStart.getTime()) {
      await db
        .insert(usagePeriods)
        .values({ accountId, periodStart: period.start, periodEnd: period.end, runLimit: Math.max(0, limit) })
        .onConflictDoNothing({ target: [usagePeriods.accountId, usagePeriods.periodStart] });
    }
    await db
      .select({ id: usagePeriods.id })
      .from(usagePeriods)
      .where(
        and(
          eq(usagePeriods.accountId, accountId),
          inArray(usagePeriods.periodStart, [previousPeriodStart, period.start]),
        ),
      )
      .orderBy(usagePeriods.accountId, usagePeriods.periodStart)
      .for('no key update');
    await db
      .update(usagePeriods)
      .set({ runLimit: sql`least(${usagePeriods.runLimit}, ${usagePeriods.used})` })
      .where(and(eq(usagePeriods.accountId, accountId), eq(usagePeriods.periodStart, previousPeriodStart)));
  }
  const [row] = await db
    .insert(usagePeriods)
    .values({ accountId, periodStart: period.start, periodEnd: period.end, runLimit: Math.max(0, limit) })
    .onConflictDoUpdate({
      target: [usagePeriods.accountId, usagePeriods.periodStart],
      set: { runLimit: Math.max(0, limit) },
    })
    .returning({ used: usagePeriods.used });
  // What the period had used when the new limit took hold: runs admitted before it stay admitted.
  return { usedAtChange: row?.used ?? 0 };
}
