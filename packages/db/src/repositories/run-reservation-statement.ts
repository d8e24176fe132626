import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import type { RunActorKind, RunState } from '../schema';

/** One run to decide (distinct (tenant, run id) within a statement). */
export interface RunToDecide {
  userId: string;
  runId: string;
  periodStart: Date;
  units: number;
  isBlocked: boolean;
  fingerprint: string;
  actor: { kind: RunActorKind; id: string };
  now: Date;
}

/** What the statement decided for one run (rows in input order). */
export interface RunDecisionRow {
  periodId: string;
  isBlocked: boolean;
  priorState: RunState | null;
  priorFingerprint: string | null;
  isAdmitted: boolean;
  /** Admitted and its ledger row inserted by this statement (false: a concurrent statement claimed it). */
  isClaimed: boolean;
  units: number;
  /** The period's counter and limit as locked by this statement, before its own admissions. */
  usedBefore: number;
  runLimit: number;
}

interface StatementRow extends Record<string, unknown> {
  is_claim: boolean;
  ord: number | null;
  period_id: string | null;
  is_blocked: boolean | null;
  prior_state: RunState | null;
  prior_fingerprint: string | null;
  is_admitted: boolean | null;
  units: number | null;
  used: number | null;
  run_limit: number | null;
  user_id: string | null;
  run_id: string | null;
}

/**
 * Decides a batch of distinct runs in ONE statement (atomic on its own: no transaction, one round
 * trip). Returns, by position, the decision of every run whose period row exists; the others are
 * absent (create their period rows, then decide them again).
 */
export async function decideRuns(
  db: Database,
  runs: readonly RunToDecide[],
): Promise<Map<number, RunDecisionRow>> {
  const rows = await queryRows<StatementRow>(db, reserveStatement(runs));
  const claimed = new Set(
    rows.filter((row) => row.is_claim).map((row) => runKey(row.user_id ?? '', row.run_id ?? '')),
  );
  const decided = new Map<number, RunDecisionRow>();
  for (const row of rows) {
    if (row.is_claim) continue;
    const position = Number(row.ord) - 1;
    const run = runs[position];
    if (!run) throw new Error('decideRuns: answer for an unknown position');
    const isAdmitted = row.is_admitted === true;
    decided.set(position, {
      periodId: row.period_id ?? '',
      isBlocked: row.is_blocked === true,
      priorState: row.prior_state,
      priorFingerprint: row.prior_fingerprint,
      isAdmitted,
      isClaimed: isAdmitted && claimed.has(runKey(run.userId, run.runId)),
      units: Number(row.units),
      usedBefore: Number(row.used),
      runLimit: Number(row.run_limit),
    });
  }
  return decided;
}

/**
 * The statement (exported for EXPLAIN in benchmarks):
 * - `periods`: lock the counter rows in (tenant, start) order, FOR NO KEY UPDATE (the lock an UPDATE
 *   takes; FOR UPDATE would also block the ledger's foreign-key checks). Under READ COMMITTED a row
 *   that was waited for is re-read at its newest version, so `used` and `run_limit` are current.
 * - `prior`: ledger rows these run ids already have (a retry, or a reuse with another fingerprint).
 *   They come from the statement's snapshot, which may predate a concurrent claim: `claimed` detects
 *   that for admitted runs, `findStoredRuns` for refused ones.
 * - `ranked`: new runs of unblocked tenants are candidates, admitted while the running sum of their
 *   units in input order fits in `run_limit - used`. With one unit per run that is exactly what
 *   reserving them one by one admits; with larger units, one that doesn't fit also stops the smaller
 *   ones after it (deterministic, and never over the limit).
 * - `claimed`: the admitted runs' ledger rows, sorted, ON CONFLICT DO NOTHING; `counted`: each
 *   period's counter += what was claimed.
 * The answer is one row per run, then one per run id claimed: not a join of the two, which with the
 * planner's guess of one claimed row would compare every pair.
 */
