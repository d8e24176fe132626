import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../database';
import { isTransactionConflict } from '../errors';
import { queryPreparedRows, queryRows } from '../raw-query';
import type { RunActorKind, RunState } from '../schema';
import { NO_CAP, overageBillable, overageCapRuns } from './overage-cap-sql';

/**
 * Groups up to this size go as a named prepared statement; larger ones are parsed and planned anew.
 * Parse and plan were ~1.3 ms of the statement's ~1.5 ms at idle, and a small group is what a server
 * below saturation sends: prepared, a paced 1,000 req/s REST authorize had p50 ≈ 7 ms and p99 ≈ 23 ms
 * instead of ≈ 9.5 and ≈ 32 (medians of 4 A/B runs). But the plan PostgreSQL keeps for a prepared
 * statement is a generic one, made for an array of unknown length, and for the large groups of a
 * saturated server it halved the hot tenant's throughput (20,138 → 10,313/s): those are planned for
 * their own size.
 */
export const PREPARED_GROUP_MAX = 32;

/**
 * How the statement fails when a concurrent statement claimed one of its run ids (see `all_claimed`):
 * it casts this text to an integer, which PostgreSQL refuses with the text in its message. A plain
 * SQL statement has no RAISE; the text is a literal, so the statement's text (and prepared name) stays
 * the same.
 */
const CONCURRENT_CLAIM = 'tollgate: a run id of this group was claimed concurrently';
const CONCURRENT_CLAIM_LITERAL = sql.raw(`'${CONCURRENT_CLAIM}: '`);

function isConcurrentClaim(error: unknown): boolean {
  // Drizzle wraps the driver's error (its `cause`).
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (code === '22P02' && typeof message === 'string' && message.includes(CONCURRENT_CLAIM)) return true;
  }
  return false;
}

/** One run to decide (distinct (account, run id) within a statement). */
export interface RunToDecide {
  accountId: string;
  /** The member the run is for: recorded on the ledger row. */
  userId: string;
  /**
   * The run counts against its member's own counter (team accounts, where admins may cap members):
   * the member's row for the period is locked and counted in the same statement. Personal accounts
   * never touch member rows.
   */
  countsMember: boolean;
  runId: string;
  periodStart: Date;
  units: number;
  isBlocked: boolean;
  /**
   * The price per overage run (Stripe's unit_amount_decimal, cents) when the account's plan can bill
   * overage; null or omitted when it can't (then overage is off whatever the account's settings say).
   */
  overagePrice?: string | null;
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
  /** Admitted, and its ledger row inserted by this statement (the statement fails otherwise). */
  isAdmitted: boolean;
  units: number;
  /** The period's counter and limit as locked by this statement, before its own admissions. */
  usedBefore: number;
  runLimit: number;
  /** Units the account's spendable grants held when this statement locked them. */
  creditBefore: number;
  /** Of an admitted run's units, those taken from the period's allowance (the rest came from grants). */
  unitsFromAllowance: number;
  /** Of an admitted run's units, those past the allowance and credits: billed as overage. */
  unitsOverage: number;
  /** Overage is on for the run (plan and settings), its period's overage counter before this statement's own admissions, and the cap in runs (null: no cap). */
  isOverageOn: boolean;
  overageUsedBefore: number;
  overageCap: number | null;
  /** The account's auto top-up threshold when auto top-up is on, else null. */
  autoTopUpThreshold: number | null;
  /** A member-counted run whose member row for the period doesn't exist yet: create it, decide again. */
  isMemberMissing: boolean;
  /** False when the member's cap refused the run (the pool may still have had room). */
  isWithinMemberCap: boolean;
  /** The member's counter and cap as locked by this statement (null: not member-counted / no cap). */
  memberUsedBefore: number | null;
  memberCap: number | null;
}

interface StatementRow extends Record<string, unknown> {
  ord: number | null;
  period_id: string | null;
  is_blocked: boolean | null;
  prior_state: RunState | null;
  prior_fingerprint: string | null;
  is_admitted: boolean | null;
  units: number | null;
  used: number | null;
  run_limit: number | null;
  credit: number | null;
  from_allowance: number | null;
  from_overage: number | null;
  is_overage_on: boolean | null;
  overage_used: number | null;
  overage_cap: number | null;
  top_up_threshold: number | null;
  is_member_missing: boolean | null;
  is_member_ok: boolean | null;
  member_used: number | null;
  member_cap: number | null;
}

