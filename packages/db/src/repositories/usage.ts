import { and, count, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { usageLedger, usagePeriods } from '../schema';

export type ConsumeOutcome = 'consumed' | 'replayed' | 'limit_reached' | 'released';

export interface ConsumeRunInput {
  userId: string;
  /** Caller-supplied, unique per user: the idempotency key of the charge. */
  runId: string;
  /** The usage period in force; its start identifies the counter row. */
  period: { start: Date; end: Date };
  limit: number;
  now: Date;
}

export interface ConsumeRunResult {
  outcome: ConsumeOutcome;
  /** The period's counter after the call (unchanged unless `consumed`). */
  used: number;
}

export type ReleaseOutcome = 'released' | 'not_found' | 'already_released' | 'too_late';

export interface ReleaseRunInput {
  userId: string;
  runId: string;
  now: Date;
  /** How long after consumption a run may still be refunded. Exactly `windowMs` later is still allowed. */
  windowMs: number;
}

// Thrown inside the transaction to roll the ledger row back when the limit is reached, carrying the
// counter out of it.
class LimitReached extends Error {
  constructor(readonly used: number) {
    super('usage limit reached');
  }
}

/**
 * Check-and-consume in ONE transaction, with the decision made by PostgreSQL, never in JS:
 * 1. make sure the period's counter row exists (INSERT … ON CONFLICT DO NOTHING),
 * 2. claim the run id with a ledger row (ON CONFLICT DO NOTHING RETURNING): no row back means the id
 *    was already charged — a concurrent duplicate waits here for the first one to commit or roll back,
 * 3. `UPDATE … SET used = used + 1 WHERE used < limit RETURNING used`: the row lock serializes
 *    concurrent runs and the WHERE is the limit check. Nothing back -> roll the ledger row back.
 */
export async function consumeRun(db: Database, input: ConsumeRunInput): Promise<ConsumeRunResult> {
  const { userId, runId, period, limit, now } = input;
  try {
    return await db.transaction(async (tx) => {
      const periodId = await ensurePeriodRow(tx, userId, period);
      const claimed = await tx
        .insert(usageLedger)
        .values({ userId, runId, periodId, createdAt: now })
        .onConflictDoNothing({ target: [usageLedger.userId, usageLedger.runId] })
        .returning({ id: usageLedger.id });
      if (claimed.length === 0) {
        const [existing] = await tx
          .select({ releasedAt: usageLedger.releasedAt })
          .from(usageLedger)
          .where(and(eq(usageLedger.userId, userId), eq(usageLedger.runId, runId)));
        const used = await readUsed(tx, periodId);
        return { outcome: existing?.releasedAt ? 'released' : 'replayed', used };
      }
      const [updated] = await tx
        .update(usagePeriods)
        .set({ used: sql`${usagePeriods.used} + 1` })
        .where(and(eq(usagePeriods.id, periodId), lt(usagePeriods.used, limit)))
        .returning({ used: usagePeriods.used });
      if (!updated) throw new LimitReached(await readUsed(tx, periodId));
      return { outcome: 'consumed', used: updated.used };
    });
  } catch (error) {
    if (error instanceof LimitReached) return { outcome: 'limit_reached', used: error.used };
    throw error;
  }
}

/**
 * Refunds a run once: the ledger row is marked released by a conditional UPDATE (… WHERE released_at
 * IS NULL), and only the call that flipped it decrements the run's own period counter.
 */
export async function releaseRun(db: Database, input: ReleaseRunInput): Promise<ReleaseOutcome> {
  const { userId, runId, now, windowMs } = input;
  return db.transaction(async (tx) => {
    const [entry] = await tx
      .select()
      .from(usageLedger)
      .where(and(eq(usageLedger.userId, userId), eq(usageLedger.runId, runId)))
      .limit(1);
    if (!entry) return 'not_found';
    if (entry.releasedAt) return 'already_released';
    if (now.getTime() - entry.createdAt.getTime() > windowMs) return 'too_late';
    const [released] = await tx
      .update(usageLedger)
      .set({ releasedAt: now })
      .where(and(eq(usageLedger.id, entry.id), isNull(usageLedger.releasedAt)))
      .returning({ periodId: usageLedger.periodId });
    // A concurrent release flipped it between our read and this UPDATE.
    if (!released) return 'already_released';
    await tx
      .update(usagePeriods)
      .set({ used: sql`${usagePeriods.used} - 1` })
      .where(eq(usagePeriods.id, released.periodId));
    return 'released';
  });
}

/** Runs counted in the period starting at `periodStart` (0 when nothing was consumed yet). */
export async function getUsage(db: Database, userId: string, periodStart: Date): Promise<number> {
  const [row] = await db
    .select({ used: usagePeriods.used })
    .from(usagePeriods)
    .where(and(eq(usagePeriods.userId, userId), eq(usagePeriods.periodStart, periodStart)))
    .limit(1);
  return row?.used ?? 0;
}

/** Ledger rows (charged runs, released ones excluded) of the period starting at `periodStart`. */
export async function countChargedRuns(db: Database, userId: string, periodStart: Date): Promise<number> {
  const [row] = await db
    .select({ total: count() })
    .from(usageLedger)
    .innerJoin(usagePeriods, eq(usagePeriods.id, usageLedger.periodId))
    .where(
      and(
        eq(usageLedger.userId, userId),
        eq(usagePeriods.periodStart, periodStart),
        isNull(usageLedger.releasedAt),
      ),
    );
  return row?.total ?? 0;
}

export async function findLedgerEntry(db: Database, userId: string, runId: string) {
  const [row] = await db
    .select()
    .from(usageLedger)
    .where(and(eq(usageLedger.userId, userId), eq(usageLedger.runId, runId)))
    .limit(1);
  return row ?? null;
}

async function ensurePeriodRow(
  db: Database,
  userId: string,
  period: { start: Date; end: Date },
): Promise<string> {
  const [inserted] = await db
    .insert(usagePeriods)
    .values({ userId, periodStart: period.start, periodEnd: period.end })
    .onConflictDoNothing({ target: [usagePeriods.userId, usagePeriods.periodStart] })
    .returning({ id: usagePeriods.id });
  if (inserted) return inserted.id;
  const [existing] = await db
    .select({ id: usagePeriods.id })
    .from(usagePeriods)
    .where(and(eq(usagePeriods.userId, userId), eq(usagePeriods.periodStart, period.start)))
    .limit(1);
  if (!existing) throw new Error('consumeRun: usage period row missing after insert');
  return existing.id;
}

async function readUsed(db: Database, periodId: string): Promise<number> {
  const [row] = await db
    .select({ used: usagePeriods.used })
    .from(usagePeriods)
    .where(eq(usagePeriods.id, periodId));
  return row?.used ?? 0;
}
