import { sql } from 'drizzle-orm';
import type { Database } from '../database';
import { queryRows } from '../raw-query';
import { moveOverageIntoFreedAllowance } from './overage-rebalance';
import { lockGrants, lockMember, lockPeriod } from './run-holding-locks';
import type { MemberRow, PeriodRow } from './run-holding-locks';

/**
 * What one run holds and where it came from, moved after its reservation: a settle below the estimate
 * or a release gives units back (returnRunUnits), an overrun draws more (drawRunUnits, in
 * run-overrun-draws.ts). Call these inside the transaction that moved the run's ledger row (so they run
 * once per transition), with the run's row already locked by it.
 *
 * Locks are taken in the order of the reservation statement: the period rows in (account, start) order,
 * the member rows in (account, period id) order, then the account's grants by id. So a settle, a
 * release, a sweep and a reservation never wait in a cycle. A give-back that frees allowance then moves
 * other runs' overage of the period into it (moveOverageIntoFreedAllowance): their ledger rows are
 * taken `skip locked` in (account, run_id) order, never waited for, since their own transitions hold
 * them while waiting for the period row this one holds.
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
      // The allowance just freed takes over overage other runs of the period drew while it looked full
      // (overage-rebalance.ts: newest first, skipping runs whose ledger row another transition holds).
      await moveOverageIntoFreedAllowance(tx, run, back);
    }
    left -= back;
  }
  const returned = units - left;
  await tx.execute(sql`
    update member_usage_periods set used = used - ${returned}::int
    where account_id = ${run.accountId} and period_id = ${run.periodId} and user_id = ${run.userId}`);
  return returned;
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

async function lockPeriodAndMember(
  tx: Database,
  run: RunHolding,
): Promise<{ period: PeriodRow | null; member: MemberRow | null }> {
  const period = await lockPeriod(tx, run, run.periodId);
  return { period, member: await lockMember(tx, run, run.periodId) };
}
