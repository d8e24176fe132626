import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import type { RunActorKind, RunState } from '../schema';

export interface ReserveRunInput {
  userId: string;
  /** Caller-supplied, unique per tenant, usable once: the idempotency key of the run. */
  runId: string;
  /** The usage period in force; its start identifies the counter row. */
  period: { start: Date; end: Date };
  /**
   * The plan's limit for this period as the caller sees it. Used only when the period row is created:
   * admission reads the limit stored on the row (a plan change writes it there under the row's lock).
   */
  limit: number;
  /** Units to reserve (1 for a run). */
  units: number;
  /** A blocked account (e.g. past due after its grace) reserves nothing; a retry still gets its answer. */
  isBlocked: boolean;
  /** Hash of who asks and for what: the same run id with another fingerprint is refused. */
  fingerprint: string;
  actor: { kind: RunActorKind; id: string };
  now: Date;
}

export type ReserveOutcome =
  /** New run: its units are counted, its ledger row is `reserved`. */
  | 'reserved'
  /** The same run id and fingerprint as before: nothing counted; `state` says where the run is. */
  | 'replayed'
  /** The run id was used for another request: nothing counted, nothing to start. */
  | 'fingerprint_mismatch'
  | 'limit_reached'
  | 'blocked';

export interface ReserveRunResult {
  outcome: ReserveOutcome;
  /** The period's counter after the call. */
  used: number;
  /** The period's run limit, as stored on its row. */
  limit: number;
  /** The ledger row's state (after the call) when one exists for this run id, else null. */
  state: RunState | null;
}

/** Rounds of the one statement before giving up (only concurrent first uses of a period or run id cost one). */
const MAX_ROUNDS = 4;

/**
 * Reserves many runs (of many tenants) at once, each answered exactly as if the runs had been
 * reserved one by one in input order. The decision is made by PostgreSQL in ONE statement (see
 * `runReserveStatement`), never read-modify-written in JS; a batch of one is the single-run path, so
 * there is one rule.
 *
 * Two things make a second round necessary, both only at first use: a period row that doesn't exist
 * yet (created, then the inputs are decided again), and a run id another statement claimed between
 * this statement's snapshot and its insert (decided again: it is then a replay or a mismatch).
 */
export async function reserveRuns(
  db: Database,
  inputs: readonly ReserveRunInput[],
): Promise<ReserveRunResult[]> {
  const results = new Array<ReserveRunResult | undefined>(inputs.length);
  let pending = inputs.map((_, i) => i);
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === MAX_ROUNDS) throw new Error('reserveRuns: runs could not be decided');
    const decided = await runReserveStatement(
      db,
      pending.map((i) => inputAt(inputs, i)),
    );
    const positionOf = new Map(pending.map((index, position) => [index, position]));
    const missingPeriods: ReserveRunInput[] = [];
    const undecided = new Set<string>();
    // Occurrences of one run id in this round, in input order: the first decides, the others follow it.
    for (const group of groupByRun(inputs, pending)) {
      const rows = group.map((index) => decided.get(positionOf.get(index) ?? -1));
      const [firstIndex, ...followers] = group as [number, ...number[]];
      const firstRow = rows[0];
      const firstInput = inputAt(inputs, firstIndex);
      const first = firstRow ? toResult(firstRow, firstInput) : null;
      if (!firstRow) missingPeriods.push(firstInput);
      if (!first) {
        undecided.add(runKey(firstInput.userId, firstInput.runId));
        continue;
      }
      results[firstIndex] = withoutStoredFingerprint(first);
      followers.forEach((index, k) => {
        const row = rows[k + 1];
        const follower = followFirst(first, firstInput, inputAt(inputs, index));
        results[index] = row ? { ...follower, used: Number(row.used_at) } : follower;
      });
    }
    if (missingPeriods.length > 0) await ensurePeriodRows(db, missingPeriods);
    pending = pending.filter((i) =>
      undecided.has(runKey(inputAt(inputs, i).userId, inputAt(inputs, i).runId)),
    );
  }
  return results.map((result) => {
    if (!result) throw new Error('reserveRuns: a run was left undecided');
    return result;
  });
}