/**
 * Decides a batch of distinct runs in ONE statement (atomic on its own: no transaction, one round
 * trip). Returns, by position, the decision of every run whose period row exists; the others are
 * absent (create their period rows, then decide them again). Null when the statement failed and
 * changed nothing, and the whole group is decided again:
 * - a run id was claimed by a concurrent statement after this one's snapshot (see CONCURRENT_CLAIM);
 * - PostgreSQL chose it as a deadlock's victim. Seen in CI: team statements queued on one counter row
 *   formed cycles with the foreign-key checks of member rows being created (ensureMemberPeriodRows now
 *   locks the period row first, which removed them). Kept as a defence: answering 503 asked the caller
 *   to send again what the next round does at once.
 */
export async function decideRuns(
  db: Database,
  runs: readonly RunToDecide[],
): Promise<Map<number, RunDecisionRow> | null> {
  let rows: StatementRow[];
  try {
    rows =
      runs.length <= PREPARED_GROUP_MAX
        ? await queryPreparedRows<StatementRow>(db, reserveStatement(runs))
        : await queryRows<StatementRow>(db, reserveStatement(runs));
  } catch (error) {
    if (isConcurrentClaim(error) || isTransactionConflict(error)) return null;
    throw error;
  }
  const decided = new Map<number, RunDecisionRow>();
  for (const row of rows) {
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
      units: Number(row.units),
      usedBefore: Number(row.used),
      runLimit: Number(row.run_limit),
      creditBefore: Number(row.credit ?? 0),
      unitsFromAllowance: isAdmitted ? Number(row.from_allowance ?? 0) : 0,
      unitsOverage: isAdmitted ? Number(row.from_overage ?? 0) : 0,
      isOverageOn: row.is_overage_on === true,
      overageUsedBefore: Number(row.overage_used ?? 0),
      overageCap: row.overage_cap === null ? null : Number(row.overage_cap),
      autoTopUpThreshold: row.top_up_threshold === null ? null : Number(row.top_up_threshold),
      isMemberMissing: row.is_member_missing === true,
      isWithinMemberCap: row.is_member_ok !== false,
      memberUsedBefore: row.member_used === null ? null : Number(row.member_used),
      memberCap: row.member_cap === null ? null : Number(row.member_cap),
    });
  }
  return decided;
}

/**
 * The statement (exported for EXPLAIN in benchmarks):
 * - Every row it reads is found by key, one probe per run or account (a LATERAL the planner can't
 *   flatten: locked inside, or LIMIT 1), never by a join the planner may turn into a scan. A connection
 *   keeps its plan of a prepared statement, maybe one made while the tables were small; with joins,
 *   such a plan read every period row and the whole ledger for each group (reservation-plan.test.ts).
 * - `periods`: lock the counter rows in (tenant, start) order, FOR NO KEY UPDATE (the lock an UPDATE
 *   takes; FOR UPDATE would also block the ledger's foreign-key checks). Under READ COMMITTED a row
 *   that was waited for is re-read at its newest version, so `used` and `run_limit` are current.
 * - `prior`: ledger rows these run ids already have (a retry, or a reuse with another fingerprint).
 *   They come from the statement's snapshot, which may predate a concurrent claim: `all_claimed` fails
 *   the statement for admitted runs, `findStoredRuns` detects it for refused ones.
 * - `grants` (after the periods and members): the account's spendable credit grants, locked in
 *   (tenant, id) order; `credit` is what they hold. The caller sends one period per account per
 *   statement, so a period's running sum is its account's.
 * - `overage`: accounts that opted into overage (and whose plan bills it), with their spend cap in runs.
 * - `ranked`: new runs of unblocked tenants are candidates, admitted while the running sum of their
 *   units in input order fits in what the allowance has left (`run_limit - used`) plus `credit` plus
 *   what the cap leaves of overage (`overage_free`, 0 when overage is off). The part of a run's range
 *   past the allowance and the credit is `from_overage`, counted on the period row (`overage_used`). With
 *   one unit per run that is exactly what reserving them one by one admits; with larger units, one that
 *   doesn't fit also stops the smaller ones after it (deterministic, and never over the balance).
 * - Draw order: an admitted run covers the range [running_units - units, running_units) of its
 *   account's balance laid out as the allowance first, then the grants by priority, soonest expiry,
 *   oldest (`grant_buckets`); what overlaps the allowance is `from_allowance` (on its ledger row), each
 *   overlap with a grant is a `run_draws` row. Ranges of admitted runs are disjoint and within the
 *   balance, so no bucket is ever overdrawn.
 * - `members` (only when the group holds a team account's run): the member counters of those runs,
 *   locked after the periods; `capped`: a run within its member's cap by the member's own running sum
 *   over all its candidates, then `pooled`: the pool's running sum over the runs their caps let
 *   through. One unit per run: exactly what one-by-one admission gives (docs/design/billing-accounts.md
 *   §3.2 has the argument); a member-capped run is never over either limit.
 * - `claimed`: the admitted runs' ledger rows, sorted, ON CONFLICT DO NOTHING; `counted`: each
 *   period's counter += what its claims took from the allowance; `spent`: each grant -= what claims
 *   drew from it; `member_counted`: each member counter += its claims (all their units).
 * - `all_claimed`: the statement fails unless every admitted run was inserted (counts compared: a join
 *   of the two, with the planner's guess of one claimed row, would compare every pair).
 * The answer is one row per run.
 */
