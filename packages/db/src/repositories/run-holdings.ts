import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { overageBillable, overageCapRuns } from './overage-cap-sql';
import { ensureMemberPeriodRows, ensurePeriodRows } from './run-reservation-statement';

/**
 * What one run holds and where it came from, moved after its reservation: a settle below the estimate
 * or a release gives units back, an overrun draws more. Call these inside the transaction that moved
 * the run's ledger row (so they run once per transition), with the run's row already locked by it.
 *
 * Locks are taken in the order of the reservation statement: the period rows in (account, start) order,
 * the member rows in (account, period id) order, then the account's grants by id. So a settle, a
 * release, a sweep and a reservation never wait in a cycle.
 */
export interface RunHolding {
  accountId: string;
  runId: string;
  userId: string;
  periodId: string;
  now: Date;
  /**
   * The price per overage run when the account's plan bills overage (an overrun may then be drawn as
   * overage, within the spend cap); null or omitted: an overrun never becomes overage.
   */
  overagePrice?: string | null;
  /**
   * The period a reservation made at `now` would count in (the caller's entitlement) and its limit
   * (for its row, when none exists yet). Omitted: the newest of the account's period rows whose window
   * holds `now`. An overrun draws from it what the run's own period can't cover (see drawRunUnits).
   */
  periodInForce?: { start: Date; end: Date; limit: number } | null;
}

interface GrantRow extends Record<string, unknown> {
  id: string;
  remaining: number;
  expires_at: Date | string | null;
  starts_at: Date | string;
  clawback_units: number;
  clawed_back_units: number;
  held: number | null;
}

interface PeriodRow extends Record<string, unknown> {
  used: number;
  run_limit: number;
  overage_used: number;
}

interface MemberRow extends Record<string, unknown> {
  used: number;
  run_cap: number | null;
}

/** One period's counters as locked for a draw: the period row and the run's member row in it. */
interface Counters {
  periodId: string;
  period: PeriodRow | null;
  member: MemberRow | null;
}

/**
 * Gives back `units` of what the run holds, last drawn first (its overage, then grants in reverse draw
 * order, then the allowance): what is left is what reserving only the rest would have taken. A unit going back to a
 * grant pays what a refund still claws back first, and one going back to an expired grant counts as
 * expired. Returns the units actually given back (at most what the run held).
 */
export async function returnRunUnits(tx: Database, run: RunHolding, units: number): Promise<number> {
  if (units <= 0) return 0;
  await lockPeriodAndMember(tx, run);
  const grants = await lockGrants(tx, run);
  let left = units - (await returnOverage(tx, run, units));
  const held = grants.filter((grant) => (grant.held ?? 0) > 0).reverse();
  for (const grant of held) {
    if (left === 0) break;
    const back = Math.min(left, grant.held ?? 0);
    left -= back;
    const isExpired = grant.expires_at !== null && new Date(grant.expires_at) <= run.now;
    const owed = grant.clawback_units - grant.clawed_back_units;
    const toClawback = isExpired ? 0 : Math.min(back, owed);
    const toExpired = isExpired ? back : 0;
    await tx.execute(sql`
      update credit_grants set
        remaining = remaining + ${back - toClawback - toExpired}::int,
        clawed_back_units = clawed_back_units + ${toClawback}::int,
        expired_units = expired_units + ${toExpired}::int
      where account_id = ${run.accountId} and id = ${grant.id}`);
    await tx.execute(sql`
      update run_draws set units = units - ${back}::int
      where account_id = ${run.accountId} and run_id = ${run.runId} and grant_id = ${grant.id}`);
  }
  if (left > 0) {
    const [row] = await queryRows<{ back: number }>(
      tx,
      sql`
        with before as (
          select units_from_allowance from usage_ledger where account_id = ${run.accountId} and run_id = ${run.runId}
        )
        update usage_ledger l set units_from_allowance = l.units_from_allowance - least(${left}::int, b.units_from_allowance)
        from before b
        where l.account_id = ${run.accountId} and l.run_id = ${run.runId}
        returning least(${left}::int, b.units_from_allowance) as back`,
    );
    const back = Number(row?.back ?? 0);
    if (back > 0) {
      await tx.execute(sql`
        update usage_periods set used = used - ${back}::int
        where account_id = ${run.accountId} and id = ${run.periodId}`);
    }
    left -= back;
  }
  const returned = units - left;
  await tx.execute(sql`
    update member_usage_periods set used = used - ${returned}::int
    where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}`);
  return returned;
}