/** Indexes of `pending`, grouped by (tenant, run id), each group in input order. */
function groupByRun(inputs: readonly ReserveRunInput[], pending: readonly number[]): number[][] {
  const groups = new Map<string, number[]>();
  for (const index of pending) {
    const input = inputAt(inputs, index);
    const key = runKey(input.userId, input.runId);
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  }
  return [...groups.values()];
}

/**
 * A later occurrence of a run id in the same call, answered as reserving it right after the first
 * would: a retry of what is stored (the first's reservation, or the row it found) or a mismatch; a
 * refused first leaves nothing stored, and the same counter refuses the later one too.
 */
function followFirst(
  first: DecidedResult,
  firstInput: ReserveRunInput,
  input: ReserveRunInput,
): ReserveRunResult {
  const result = withoutStoredFingerprint(first);
  if (result.state === null) return result;
  const stored = first.storedFingerprint ?? firstInput.fingerprint;
  return { ...result, outcome: input.fingerprint === stored ? 'replayed' : 'fingerprint_mismatch' };
}

/** A result plus, when the run id was stored before this call, that row's fingerprint. */
interface DecidedResult extends ReserveRunResult {
  storedFingerprint: string | null;
}

function withoutStoredFingerprint({
  storedFingerprint: _stored,
  ...result
}: DecidedResult): ReserveRunResult {
  return result;
}

interface DecidedRow extends Record<string, unknown> {
  ord: number;
  is_admitted: boolean;
  is_claimed: boolean;
  is_blocked: boolean;
  prior_state: RunState | null;
  prior_fingerprint: string | null;
  /** The period's counter right after this input, as if the inputs had been reserved one by one. */
  used_at: number;
  run_limit: number;
}

function toResult(row: DecidedRow, input: ReserveRunInput): DecidedResult | null {
  const base = { used: Number(row.used_at), limit: Number(row.run_limit), storedFingerprint: null };
  if (row.prior_state !== null) {
    const isSameRequest = row.prior_fingerprint === input.fingerprint;
    return {
      ...base,
      outcome: isSameRequest ? 'replayed' : 'fingerprint_mismatch',
      state: row.prior_state,
      storedFingerprint: row.prior_fingerprint,
    };
  }
  if (row.is_blocked) return { ...base, outcome: 'blocked', state: null };
  if (!row.is_admitted) return { ...base, outcome: 'limit_reached', state: null };
  // Admitted, but another statement claimed the run id after this one's snapshot: decide again.
  if (!row.is_claimed) return null;
  return { ...base, outcome: 'reserved', state: 'reserved' };
}

/**
 * The whole decision for a batch, as ONE statement (atomic on its own: no transaction, one round trip):
 * - `periods`: lock the counter rows in (tenant, start) order, FOR NO KEY UPDATE (the lock an UPDATE
 *   takes; FOR UPDATE would also block the ledger's foreign-key checks). Under READ COMMITTED a row
 *   that was waited for is re-read at its newest version, so `used` and `run_limit` are current.
 * - `prior`: ledger rows these run ids already have (a retry, or a reuse with another fingerprint).
 * - `ranked`: the first occurrence of each run id that is new and whose tenant isn't blocked is a
 *   candidate; candidates are admitted while the running sum of their units, in input order, fits in
 *   `run_limit - used`. With one unit per run that is exactly what reserving them one by one admits;
 *   with larger units, one that doesn't fit also stops the smaller ones after it (deterministic, and
 *   never over the limit).
 * - `claimed`: the admitted runs' ledger rows (sorted; ON CONFLICT DO NOTHING, so a concurrent claim
 *   of the same id is detected, never counted), `counted`: each period's counter += what was claimed.
 * - the answer: per input, the counter right after it in input order (`used_at`).
 * Inputs whose period row doesn't exist are absent from the answer.
 */
