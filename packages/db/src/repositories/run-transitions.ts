import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { usageLedger } from '../schema';
import type { RunActorKind, RunReleaseReason, UsageLedgerRow } from '../schema';

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

/** `started → settled`: the work finished; it cost `units` (default: what was reserved). */
export async function settleRun(
  db: Database,
  ref: RunRef & { now: Date; units?: number },
): Promise<TransitionResult> {
  const [entry] = await db
    .update(usageLedger)
    .set({
      state: 'settled',
      settledAt: ref.now,
      unitsSettled: ref.units ?? sql`${usageLedger.unitsReserved}`,
    })
    .where(and(...refOf(ref), eq(usageLedger.state, 'started')))
    .returning();
  if (entry) return { ok: true, entry };
  return refusal(db, ref, null);
}

/** Marks a started run for operators (e.g. the agent backend's answer was lost); its charge stays. */
export async function flagRunForReview(db: Database, ref: RunRef & { reason: string }): Promise<void> {
  await db
    .update(usageLedger)
    .set({ reviewReason: ref.reason })
    .where(and(...refOf(ref)));
}

/**
 * `reserved → released`, and the units go back to the run's own period counter, in ONE statement:
 * the conditional UPDATE is what makes it once. `actor` null = Tollgate itself (any reserver).
 * `from: 'started'` is only for Tollgate's own sessions, when the agent backend proved the run never
 * started (reason `backend_not_started`; the table's CHECK refuses any other reason).
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
  const actorCondition = ref.actor
    ? sql`and actor_kind = ${ref.actor.kind} and actor_id = ${ref.actor.id}`
    : sql``;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`
      with released as (
        update usage_ledger
        set state = 'released', released_at = ${ref.now.toISOString()}::timestamptz,
          release_reason = ${ref.reason}
        where account_id = ${ref.accountId} and run_id = ${ref.runId} and state = ${ref.from ?? 'reserved'}
          ${actorCondition}
        returning id, account_id, user_id, period_id, units_reserved
      ), refunded as (
        update usage_periods p set used = p.used - r.units_reserved
        from released r where p.account_id = r.account_id and p.id = r.period_id
        returning p.id
      ), member_refunded as (
        -- After the period (it joins refunded's answer): the lock order of reservations.
        update member_usage_periods m set used = m.used - r.units_reserved
        from released r join refunded p on p.id = r.period_id
        where m.account_id = r.account_id and m.period_id = r.period_id and m.user_id = r.user_id
        returning m.user_id
      )
      -- refunded and member_refunded run although unread: a data-modifying WITH always runs to completion.
      select id from released`,
  );
  if (rows.length > 0) {
    const entry = await findLedgerEntry(db, ref);
    if (entry) return { ok: true, entry };
  }
  return refusal(db, ref, ref.actor);
}

export interface SweptRun extends RunRef {
  /** The member the run was for. */
  userId: string;
  reservedAt: Date;
}

/**
 * Releases runs reserved before `reservedBefore` and never started (the caller crashed, or gave up),
 * at most `limit` of them. One statement: rows are taken with FOR UPDATE SKIP LOCKED, so sweepers in
 * several processes never release the same run twice, and a run being started right now is left to
 * that start.
 */
export async function sweepUnstartedRuns(
  db: Database,
  input: { reservedBefore: Date; now: Date; limit: number },
): Promise<SweptRun[]> {
  const rows = await queryRows<{
    account_id: string;
    user_id: string;
    run_id: string;
    reserved_at: Date | string;
  }>(
    db,
    sql`
      with due as (
        select account_id, id from usage_ledger
        where state = 'reserved' and reserved_at < ${input.reservedBefore.toISOString()}::timestamptz
        order by reserved_at
        limit ${input.limit}
        for update skip locked
      ), released as (
        update usage_ledger l
        set state = 'released', released_at = ${input.now.toISOString()}::timestamptz,
          release_reason = 'start_timeout'
        from due where l.account_id = due.account_id and l.id = due.id and l.state = 'reserved'
        returning l.account_id, l.user_id, l.run_id, l.reserved_at, l.period_id, l.units_reserved
      ), periods as (
        -- The counters are locked in the order reservations lock them (tenant, start): a sweep and a
        -- reservation, or two sweeps, never wait for each other in a cycle.
        select p.account_id, p.id from usage_periods p
        where (p.account_id, p.id) in (select account_id, period_id from released)
        order by p.account_id, p.period_start
        for no key update
      ), refunded as (
        update usage_periods p set used = p.used - r.units
        from (
          select r.account_id, r.period_id, sum(r.units_reserved)::int as units
          from released r join periods locked on locked.account_id = r.account_id and locked.id = r.period_id
          group by r.account_id, r.period_id
        ) r
        where p.account_id = r.account_id and p.id = r.period_id
        returning p.id
      ), member_refunded as (
        -- After the periods (it joins refunded's answer): the lock order of reservations.
        update member_usage_periods m set used = m.used - r.units
        from (
          select r.account_id, r.period_id, r.user_id, sum(r.units_reserved)::int as units
          from released r join refunded p on p.id = r.period_id
          group by r.account_id, r.period_id, r.user_id
        ) r
        where m.account_id = r.account_id and m.period_id = r.period_id and m.user_id = r.user_id
        returning m.user_id
      )
      select account_id, user_id, run_id, reserved_at from released`,
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    userId: row.user_id,
    runId: row.run_id,
    reservedAt: new Date(row.reserved_at),
  }));
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