/**
 * Draws up to `units` more for a run that cost more than it reserved, and returns the units drawn (an
 * overrun beyond what the buckets hold and the member's cap allows is not charged; the caller records
 * what was asked).
 *
 * While the run's own period is the one in force: its allowance, then the spendable grants in draw
 * order, then overage within the spend cap. Once another period is in force (a renewal, a cancel or
 * plan change that closed the run's period at what it had used, a FREE anniversary), the run's own
 * period gives what its allowance still has and the rest is drawn as a reservation made now would be:
 * the allowance of the period in force, then grants, then overage counted in that period. Without this,
 * an overrun settled after a renewal found its closed period full and its extra units went unbilled.
 */
export async function drawRunUnits(tx: Database, run: RunHolding, units: number): Promise<number> {
  if (units <= 0) return 0;
  const { own, inForce } = await lockCounters(tx, run);
  const grants = await lockGrants(tx, run);
  if (!inForce) return drawFrom(tx, run, own, units, grants);
  const fromOwn = await drawFrom(tx, run, own, units, null);
  return fromOwn + (await drawFrom(tx, run, inForce, units - fromOwn, grants));
}

/**
 * Draws up to `units` from one period, within its member row's cap: its allowance, then (when `grants`
 * are given) the grants and overage. Every unit drawn counts on that period's member row.
 */
async function drawFrom(
  tx: Database,
  run: RunHolding,
  at: Counters,
  units: number,
  grants: GrantRow[] | null,
): Promise<number> {
  const memberRoom = at.member?.run_cap == null ? units : Math.max(0, at.member.run_cap - at.member.used);
  const wanted = Math.min(units, memberRoom);
  let left = wanted - (await drawAllowance(tx, run, at, wanted));
  if (grants) left -= await drawGrants(tx, run, grants, left);
  if (grants && left > 0 && run.overagePrice) left -= await drawOverage(tx, run, at, left);
  const drawn = wanted - left;
  await tx.execute(sql`
    update member_usage_periods set used = used + ${drawn}::int
    where account_id = ${run.accountId} and period_id = ${at.periodId} and user_id = ${run.userId}`);
  return drawn;
}

/** Draws up to `units` from the period's allowance (held by the run as units_from_allowance). */
async function drawAllowance(tx: Database, run: RunHolding, at: Counters, units: number): Promise<number> {
  const take = Math.min(units, Math.max(0, (at.period?.run_limit ?? 0) - (at.period?.used ?? 0)));
  if (take <= 0) return 0;
  await tx.execute(sql`
    update usage_periods set used = used + ${take}::int
    where account_id = ${run.accountId} and id = ${at.periodId}`);
  await tx.execute(sql`
    update usage_ledger set units_from_allowance = units_from_allowance + ${take}::int
    where account_id = ${run.accountId} and run_id = ${run.runId}`);
  return take;
}

/** Draws up to `units` from the spendable grants, in draw order (recorded in run_draws). */
async function drawGrants(tx: Database, run: RunHolding, grants: GrantRow[], units: number): Promise<number> {
  let left = units;
  for (const grant of grants) {
    if (left === 0) break;
    const isSpendable =
      grant.remaining > 0 &&
      new Date(grant.starts_at) <= run.now &&
      (grant.expires_at === null || new Date(grant.expires_at) > run.now);
    if (!isSpendable) continue;
    const take = Math.min(left, grant.remaining);
    left -= take;
    await tx.execute(sql`
      update credit_grants set remaining = remaining - ${take}::int
      where account_id = ${run.accountId} and id = ${grant.id}`);
    await tx.execute(sql`
      insert into run_draws (account_id, run_id, grant_id, units)
      values (${run.accountId}, ${run.runId}, ${grant.id}, ${take}::int)
      on conflict (account_id, run_id, grant_id) do update set units = run_draws.units + excluded.units`);
  }
  return units - left;
}