async function runReserveStatement(
  db: Database,
  inputs: readonly ReserveRunInput[],
): Promise<Map<number, DecidedRow>> {
  const rows = await queryRows<DecidedRow>(
    db,
    sql`
      with input as materialized (
        select i.user_id, i.run_id, i.period_start, i.units, i.fingerprint, i.actor_kind, i.actor_id,
          i.is_blocked, i.at, i.ord::int as ord
        from unnest(
          ${sql.param(inputs.map((i) => i.userId))}::text[],
          ${sql.param(inputs.map((i) => i.runId))}::text[],
          ${sql.param(inputs.map((i) => i.period.start.toISOString()))}::timestamptz[],
          ${sql.param(inputs.map((i) => i.units))}::int[],
          ${sql.param(inputs.map((i) => i.fingerprint))}::text[],
          ${sql.param(inputs.map((i) => i.actor.kind))}::text[],
          ${sql.param(inputs.map((i) => i.actor.id))}::text[],
          ${sql.param(inputs.map((i) => i.isBlocked))}::boolean[],
          ${sql.param(inputs.map((i) => i.now.toISOString()))}::timestamptz[]
        ) with ordinality as i(user_id, run_id, period_start, units, fingerprint, actor_kind, actor_id,
          is_blocked, at, ord)
      ),
      periods as materialized (
        select p.id, p.user_id, p.period_start, p.used, p.run_limit
        from usage_periods p
        where (p.user_id, p.period_start) in (select user_id, period_start from input)
        order by p.user_id, p.period_start
        for no key update
      ),
      prior as materialized (
        select distinct l.user_id, l.run_id, l.fingerprint, l.state
        from usage_ledger l
        join input i on l.user_id = i.user_id and l.run_id = i.run_id
      ),
      candidates as materialized (
        select i.*, p.id as period_id, p.used, p.run_limit,
          pr.state as prior_state, pr.fingerprint as prior_fingerprint,
          pr.run_id is null and not i.is_blocked
            and row_number() over (partition by i.user_id, i.run_id order by i.ord) = 1 as is_candidate
        from input i
        join periods p on p.user_id = i.user_id and p.period_start = i.period_start
        left join prior pr on pr.user_id = i.user_id and pr.run_id = i.run_id
      ),
      ranked as materialized (
        select c.*,
          c.is_candidate and c.used + sum(case when c.is_candidate then c.units else 0 end)
            over (partition by c.period_id order by c.ord) <= c.run_limit as is_admitted
        from candidates c
      ),
      decided as materialized (
        select r.*,
          r.used + sum(case when r.is_admitted then r.units else 0 end)
            over (partition by r.period_id order by r.ord) as used_at
        from ranked r
      ),
      claimed as (
        insert into usage_ledger
          (user_id, run_id, period_id, state, units_reserved, actor_kind, actor_id, fingerprint, reserved_at)
        select user_id, run_id, period_id, 'reserved', units, actor_kind, actor_id, fingerprint, at
        from decided
        where is_admitted
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
      select d.ord, d.is_blocked, d.prior_state, d.prior_fingerprint, d.is_admitted,
        d.is_admitted and c.run_id is not null as is_claimed, d.used_at, d.run_limit
      from decided d
      left join claimed c on c.user_id = d.user_id and c.run_id = d.run_id
      order by d.ord`,
  );
  return new Map(rows.map((row) => [Number(row.ord) - 1, row]));
}

/** Creates the counter rows of these periods if missing (idempotent; sorted, so concurrent calls can't deadlock). */
async function ensurePeriodRows(db: Database, inputs: readonly ReserveRunInput[]): Promise<void> {
  const distinct = new Map<string, ReserveRunInput>();
  for (const input of inputs) {
    const key = runKey(input.userId, String(input.period.start.getTime()));
    if (!distinct.has(key)) distinct.set(key, input);
  }
  const periods = [...distinct.values()];
  await db.execute(sql`
    insert into usage_periods (user_id, period_start, period_end, run_limit)
    select * from unnest(
      ${sql.param(periods.map((p) => p.userId))}::text[],
      ${sql.param(periods.map((p) => p.period.start.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => p.period.end.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => Math.max(0, p.limit)))}::int[])
    order by 1, 2
    on conflict (user_id, period_start) do nothing`);
}

function inputAt(inputs: readonly ReserveRunInput[], index: number): ReserveRunInput {
  const input = inputs[index];
  if (!input) throw new Error('reserveRuns: input index out of range');
  return input;
}

function runKey(userId: string, second: string): string {
  return `${userId.length}:${userId}${second}`;
}