export function reserveStatement(runs: readonly RunToDecide[]): SQL {
  // The member parts only when a run of a team account is in the group: a group of personal accounts
  // (most of them) is planned and run without them.
  const hasMembers = runs.some((run) => run.countsMember);
  const memberRows = hasMembers
    ? sql`
    members as materialized (
      -- After the periods (it reads them, so they are locked first): the member rows of member-counted
      -- runs, in (account, period, member) order. The same order everywhere: no deadlock.
      select m.account_id, m.period_id, m.user_id, m.used, m.run_cap
      from (
        select distinct i.account_id, p.id as period_id, i.user_id
        from input i join periods p on p.account_id = i.account_id and p.period_start = i.period_start
        where i.counts_member
        order by 1, 2, 3
      ) k
      cross join lateral (
        select * from member_usage_periods m
        where m.account_id = k.account_id and m.period_id = k.period_id and m.user_id = k.user_id
        for no key update
      ) m
    ),
    `
    : sql``;
  const memberColumns = hasMembers
    ? sql`mu.used as member_used, mu.run_cap as member_cap,
        i.counts_member and mu.user_id is null as is_member_missing,
        pr.run_id is null and not i.is_blocked and not (i.counts_member and mu.user_id is null) as is_candidate`
    : sql`null::int as member_used, null::int as member_cap, false as is_member_missing,
        pr.run_id is null and not i.is_blocked as is_candidate`;
  const memberJoin = hasMembers
    ? sql`left join members mu
        on i.counts_member and mu.account_id = i.account_id and mu.period_id = p.id and mu.user_id = i.user_id`
    : sql``;
  // 1) each member's own running sum over ALL its candidates, in input order: within its cap?
  const memberOk = hasMembers
    ? sql`r.member_cap is null or r.member_used + sum(case when r.is_candidate then r.units else 0 end)
          over (partition by r.period_id, r.user_id, r.counts_member order by r.ord) <= r.member_cap`
    : sql`true`;
  const memberCounts = hasMembers
    ? sql`,
    member_counted as (
      update member_usage_periods m set used = m.used + c.units
      from (
        select c.account_id, c.period_id, c.user_id, sum(c.units_reserved)::int as units
        from claimed c
        join decided r on r.account_id = c.account_id and r.run_id = c.run_id and r.counts_member
        group by c.account_id, c.period_id, c.user_id
      ) c
      where m.account_id = c.account_id and m.period_id = c.period_id and m.user_id = c.user_id
      returning m.user_id
    )`
    : sql``;
  return sql`
    with input as materialized (
      select i.account_id, i.user_id, i.run_id, i.period_start, i.units, i.fingerprint, i.actor_kind, i.actor_id,
        i.is_blocked, i.counts_member, i.at, i.overage_price, i.ord::int as ord
      from unnest(
        ${sql.param(runs.map((r) => r.accountId))}::uuid[],
        ${sql.param(runs.map((r) => r.userId))}::text[],
        ${sql.param(runs.map((r) => r.runId))}::text[],
        ${sql.param(runs.map((r) => r.periodStart.toISOString()))}::timestamptz[],
        ${sql.param(runs.map((r) => r.units))}::int[],
        ${sql.param(runs.map((r) => r.fingerprint))}::text[],
        ${sql.param(runs.map((r) => r.actor.kind))}::text[],
        ${sql.param(runs.map((r) => r.actor.id))}::text[],
        ${sql.param(runs.map((r) => r.isBlocked))}::boolean[],
        ${sql.param(runs.map((r) => r.countsMember))}::boolean[],
        ${sql.param(runs.map((r) => r.now.toISOString()))}::timestamptz[],
        ${sql.param(runs.map((r) => r.overagePrice ?? null))}::numeric[]
      ) with ordinality as i(account_id, user_id, run_id, period_start, units, fingerprint, actor_kind, actor_id,
        is_blocked, counts_member, at, overage_price, ord)
      -- Cuts nothing (the arrays hold this many runs). A prepared statement's generic plan takes an
      -- array parameter for 10 rows, and costed so its probes look dearer than a plan made for the
      -- group's own size: PostgreSQL then planned every execution anew (a single run took 2.8-3.9 ms
      -- instead of 1.1-1.3). A LIMIT parameter it takes for a tenth of that: the generic plan is kept.
      limit ${runs.length}
    ),
    periods as materialized (
      -- One index probe per distinct period (a scan would read every dead version the counters'
      -- updates leave behind until vacuum runs). The lock is taken inside the probe, which keeps the
      -- planner from flattening it into a hash join over the whole table; the probes run in k's order,
      -- so the rows are locked in (tenant, start) order.
      select p.id, p.account_id, p.period_start, p.used, p.run_limit, p.overage_used
      from (select distinct account_id, period_start from input order by account_id, period_start) k
      cross join lateral (
        select * from usage_periods p
        where p.account_id = k.account_id and p.period_start = k.period_start
        for no key update
      ) p
    ),
    ${memberRows}
    grants as materialized (
      -- After the periods and members: the spendable grants of the unblocked accounts, in (tenant, id)
      -- order. A grant spent or expired while this statement waited for it is re-checked and skipped.
      select g.account_id, g.id, g.remaining, g.priority, g.expires_at, g.created_at
      from (
        select account_id, max(at) as at from input where not is_blocked group by account_id
        order by account_id
      ) k
      cross join lateral (
        select * from credit_grants g
        where g.account_id = k.account_id and g.remaining > 0 and g.starts_at <= k.at
          and (g.expires_at is null or g.expires_at > k.at)
        order by g.id
        for no key update
      ) g
    ),
    credit as (
      select account_id, sum(remaining)::int as units from grants group by account_id
    ),
    settings as materialized (
      -- The spend settings of the group's accounts: a primary-key probe each, kept a probe by LIMIT 1 as
      -- in prior below; most have none. Not locked: a cap raised (committed) before this statement
      -- began is the one it applies.
      select s.* from (select distinct account_id from input) k
      cross join lateral (select * from account_spend_settings s where s.account_id = k.account_id limit 1) s
    ),
    overage as (
      -- Accounts whose plan bills overage, that opted in, and whose subscription carries the metered
      -- item (see overageBillable): the cap in runs (see overageCapRuns).
      select s.account_id, ${overageCapRuns('s', sql`k.price`)} as cap
      from (
        select account_id, max(overage_price) as price from input
        where overage_price is not null and not is_blocked group by account_id
      ) k
      join settings s on s.account_id = k.account_id and s.overage_enabled
      join subscriptions sub on sub.account_id = k.account_id and ${overageBillable('sub')}
    ),
    prior as materialized (
      -- An index probe per run (LIMIT 1 on a unique key changes no answer: it keeps the planner from
      -- turning the probes into a hash join, which scans the whole ledger where its statistics are
      -- stale, e.g. in a plan cached while the table was young).
      select l.account_id, l.run_id, l.fingerprint, l.state
      from input i
      cross join lateral (
        select l.account_id, l.run_id, l.fingerprint, l.state from usage_ledger l
        where l.account_id = i.account_id and l.run_id = i.run_id
        limit 1
      ) l
    ),
    ranked as materialized (
      select i.ord, i.account_id, i.user_id, i.run_id, i.units, i.fingerprint, i.actor_kind, i.actor_id, i.at,
        i.is_blocked, i.counts_member, p.id as period_id, p.used, p.run_limit,
        greatest(p.run_limit - p.used, 0) as allowance_free, coalesce(cr.units, 0) as credit,
        o.account_id is not null as is_overage_on, p.overage_used, o.cap as overage_cap,
        case when st.auto_top_up_enabled then st.auto_top_up_threshold end as top_up_threshold,
        case when o.account_id is null then 0 when o.cap is null then ${NO_CAP}
          else greatest(o.cap - p.overage_used, 0) end as overage_free,
        pr.state as prior_state, pr.fingerprint as prior_fingerprint,
        ${memberColumns}
      from input i
      join periods p on p.account_id = i.account_id and p.period_start = i.period_start
      ${memberJoin}
      left join prior pr on pr.account_id = i.account_id and pr.run_id = i.run_id
      left join credit cr on cr.account_id = i.account_id
      left join overage o on o.account_id = i.account_id
      left join settings st on st.account_id = i.account_id
    ),
    capped as materialized (
      select r.*, ${memberOk} as is_member_ok
      from ranked r
    ),
    pooled as materialized (
      -- 2) the pool's running sum over the candidates their member's cap let through.
      select c.*,
        sum(case when c.is_candidate and c.is_member_ok then c.units else 0 end)
          over (partition by c.period_id order by c.ord) as running_units
      from capped c
    ),
    decided as materialized (
      select r.*,
        r.is_candidate and r.is_member_ok
          and r.running_units <= r.allowance_free + r.credit + r.overage_free as is_admitted,
        greatest(0, least(r.running_units, r.allowance_free) - (r.running_units - r.units)) as from_allowance,
        greatest(0, r.running_units - greatest(r.running_units - r.units, r.allowance_free + r.credit))
          as from_overage
      from pooled r
    ),
    claimed as (
      insert into usage_ledger
        (account_id, user_id, run_id, period_id, state, units_reserved, units_from_allowance, units_overage,
          actor_kind, actor_id, fingerprint, reserved_at)
      select account_id, user_id, run_id, period_id, 'reserved', units, from_allowance, from_overage, actor_kind,
        actor_id, fingerprint, at
      from decided
      where is_admitted
      order by account_id, run_id
      on conflict (account_id, run_id) do nothing
      returning account_id, user_id, run_id, units_reserved, units_from_allowance, units_overage, period_id
    ),
    counted as (
      update usage_periods p set used = p.used + c.units, overage_used = p.overage_used + c.overage
      from (
        select account_id, period_id, sum(units_from_allowance)::int as units, sum(units_overage)::int as overage
        from claimed
        group by account_id, period_id
        having sum(units_from_allowance) > 0 or sum(units_overage) > 0
      ) c
      where p.account_id = c.account_id and p.id = c.period_id
      returning p.id
    ),
    grant_buckets as (
      -- The grants laid out in draw order, each starting where the previous one ends.
      select g.account_id, g.id, g.remaining,
        sum(g.remaining) over (
          partition by g.account_id order by g.priority, g.expires_at nulls last, g.created_at, g.id
        ) - g.remaining as bucket_start
      from grants g
    ),
    grant_draws as (
      -- Each claimed run's range past the allowance, cut by the grants it overlaps.
      select d.account_id, d.run_id, b.id as grant_id,
        (least(d.running_units - d.allowance_free, b.bucket_start + b.remaining)
          - greatest(d.running_units - d.units - d.allowance_free, b.bucket_start))::int as units
      from decided d
      join claimed c on c.account_id = d.account_id and c.run_id = d.run_id
      join grant_buckets b on b.account_id = d.account_id
        and b.bucket_start < d.running_units - d.allowance_free
        and d.running_units - d.units - d.allowance_free < b.bucket_start + b.remaining
      where d.is_admitted
    ),
    drawn as (
      insert into run_draws (account_id, run_id, grant_id, units)
      select account_id, run_id, grant_id, units from grant_draws order by account_id, run_id, grant_id
      returning grant_id
    ),
    spent as (
      update credit_grants g set remaining = g.remaining - s.units
      from (
        select account_id, grant_id, sum(units)::int as units from grant_draws group by account_id, grant_id
      ) s
      where g.account_id = s.account_id and g.id = s.grant_id
      returning g.id
    )${memberCounts},
    all_claimed as materialized (
      -- Every admitted run's ledger row was inserted here, or the statement fails (and changes nothing):
      -- a run id claimed by a concurrent statement after this one's snapshot took a place in this
      -- statement's running sum while its units are already in the counter read under the lock, so
      -- every later run of its period would draw past the allowance (packs, overage) too early.
      select case when (select count(*) from claimed) <> (select count(*) from decided where is_admitted)
        then (${CONCURRENT_CLAIM_LITERAL} || (select count(*) from claimed))::int end as failed
    )
    select r.ord, r.period_id, r.is_blocked, r.prior_state, r.prior_fingerprint,
      r.is_admitted, r.units, r.used, r.run_limit, r.credit, r.from_allowance, r.from_overage,
      r.is_overage_on, r.overage_used, r.overage_cap, r.top_up_threshold, r.is_member_missing,
      r.is_member_ok, r.member_used, r.member_cap
    from decided r cross join all_claimed c
    -- Reads the check's result, so it is evaluated (a column nobody reads may never be computed).
    where c.failed is null`;
}