export function reserveStatement(runs: readonly RunToDecide[]): SQL {
  return sql`
    with input as materialized (
      select i.user_id, i.run_id, i.period_start, i.units, i.fingerprint, i.actor_kind, i.actor_id,
        i.is_blocked, i.at, i.ord::int as ord
      from unnest(
        ${sql.param(runs.map((r) => r.userId))}::text[],
        ${sql.param(runs.map((r) => r.runId))}::text[],
        ${sql.param(runs.map((r) => r.periodStart.toISOString()))}::timestamptz[],
        ${sql.param(runs.map((r) => r.units))}::int[],
        ${sql.param(runs.map((r) => r.fingerprint))}::text[],
        ${sql.param(runs.map((r) => r.actor.kind))}::text[],
        ${sql.param(runs.map((r) => r.actor.id))}::text[],
        ${sql.param(runs.map((r) => r.isBlocked))}::boolean[],
        ${sql.param(runs.map((r) => r.now.toISOString()))}::timestamptz[]
      ) with ordinality as i(user_id, run_id, period_start, units, fingerprint, actor_kind, actor_id,
        is_blocked, at, ord)
    ),
    periods as materialized (
      -- One index probe per distinct period (a scan would read every dead version the counters'
      -- updates leave behind until vacuum runs).
      select p.id, p.user_id, p.period_start, p.used, p.run_limit
      from (select distinct user_id, period_start from input) k
      cross join lateral (
        select * from usage_periods p
        where p.user_id = k.user_id and p.period_start = k.period_start
      ) p
      order by p.user_id, p.period_start
      for no key update of p
    ),
    prior as materialized (
      select l.user_id, l.run_id, l.fingerprint, l.state
      from usage_ledger l
      join input i on l.user_id = i.user_id and l.run_id = i.run_id
    ),
    ranked as materialized (
      select i.ord, i.user_id, i.run_id, i.units, i.fingerprint, i.actor_kind, i.actor_id, i.at,
        i.is_blocked, p.id as period_id, p.used, p.run_limit,
        pr.state as prior_state, pr.fingerprint as prior_fingerprint,
        pr.run_id is null and not i.is_blocked as is_candidate,
        sum(case when pr.run_id is null and not i.is_blocked then i.units else 0 end)
          over (partition by p.id order by i.ord) as running_units
      from input i
      join periods p on p.user_id = i.user_id and p.period_start = i.period_start
      left join prior pr on pr.user_id = i.user_id and pr.run_id = i.run_id
    ),
    claimed as (
      insert into usage_ledger
        (user_id, run_id, period_id, state, units_reserved, actor_kind, actor_id, fingerprint, reserved_at)
      select user_id, run_id, period_id, 'reserved', units, actor_kind, actor_id, fingerprint, at
      from ranked
      where is_candidate and used + running_units <= run_limit
      order by user_id, run_id
      on conflict (user_id, run_id) do nothing
      returning user_id, run_id, units_reserved, period_id
    ),
    counted as (
      update usage_periods p set used = p.used + c.units
      from (select period_id, sum(units_reserved)::int as units from claimed group by period_id) c
      where p.id = c.period_id
      returning p.id
    )
    select false as is_claim, r.ord, r.period_id, r.is_blocked, r.prior_state, r.prior_fingerprint,
      r.is_candidate and r.used + r.running_units <= r.run_limit as is_admitted, r.units, r.used,
      r.run_limit, null::text as user_id, null::text as run_id
    from ranked r
    union all
    select true, null, null, null, null, null, null, null, null, null, c.user_id, c.run_id
    from claimed c`;
}

/** Which of these runs have a ledger row now (a fresh snapshot: claims committed since are seen). */
export async function findStoredRuns(
  db: Database,
  runs: ReadonlyArray<{ userId: string; runId: string }>,
): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  const rows = await queryRows<{ user_id: string; run_id: string }>(
    db,
    sql`
      select l.user_id, l.run_id from usage_ledger l
      join unnest(
        ${sql.param(runs.map((r) => r.userId))}::text[],
        ${sql.param(runs.map((r) => r.runId))}::text[]
      ) as k(user_id, run_id) on l.user_id = k.user_id and l.run_id = k.run_id`,
  );
  return new Set(rows.map((row) => runKey(row.user_id, row.run_id)));
}

/** Creates the counter rows of these periods if missing (idempotent; sorted, so concurrent calls can't deadlock). */
export async function ensurePeriodRows(
  db: Database,
  periods: ReadonlyArray<{ userId: string; start: Date; end: Date; limit: number }>,
): Promise<void> {
  if (periods.length === 0) return;
  await db.execute(sql`
    insert into usage_periods (user_id, period_start, period_end, run_limit)
    select * from unnest(
      ${sql.param(periods.map((p) => p.userId))}::text[],
      ${sql.param(periods.map((p) => p.start.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => p.end.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => Math.max(0, p.limit)))}::int[])
    order by 1, 2
    on conflict (user_id, period_start) do nothing`);
}

/** A collision-free key of two strings (the first's length prefixes it). */
export function runKey(userId: string, second: string): string {
  return `${userId.length}:${userId}${second}`;
}
