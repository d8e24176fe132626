import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { usageLedger } from '../schema';
import type { RunActorKind, RunReleaseReason, UsageLedgerRow } from '../schema';
import { finishStartedRunUnconfirmed } from './agent-runs';
import { returnRunUnits, type RunHolding } from './run-holdings';
import { drawRunUnits } from './run-overrun-draws';

/**
 * The run lifecycle's transitions after `reserveRuns`. Each is ONE conditional statement on the run's
 * ledger row (`… WHERE state = <from>`), so of any number of concurrent attempts exactly one moves it;
 * the others are told why not from the row as it is.
 */

/** A run is named by its account and run id (run ids are unique per account). */
export interface RunRef {
  accountId: string;
  runId: string;
}

export interface RunActor {
  kind: RunActorKind;
  id: string;
}

/** Why a transition did not happen, read from the row after the conditional statement missed. */
export type TransitionRefusal = 'not_found' | 'other_actor' | 'started' | 'settled' | 'released' | 'reserved';

export type TransitionResult =
  | { ok: true; entry: UsageLedgerRow }
  | { ok: false; reason: TransitionRefusal; entry: UsageLedgerRow | null };

export async function findLedgerEntry(db: Database, ref: RunRef): Promise<UsageLedgerRow | null> {
  const [row] = await db
    .select()
    .from(usageLedger)
    .where(and(eq(usageLedger.accountId, ref.accountId), eq(usageLedger.runId, ref.runId)))
    .limit(1);
  return row ?? null;
}

/**
 * `reserved → started`: the one way work may start. Only the actor that reserved the run may start
 * it. Succeeds once per run id, ever; a released run (timed out, or released by its service) can't.
 * `attempt` (an id the caller makes per start call and resends on retry) lets a caller whose answer
 * was lost ask again: the same attempt gets `isRetry` success, any other start is refused.
 */
export async function startRun(
  db: Database,
  ref: RunRef & { actor: RunActor; now: Date; attempt?: string },
): Promise<TransitionResult & { isRetry?: boolean }> {
  const [entry] = await db
    .update(usageLedger)
    .set({ state: 'started', startedAt: ref.now, startAttempt: ref.attempt ?? null })
    .where(and(...refAndActor(ref, ref.actor), eq(usageLedger.state, 'reserved')))
    .returning();
  if (entry) return { ok: true, entry };
  const refused = await refusal(db, ref, ref.actor);
  const isSameAttempt =
    !refused.ok &&
    refused.entry !== null &&
    ref.attempt !== undefined &&
    refused.reason !== 'other_actor' &&
    refused.entry.startAttempt === ref.attempt;
  if (isSameAttempt && refused.entry) return { ok: true, entry: refused.entry, isRetry: true };
  return refused;
}

/** What a settle asks: `actual` units (default: the estimate that was reserved). */
export interface SettleRequest extends RunRef {
  /** The reserving caller (null: Tollgate itself — its sessions and the settle sweeper). */
  actor: RunActor | null;
  actual?: number;
  now: Date;
  /** The price per overage run when the account's plan bills overage: an overrun may draw overage. */
  overagePrice?: string | null;
  /**
   * The period in force at `now` and its limit (the caller's entitlement, as for a reservation): what
   * an overrun can't get from the run's own period is drawn there. Omitted: read from the period rows
   * (see RunHolding.periodInForce).
   */
  periodInForce?: { start: Date; end: Date; limit: number } | null;
}

/**
 * `started → settled`: the work finished and cost `actual` units. Below the estimate, the rest goes
 * back to the buckets it came from (last drawn first); above it, the overrun is drawn from what the
 * balance still holds, never beyond (units_settled says what was charged, units_actual what was asked):
 * from the run's own period while it is in force, else what that period can't cover from the period in
 * force, as a reservation made now (drawRunUnits). One transaction; the conditional UPDATE makes it once.
 */
export async function settleRun(db: Database, request: SettleRequest): Promise<TransitionResult> {
  const settled = await db.transaction(async (tx) => {
    const actorCondition = request.actor ? refAndActor(request, request.actor) : refOf(request);
    const [entry] = await tx
      .update(usageLedger)
      .set({
        state: 'settled',
        settledAt: request.now,
        unitsSettled: sql`${usageLedger.unitsReserved}`,
        unitsActual: request.actual ?? null,
      })
      .where(and(...actorCondition, eq(usageLedger.state, 'started')))
      .returning();
    if (!entry) return null;
    const actual = request.actual ?? entry.unitsReserved;
    if (actual === entry.unitsReserved) return entry;
    const holding = {
      ...holdingOf(entry, request.now),
      overagePrice: request.overagePrice ?? null,
      periodInForce: request.periodInForce ?? null,
    };
    const charged =
      actual < entry.unitsReserved
        ? entry.unitsReserved - (await returnRunUnits(tx, holding, entry.unitsReserved - actual))
        : entry.unitsReserved + (await drawRunUnits(tx, holding, actual - entry.unitsReserved));
    const [final] = await tx
      .update(usageLedger)
      .set({ unitsSettled: charged })
      .where(and(...refOf(request)))
      .returning();
    return final ?? entry;
  });
  if (settled) return { ok: true, entry: settled };
  return refusal(db, request, request.actor);
}