/** Gives back up to `units` of the run's overage (the last it drew); returns how many. */
async function returnOverage(tx: Database, run: RunHolding, units: number): Promise<number> {
  const [row] = await queryRows<{ back: number }>(
    tx,
    sql`
      with before as (
        select units_overage from usage_ledger where account_id = ${run.accountId} and run_id = ${run.runId}
      )
      update usage_ledger l set units_overage = l.units_overage - least(${units}::int, b.units_overage)
      from before b
      where l.account_id = ${run.accountId} and l.run_id = ${run.runId} and b.units_overage > 0
      returning least(${units}::int, b.units_overage) as back`,
  );
  const back = Number(row?.back ?? 0);
  if (back > 0) {
    await tx.execute(sql`
      update usage_periods set overage_used = overage_used - ${back}::int
      where account_id = ${run.accountId} and id = ${run.periodId}`);
  }
  return back;
}

/**
 * Draws up to `units` of overage for an overrun, when the account opted in and its subscription carries
 * the metered item, within its spend cap, counted in the period `at` (its row is locked by the caller,
 * so the cap holds against concurrent reservations). Returns how many.
 */
async function drawOverage(tx: Database, run: RunHolding, at: Counters, units: number): Promise<number> {
  if (!at.period) return 0;
  const [settings] = await queryRows<{ cap: number | null }>(
    tx,
    sql`
      select ${overageCapRuns('s', sql`${run.overagePrice}::numeric`)} as cap
      from account_spend_settings s
      join subscriptions sub on sub.account_id = s.account_id and ${overageBillable('sub')}
      where s.account_id = ${run.accountId} and s.overage_enabled`,
  );
  if (!settings) return 0;
  const room =
    settings.cap === null ? units : Math.max(0, Number(settings.cap) - Number(at.period.overage_used));
  const take = Math.min(units, room);
  if (take === 0) return 0;
  await tx.execute(sql`
    update usage_periods set overage_used = overage_used + ${take}::int
    where account_id = ${run.accountId} and id = ${at.periodId}`);
  await tx.execute(sql`
    update usage_ledger set units_overage = units_overage + ${take}::int
    where account_id = ${run.accountId} and run_id = ${run.runId}`);
  if (at.periodId !== run.periodId) await journalInPeriod(tx, run, at.periodId, take);
  return take;
}

/**
 * The journal trigger (migration 0007) filed the overage just drawn under the run's own period, whose
 * invoice is already final; it is billed where it was counted, on the period in force. The entry is
 * the run's newest (its ledger row is locked by this transaction) and unbatched (made just now).
 */
async function journalInPeriod(
  tx: Database,
  run: RunHolding,
  periodId: string,
  units: number,
): Promise<void> {
  await tx.execute(sql`
    update overage_entries set period_id = ${periodId}
    where account_id = ${run.accountId} and batch_id is null and units = ${units}::int and id = (
      select id from overage_entries where account_id = ${run.accountId} and run_id = ${run.runId}
      order by id desc limit 1)`);
}

interface PeriodKey {
  id: string;
  start: number;
}

/**
 * Locks what an overrun may draw from, in the reservation statement's order: the run's own period row
 * and the period in force (when it is another one) by start, then their member rows by period id (the
 * one in force created first when the run counts on a member row, as a reservation would).
 */
async function lockCounters(
  tx: Database,
  run: RunHolding,
): Promise<{ own: Counters; inForce: Counters | null }> {
  const { own, inForce } = await findPeriods(tx, run);
  const byStart = inForce ? [own, inForce].sort((a, b) => a.start - b.start) : [own];
  const periods = new Map<string, PeriodRow | null>();
  for (const key of byStart) periods.set(key.id, await lockPeriod(tx, run, key.id));
  if (inForce && (await hasMemberRow(tx, run))) {
    const start = new Date(inForce.start);
    await ensureMemberPeriodRows(tx, [{ accountId: run.accountId, periodStart: start, userId: run.userId }]);
  }
  const members = new Map<string, MemberRow | null>();
  for (const key of [...byStart].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    members.set(key.id, await lockMember(tx, run, key.id));
  }
  const countersOf = (key: PeriodKey): Counters => ({
    periodId: key.id,
    period: periods.get(key.id) ?? null,
    member: members.get(key.id) ?? null,
  });
  return { own: countersOf(own), inForce: inForce ? countersOf(inForce) : null };
}

