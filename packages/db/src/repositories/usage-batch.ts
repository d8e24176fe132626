import { inArray, sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { subscriptions } from '../schema';
import type { SubscriptionRow } from '../schema';
import type { ConsumeRunInput, ConsumeRunResult } from './usage';

/**
 * Grouped commits: many runs (of many tenants) checked and consumed in ONE transaction, each answered
 * exactly as `consumeRun` would have answered it had the runs been consumed one by one in input order.
 *
 * The statements, in the same phase order as `consumeRun` (period row → ledger claim → counter lock)
 * so a batch and a single-run transaction can never wait on each other in a cycle, and each phase
 * touches its rows in one deterministic order so two batches can't either:
 * 1. make sure every period counter row exists (one INSERT … ON CONFLICT DO NOTHING, sorted),
 * 2. claim every distinct run id with one ledger INSERT … ON CONFLICT DO NOTHING RETURNING (sorted):
 *    a run id that comes back unclaimed was charged (or released) before,
 * 3. lock the period rows ordered by (user id, period start) and read their counters: from here until
 *    COMMIT nobody else can change them, so the admissions computed in JS from these locked values are
 *    exact. FOR NO KEY UPDATE (the lock a plain UPDATE takes), not FOR UPDATE: the latter also blocks
 *    the FOR KEY SHARE lock that the ledger's foreign-key check takes on the period row, and a batch
 *    claiming runs while another holds its counters would then deadlock with it,
 * 4. one statement: add each period's admissions to its counter (checked against what was computed),
 *    delete the ledger claims of runs that were refused.
 */
export async function consumeRunBatch(
  db: Database,
  inputs: readonly ConsumeRunInput[],
): Promise<ConsumeRunResult[]> {
  if (inputs.length === 0) return [];
  const plan = planBatch(inputs);
  return db.transaction(async (tx) => {
    await ensurePeriodRows(tx, plan.periods);
    const claims = await claimRuns(tx, plan);
    const counters = await lockPeriods(tx, plan.periods);
    const priorStates = await readPriorRuns(tx, plan.runs, claims);
    const decided = decide(inputs, plan, counters, priorStates);
    await applyDecisions(tx, plan, claims, decided);
    return decided.results;
  });
}

/** Subscription rows of many users in one query (users without one are simply absent). */
export async function getSubscriptionsByUserIds(
  db: Database,
  userIds: readonly string[],
): Promise<Map<string, SubscriptionRow>> {
  const distinct = [...new Set(userIds)];
  if (distinct.length === 0) return new Map();
  const rows = await db.select().from(subscriptions).where(inArray(subscriptions.userId, distinct));
  return new Map(rows.map((row) => [row.userId, row]));
}

interface PeriodKey {
  userId: string;
  start: Date;
  end: Date;
}

interface RunKey {
  userId: string;
  runId: string;
  /** The period and clock of the run id's first occurrence in the batch: the claim is made with them. */
  periodIndex: number;
  createdAt: Date;
}

interface BatchPlan {
  /** Distinct periods, sorted by (user id, period start). */
  periods: PeriodKey[];
  /** Distinct (user id, run id), sorted. */
  runs: RunKey[];
  /** For each input: its index in `periods` and in `runs`. */
  periodOf: number[];
  runOf: number[];
  /** keyOf(user id, run id) → index in `runs`. */
  runIndex: Map<string, number>;
}

type PriorState = 'charged' | 'released';

interface Claim {
  ledgerId: string;
  periodId: string;
}

function planBatch(inputs: readonly ConsumeRunInput[]): BatchPlan {
  const periodKeys = new Map<string, PeriodKey>();
  const runKeys = new Map<string, { userId: string; runId: string; periodKey: string; createdAt: Date }>();
  for (const input of inputs) {
    const periodKey = keyOf(input.userId, String(input.period.start.getTime()));
    if (!periodKeys.has(periodKey)) {
      periodKeys.set(periodKey, { userId: input.userId, start: input.period.start, end: input.period.end });
    }
    const runKey = keyOf(input.userId, input.runId);
    if (!runKeys.has(runKey)) {
      runKeys.set(runKey, { userId: input.userId, runId: input.runId, periodKey, createdAt: input.now });
    }
  }
  const periods = [...periodKeys.values()].sort(
    (a, b) => compareText(a.userId, b.userId) || a.start.getTime() - b.start.getTime(),
  );
  const periodIndex = new Map(periods.map((p, i) => [keyOf(p.userId, String(p.start.getTime())), i]));
  const runs = [...runKeys.values()]
    .sort((a, b) => compareText(a.userId, b.userId) || compareText(a.runId, b.runId))
    .map(({ userId, runId, periodKey, createdAt }) => ({
      userId,
      runId,
      periodIndex: indexIn(periodIndex, periodKey),
      createdAt,
    }));
  const runIndex = new Map(runs.map((r, i) => [keyOf(r.userId, r.runId), i]));
  return {
    periods,
    runs,
    periodOf: inputs.map((i) => indexIn(periodIndex, keyOf(i.userId, String(i.period.start.getTime())))),
    runOf: inputs.map((i) => indexIn(runIndex, keyOf(i.userId, i.runId))),
    runIndex,
  };
}

async function ensurePeriodRows(tx: Database, periods: readonly PeriodKey[]): Promise<void> {
  await tx.execute(sql`
    insert into usage_periods (user_id, period_start, period_end)
    select * from unnest(
      ${sql.param(periods.map((p) => p.userId))}::text[],
      ${sql.param(periods.map((p) => p.start.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => p.end.toISOString()))}::timestamptz[])
    on conflict (user_id, period_start) do nothing`);
}

/** Run index → its fresh ledger row, for the run ids this batch claimed. */
async function claimRuns(tx: Database, plan: BatchPlan): Promise<Map<number, Claim>> {
  const { runs, periods } = plan;
  const rows = await queryRows<{ id: string; period_id: string; user_id: string; run_id: string }>(
    tx,
    sql`
      insert into usage_ledger (user_id, run_id, period_id, created_at)
      select k.user_id, k.run_id, p.id, k.created_at
      from unnest(
        ${sql.param(runs.map((r) => r.userId))}::text[],
        ${sql.param(runs.map((r) => r.runId))}::text[],
        ${sql.param(runs.map((r) => periodAt(periods, r.periodIndex).start.toISOString()))}::timestamptz[],
        ${sql.param(runs.map((r) => r.createdAt.toISOString()))}::timestamptz[]
      ) with ordinality as k(user_id, run_id, period_start, created_at, ord)
      join usage_periods p on p.user_id = k.user_id and p.period_start = k.period_start
      order by k.ord
      on conflict (user_id, run_id) do nothing
      returning id, period_id, user_id, run_id`,
  );
  return new Map(
    rows.map((row) => [
      indexIn(plan.runIndex, keyOf(row.user_id, row.run_id)),
      { ledgerId: row.id, periodId: row.period_id },
    ]),
  );
}

/** Period index → { id, used } read under FOR UPDATE, locked in (user id, period start) order. */
async function lockPeriods(
  tx: Database,
  periods: readonly PeriodKey[],
): Promise<Map<number, { id: string; used: number }>> {
  const rows = await queryRows<{ id: string; used: number; ord: string | number }>(
    tx,
    sql`
      select p.id, p.used, k.ord
      from usage_periods p
      join unnest(
        ${sql.param(periods.map((p) => p.userId))}::text[],
        ${sql.param(periods.map((p) => p.start.toISOString()))}::timestamptz[]
      ) with ordinality as k(user_id, period_start, ord)
        on p.user_id = k.user_id and p.period_start = k.period_start
      order by p.user_id, p.period_start
      for no key update of p`,
  );
  const locked = new Map(rows.map((row) => [Number(row.ord) - 1, { id: row.id, used: Number(row.used) }]));
  if (locked.size !== periods.length) throw new Error('consumeRunBatch: a usage period row is missing');
  return locked;
}

/** Run index → how the run ids this batch did not claim were settled before. */
async function readPriorRuns(
  tx: Database,
  runs: readonly RunKey[],
  claims: ReadonlyMap<number, Claim>,
): Promise<Map<number, PriorState>> {
  const unclaimed = runs.map((_, i) => i).filter((i) => !claims.has(i));
  if (unclaimed.length === 0) return new Map();
  const rows = await queryRows<{ is_released: boolean; ord: string | number }>(
    tx,
    sql`
      select l.released_at is not null as is_released, k.ord
      from usage_ledger l
      join unnest(
        ${sql.param(unclaimed.map((i) => runAt(runs, i).userId))}::text[],
        ${sql.param(unclaimed.map((i) => runAt(runs, i).runId))}::text[]
      ) with ordinality as k(user_id, run_id, ord)
        on l.user_id = k.user_id and l.run_id = k.run_id`,
  );
  const states = new Map<number, PriorState>();
  for (const row of rows) {
    const runIndex = unclaimed[Number(row.ord) - 1];
    if (runIndex !== undefined) states.set(runIndex, row.is_released ? 'released' : 'charged');
  }
  // Committed ledger rows are never deleted under a running batch (only their user's deletion
  // cascades): a row that conflicted and is gone now means the data changed under us — fail the batch.
  if (states.size !== unclaimed.length) throw new Error('consumeRunBatch: a conflicting ledger row vanished');
  return states;
}

interface Decisions {
  results: ConsumeRunResult[];
  /** Period index → runs admitted into it by this batch. */
  admittedPerPeriod: Map<number, number>;
  /** Run index → the input that consumed it (absent: refused, or settled before). */
  admittedBy: Map<number, number>;
  finalUsed: Map<number, number>;
  /** Period index → the locked row's id. */
  periodIds: Map<number, string>;
}

/** Replays the batch in input order over the locked counters: the outcome of N sequential consumeRuns. */
function decide(
  inputs: readonly ConsumeRunInput[],
  plan: BatchPlan,
  locked: ReadonlyMap<number, { id: string; used: number }>,
  priorStates: ReadonlyMap<number, PriorState>,
): Decisions {
  const used = new Map([...locked].map(([i, row]) => [i, row.used]));
  const admittedPerPeriod = new Map<number, number>();
  const admittedBy = new Map<number, number>();
  const results = inputs.map((input, i): ConsumeRunResult => {
    const periodIndex = plan.periodOf[i] ?? -1;
    const runIndex = plan.runOf[i] ?? -1;
    const current = used.get(periodIndex) ?? 0;
    const prior = priorStates.get(runIndex);
    if (prior === 'released') return { outcome: 'released', used: current };
    if (prior === 'charged' || admittedBy.has(runIndex)) return { outcome: 'replayed', used: current };
    if (current >= input.limit) return { outcome: 'limit_reached', used: current };
    used.set(periodIndex, current + 1);
    admittedPerPeriod.set(periodIndex, (admittedPerPeriod.get(periodIndex) ?? 0) + 1);
    admittedBy.set(runIndex, i);
    return { outcome: 'consumed', used: current + 1 };
  });
  const periodIds = new Map([...locked].map(([i, row]) => [i, row.id]));
  return { results, admittedPerPeriod, admittedBy, finalUsed: used, periodIds };
}

/**
 * One statement for all writes: counters += admissions (RETURNING the new values, which must equal the
 * ones computed on the locked rows), refused claims deleted, and — only when a duplicate run id in the
 * batch was admitted in another period than its first occurrence — the ledger row moved to that period.
 */
async function applyDecisions(
  tx: Database,
  plan: BatchPlan,
  claims: ReadonlyMap<number, Claim>,
  decided: Decisions,
): Promise<void> {
  const counterIds: string[] = [];
  const deltas: number[] = [];
  for (const [periodIndex, delta] of decided.admittedPerPeriod) {
    counterIds.push(periodIdOf(decided, periodIndex));
    deltas.push(delta);
  }
  const refused: string[] = [];
  const movedIds: string[] = [];
  const movedTo: string[] = [];
  for (const [runIndex, claim] of claims) {
    const inputIndex = decided.admittedBy.get(runIndex);
    if (inputIndex === undefined) {
      refused.push(claim.ledgerId);
      continue;
    }
    const periodId = periodIdOf(decided, plan.periodOf[inputIndex] ?? -1);
    if (periodId !== claim.periodId) {
      movedIds.push(claim.ledgerId);
      movedTo.push(periodId);
    }
  }
  if (counterIds.length === 0 && refused.length === 0) return;
  const rows = await queryRows<{ id: string; used: number }>(
    tx,
    sql`
      with refused as (
        delete from usage_ledger where id = any(${sql.param(refused)}::uuid[])
      ), moved as (
        update usage_ledger l set period_id = m.period_id
        from unnest(${sql.param(movedIds)}::uuid[], ${sql.param(movedTo)}::uuid[]) as m(id, period_id)
        where l.id = m.id
      )
      update usage_periods p set used = p.used + d.delta
      from unnest(${sql.param(counterIds)}::uuid[], ${sql.param(deltas)}::int[]) as d(id, delta)
      where p.id = d.id
      returning p.id, p.used`,
  );
  const expected = new Map<string, number>();
  for (const [periodIndex] of decided.admittedPerPeriod) {
    expected.set(periodIdOf(decided, periodIndex), decided.finalUsed.get(periodIndex) ?? -1);
  }
  const isConsistent =
    rows.length === expected.size && rows.every((row) => expected.get(row.id) === Number(row.used));
  // Cannot happen while the rows are locked; if it ever does, roll everything back rather than miscount.
  if (!isConsistent) throw new Error('consumeRunBatch: counters changed under the row lock');
}

function periodIdOf(decided: Decisions, periodIndex: number): string {
  const id = decided.periodIds.get(periodIndex);
  if (!id) throw new Error('consumeRunBatch: period row not locked');
  return id;
}

function keyOf(userId: string, second: string): string {
  return `${userId.length}:${userId}${second}`;
}

function indexIn(map: ReadonlyMap<string, number>, key: string): number {
  const index = map.get(key);
  if (index === undefined) throw new Error('consumeRunBatch: key missing from the plan');
  return index;
}

function periodAt(periods: readonly PeriodKey[], index: number): PeriodKey {
  const period = periods[index];
  if (!period) throw new Error('consumeRunBatch: period index out of range');
  return period;
}

function runAt(runs: readonly RunKey[], index: number): RunKey {
  const run = runs[index];
  if (!run) throw new Error('consumeRunBatch: run index out of range');
  return run;
}

// Plain code-unit order (not locale order): every batch in every process sorts identically.
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
