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
 */
export async function applyPeriodLimit(
  db: Database,
  change: PeriodLimitChange,
): Promise<{ usedAtChange: number }> {
  const { accountId, period, limit, previousPeriodStart } = change;
  if (previousPeriodStart && previousPeriodStart.getTime() !== period.start.getTime()) {
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