/** Which of these runs have a ledger row now (a fresh snapshot: claims committed since are seen). */
export async function findStoredRuns(
  db: Database,
  runs: ReadonlyArray<{ accountId: string; runId: string }>,
): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  const rows = await queryRows<{ account_id: string; run_id: string }>(
    db,
    sql`
      select l.account_id, l.run_id from usage_ledger l
      join unnest(
        ${sql.param(runs.map((r) => r.accountId))}::uuid[],
        ${sql.param(runs.map((r) => r.runId))}::text[]
      ) as k(account_id, run_id) on l.account_id = k.account_id and l.run_id = k.run_id`,
  );
  return new Set(rows.map((row) => runKey(row.account_id, row.run_id)));
}

/** Creates the counter rows of these periods if missing (idempotent; sorted, so concurrent calls can't deadlock). */
export async function ensurePeriodRows(
  db: Database,
  periods: ReadonlyArray<{ accountId: string; start: Date; end: Date; limit: number }>,
): Promise<void> {
  if (periods.length === 0) return;
  await db.execute(sql`
    insert into usage_periods (account_id, period_start, period_end, run_limit)
    select * from unnest(
      ${sql.param(periods.map((p) => p.accountId))}::uuid[],
      ${sql.param(periods.map((p) => p.start.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => p.end.toISOString()))}::timestamptz[],
      ${sql.param(periods.map((p) => Math.max(0, p.limit)))}::int[])
    order by 1, 2
    on conflict (account_id, period_start) do nothing`);
}

