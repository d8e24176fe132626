import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { overageBillable, overageCapRuns } from './overage-cap-sql';
import { lockGrants, lockMember, lockPeriod } from './run-holding-locks';
import type { GrantRow, MemberRow, PeriodRow } from './run-holding-locks';
import type { RunHolding } from './run-holdings';
import { ensureMemberPeriodRows, ensurePeriodRows } from './run-reservation-statement';

// An overrun's draws: the units a run that cost more than it reserved takes on top (see RunHolding for
// where to call them and the lock order).

/** One period's counters as locked for a draw: the period row and the run's member row in it. */
interface Counters {
  periodId: string;
  period: PeriodRow | null;
  member: MemberRow | null;
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