/** Marks a started run for operators (e.g. the agent backend's answer was lost); its charge stays. */
export async function flagRunForReview(db: Database, ref: RunRef & { reason: string }): Promise<void> {
  await db
    .update(usageLedger)
    .set({ reviewReason: ref.reason })
    .where(and(...refOf(ref)));
}

/**
 * `reserved → released`, and every unit the run holds goes back to where it came from (its period's
 * allowance, the grants it drew), in ONE transaction: the conditional UPDATE is what makes it once.
 * `actor` null = Tollgate itself (any reserver). `from: 'started'` is only for Tollgate's own sessions,
 * when the agent backend proved the run never started (reason `backend_not_started`; the table's
 * CHECK refuses any other reason).
 */
export async function releaseRun(
  db: Database,
  ref: RunRef & {
    actor: RunActor | null;
    reason: RunReleaseReason;
    now: Date;
    from?: 'reserved' | 'started';
  },
): Promise<TransitionResult> {
  const released = await db.transaction(async (tx) => {
    const actorCondition = ref.actor ? refAndActor(ref, ref.actor) : refOf(ref);
    const [entry] = await tx
      .update(usageLedger)
      .set({ state: 'released', releasedAt: ref.now, releaseReason: ref.reason })
      .where(and(...actorCondition, eq(usageLedger.state, ref.from ?? 'reserved')))
      .returning();
    if (!entry) return null;
    await returnRunUnits(tx, holdingOf(entry, ref.now), entry.unitsReserved);
    return (await findLedgerEntry(tx, ref)) ?? entry;
  });
  if (released) return { ok: true, entry: released };
  return refusal(db, ref, ref.actor);
}

export interface SweptRun extends RunRef {
  /** The member the run was for. */
  userId: string;
  reservedAt: Date;
}

/**
 * Releases runs reserved before `reservedBefore` and never started (the caller crashed, or gave up),
 * at most `limit` of them, each in its own transaction through `releaseRun`: its conditional UPDATE
 * makes the release once however many sweepers (in however many processes) pick the same run, and a
 * run being started right now is left to that start. Returns the runs this call released.
 */
export async function sweepUnstartedRuns(
  db: Database,
  input: { reservedBefore: Date; now: Date; limit: number },
): Promise<SweptRun[]> {
  const due = await queryRows<{ account_id: string; run_id: string }>(
    db,
    sql`
      select account_id, run_id from usage_ledger
      where state = 'reserved' and reserved_at < ${input.reservedBefore.toISOString()}::timestamptz
      order by reserved_at
      limit ${input.limit}`,
  );
  const swept: SweptRun[] = [];
  for (const run of due) {
    const ref = { accountId: run.account_id, runId: run.run_id };
    const result = await releaseRun(db, { ...ref, actor: null, reason: 'start_timeout', now: input.now });
    if (result.ok) swept.push({ ...ref, userId: result.entry.userId, reservedAt: result.entry.reservedAt });
  }
  return swept;
}

/**
 * Settles at their estimate the runs started before `startedBefore` and never settled (their caller
 * never said what they cost), at most `limit`, each through `settleRun` (once, however many sweep); a
 * session run whose record still says `started` is finished `unconfirmed` and flagged in the same
 * transaction. Returns how many this call settled.
 */
export async function sweepUnsettledRuns(
  db: Database,
  input: { startedBefore: Date; now: Date; limit: number },
): Promise<RunRef[]> {
  const due = await queryRows<{ account_id: string; run_id: string }>(
    db,
    sql`
      select account_id, run_id from usage_ledger
      where state = 'started' and started_at < ${input.startedBefore.toISOString()}::timestamptz
      order by started_at
      limit ${input.limit}`,
  );
  const settled: RunRef[] = [];
  for (const run of due) {
    const ref = { accountId: run.account_id, runId: run.run_id };
    const isSettled = await db.transaction(async (tx) => {
      const result = await settleRun(tx, { ...ref, actor: null, now: input.now });
      if (!result.ok) return false;
      // A session run never got the agent's answer recorded: its record is finished as unconfirmed and
      // flagged, as for an agent that never confirmed (docs/agent-backend.md).
      if (await finishStartedRunUnconfirmed(tx, ref, input.now)) {
        await flagRunForReview(tx, { ...ref, reason: 'backend_outcome_unknown' });
      }
      return true;
    });
    if (isSettled) settled.push(ref);
  }
  return settled;
}

function holdingOf(entry: UsageLedgerRow, now: Date): RunHolding {
  return {
    accountId: entry.accountId,
    runId: entry.runId,
    userId: entry.userId,
    periodId: entry.periodId,
    now,
  };
}

function refOf(ref: RunRef) {
  return [eq(usageLedger.accountId, ref.accountId), eq(usageLedger.runId, ref.runId)];
}

function refAndActor(ref: RunRef, actor: RunActor) {
  return [...refOf(ref), eq(usageLedger.actorKind, actor.kind), eq(usageLedger.actorId, actor.id)];
}

async function refusal(db: Database, ref: RunRef, actor: RunActor | null): Promise<TransitionResult> {
  const entry = await findLedgerEntry(db, ref);
  if (!entry) return { ok: false, reason: 'not_found', entry: null };
  if (actor && (entry.actorKind !== actor.kind || entry.actorId !== actor.id)) {
    return { ok: false, reason: 'other_actor', entry };
  }
  return { ok: false, reason: entry.state, entry };
}