/** The run's own period and the one in force at `now` (null when it is the run's own, or none). */
async function findPeriods(
  tx: Database,
  run: RunHolding,
): Promise<{ own: PeriodKey; inForce: PeriodKey | null }> {
  const given = run.periodInForce;
  if (given) {
    const period = { accountId: run.accountId, start: given.start, end: given.end, limit: given.limit };
    await ensurePeriodRows(tx, [period]);
  }
  const inForceCondition = given
    ? sql`period_start = ${given.start.toISOString()}::timestamptz`
    : sql`period_start <= ${run.now.toISOString()}::timestamptz and period_end > ${run.now.toISOString()}::timestamptz`;
  const rows = await queryRows<{ id: string; period_start: Date | string; is_own: boolean }>(
    tx,
    sql`
      (select id, period_start, true as is_own from usage_periods
       where account_id = ${run.accountId} and id = ${run.periodId})
      union all
      (select id, period_start, false from usage_periods
       where account_id = ${run.accountId} and ${inForceCondition}
       order by period_start desc limit 1)`,
  );
  const keyOf = (row: (typeof rows)[number]) => ({ id: row.id, start: new Date(row.period_start).getTime() });
  const ownRow = rows.find((row) => row.is_own);
  const inForceRow = rows.find((row) => !row.is_own && row.id !== run.periodId);
  return {
    own: ownRow ? keyOf(ownRow) : { id: run.periodId, start: 0 },
    inForce: inForceRow ? keyOf(inForceRow) : null,
  };
}

async function hasMemberRow(tx: Database, run: RunHolding): Promise<boolean> {
  const rows = await queryRows<{ one: number }>(
    tx,
    sql`select 1 as one from member_usage_periods
        where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}`,
  );
  return rows.length > 0;
}

async function lockPeriod(tx: Database, run: RunHolding, periodId: string): Promise<PeriodRow | null> {
  const [period] = await queryRows<PeriodRow>(
    tx,
    sql`select used, run_limit, overage_used from usage_periods
        where account_id = ${run.accountId} and id = ${periodId} for no key update`,
  );
  return period ?? null;
}

async function lockMember(tx: Database, run: RunHolding, periodId: string): Promise<MemberRow | null> {
  const [member] = await queryRows<MemberRow>(
    tx,
    sql`select used, run_cap from member_usage_periods
        where account_id = ${run.accountId} and period_id = ${periodId} and user_id = ${run.userId}
        for no key update`,
  );
  return member ?? null;
}

async function lockPeriodAndMember(
  tx: Database,
  run: RunHolding,
): Promise<{ period: PeriodRow | null; member: MemberRow | null }> {
  const period = await lockPeriod(tx, run, run.periodId);
  return { period, member: await lockMember(tx, run, run.periodId) };
}

/**
 * The account's grants this run may touch (spendable ones, and those it holds units of), locked by id,
 * returned in draw order (priority, soonest expiry, oldest) with what the run holds of each.
 */
async function lockGrants(tx: Database, run: RunHolding): Promise<GrantRow[]> {
  const rows = await queryRows<GrantRow & { priority: number; created_at: Date | string }>(
    tx,
    sql`
      select g.id, g.remaining, g.expires_at, g.starts_at, g.priority, g.created_at, g.clawback_units,
        g.clawed_back_units, d.units as held
      from credit_grants g
      left join run_draws d on d.account_id = g.account_id and d.grant_id = g.id and d.run_id = ${run.runId}
      where g.account_id = ${run.accountId} and (g.remaining > 0 or d.units > 0)
      order by g.id
      for no key update of g`,
  );
  return rows
    .map((row) => ({
      ...row,
      remaining: Number(row.remaining),
      clawback_units: Number(row.clawback_units),
      clawed_back_units: Number(row.clawed_back_units),
      held: row.held === null ? null : Number(row.held),
    }))
    .sort(
      (a, b) =>
        a.priority - b.priority ||
        expiryOrder(a.expires_at) - expiryOrder(b.expires_at) ||
        new Date(a.created_at).getTime() - new Date(b.created_at).getTime() ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}

function expiryOrder(expiresAt: Date | string | null): number {
  return expiresAt === null ? Number.POSITIVE_INFINITY : new Date(expiresAt).getTime();
}