/**
 * Creates the member counter rows of these (account, period, member) triples if missing, each with
 * the member's current cap from its membership, or a former member's saved at removal (idempotent). The period rows must exist.
 *
 * It first locks their period rows, in (tenant, start) order, as a reservation statement does, and
 * inserts while holding them. Unlocked, the insert's foreign-key check share-locked a period row that
 * reservation statements were queued on (and follows its update chain), and PostgreSQL chose one of
 * them as a deadlock victim, several times per wave of a team's first runs in a period
 * (reservation-deadlock.test.ts). Locked, it waits its turn like a reservation: at first use only.
 */
export async function ensureMemberPeriodRows(
  db: Database,
  members: ReadonlyArray<{ accountId: string; periodStart: Date; userId: string }>,
): Promise<void> {
  if (members.length === 0) return;
  await db.execute(sql`
    with wanted as materialized (
      select * from unnest(
        ${sql.param(members.map((m) => m.accountId))}::uuid[],
        ${sql.param(members.map((m) => m.periodStart.toISOString()))}::timestamptz[],
        ${sql.param(members.map((m) => m.userId))}::text[]
      ) as k(account_id, period_start, user_id)
    ),
    periods as materialized (
      select p.id, p.account_id, p.period_start
      from (select distinct account_id, period_start from wanted order by account_id, period_start) k
      cross join lateral (
        select p.id, p.account_id, p.period_start from usage_periods p
        where p.account_id = k.account_id and p.period_start = k.period_start
        for no key update
      ) p
    )
    insert into member_usage_periods (account_id, period_id, user_id, run_cap)
    -- A former member (a service settling their run after they left) keeps the cap saved at removal.
    select k.account_id, p.id, k.user_id,
      case when am.user_id is not null then am.monthly_run_cap else rmc.monthly_run_cap end
    from wanted k
    join periods p on p.account_id = k.account_id and p.period_start = k.period_start
    left join account_memberships am on am.account_id = k.account_id and am.user_id = k.user_id
    left join removed_member_caps rmc on rmc.account_id = k.account_id and rmc.user_id = k.user_id
    order by 1, 2, 3
    on conflict (account_id, period_id, user_id) do nothing`);
}

/** A collision-free key of two strings (the first's length prefixes it). */
export function runKey(first: string, second: string): string {
  return `${first.length}:${first}${second}`;
}
